package io.parley.transport.nats.internal;

import io.parley.spi.Transport;
import io.parley.spi.TransportContext;
import io.parley.spi.TransportProvider;

import java.util.Set;

/** {@code nats://[user:password@|token@]host[:port][,host[:port]...]}, and {@code tls://} for TLS. */
public final class NatsTransportProvider implements TransportProvider {

    @Override
    public String name() {
        return "nats";
    }

    @Override
    public Set<String> schemes() {
        return Set.of("nats", "tls");
    }

    @Override
    public Transport open(TransportContext context) {
        return new NatsTransport(context);
    }
}
