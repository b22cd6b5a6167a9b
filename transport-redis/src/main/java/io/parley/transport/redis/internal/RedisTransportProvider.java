package io.parley.transport.redis.internal;

import io.parley.spi.Transport;
import io.parley.spi.TransportContext;
import io.parley.spi.TransportProvider;

import java.util.Set;

/** {@code redis://[user:password@]host[:port][/db]} and {@code rediss://} (TLS). */
public final class RedisTransportProvider implements TransportProvider {

    @Override
    public String name() {
        return "redis";
    }

    @Override
    public Set<String> schemes() {
        return Set.of("redis", "rediss");
    }

    @Override
    public Transport open(TransportContext context) {
        return new RedisTransport(context);
    }
}
