package io.parley.fakes;

import io.parley.spi.Transport;
import io.parley.spi.TransportContext;
import io.parley.spi.TransportProvider;

import java.util.Set;

/** Cannot be instantiated: ServiceLoader reports a ServiceConfigurationError, which discovery must report. */
public final class BrokenTransportProvider implements TransportProvider {

    public static final String FAILURE = "broken on purpose by the test";

    public BrokenTransportProvider() {
        throw new IllegalStateException(FAILURE);
    }

    @Override
    public String name() {
        return "broken";
    }

    @Override
    public Set<String> schemes() {
        return Set.of("broken");
    }

    @Override
    public Transport open(TransportContext context) {
        throw new AssertionError("never instantiated");
    }
}
