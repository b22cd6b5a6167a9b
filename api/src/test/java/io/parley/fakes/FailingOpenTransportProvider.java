package io.parley.fakes;

import io.parley.spi.Transport;
import io.parley.spi.TransportContext;
import io.parley.spi.TransportProvider;

import java.util.Set;

/**
 * Scheme "failing-open": open() throws a plain RuntimeException whose message repeats the full URI,
 * credentials included, as a careless broker client library would. The core must wrap it in a
 * ConnectionException whose own message holds no credentials.
 */
public final class FailingOpenTransportProvider implements TransportProvider {

    @Override
    public String name() {
        return "failing-open";
    }

    @Override
    public Set<String> schemes() {
        return Set.of("failing-open");
    }

    @Override
    public Transport open(TransportContext context) {
        throw new IllegalStateException("cannot reach " + context.uri());
    }
}
