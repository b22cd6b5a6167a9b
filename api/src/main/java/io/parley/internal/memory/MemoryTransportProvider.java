package io.parley.internal.memory;

import io.parley.spi.Transport;
import io.parley.spi.TransportContext;
import io.parley.spi.TransportProvider;

import java.util.Set;

/**
 * {@code memory://[name]}: an in-process broker. Brokers connected to the same name in one JVM
 * share destinations; {@code memory://} alone is the default bus.
 */
public final class MemoryTransportProvider implements TransportProvider {

    @Override
    public String name() {
        return "memory";
    }

    @Override
    public Set<String> schemes() {
        return Set.of("memory");
    }

    @Override
    public Transport open(TransportContext context) {
        String name = context.uri().getAuthority();
        return new MemoryTransport(MemoryBus.attach(name == null || name.isBlank() ? "default" : name),
                context.replies());
    }
}
