package io.parley.internal.memory;

import io.parley.spi.Transport;
import io.parley.spi.TransportContext;
import io.parley.spi.TransportProvider;

import io.parley.spi.TransportSettings;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code memory://[name]}: an in-process broker. Brokers connected to the same name in one JVM
 * share destinations; {@code memory://} alone is the default bus.
 */
public final class MemoryTransportProvider implements TransportProvider {

    /**
     * The largest body a message may have, as a broker's limit (NATS max_payload, RabbitMQ
     * max_message_size): tests on memory:// meet the failure they would meet on the broker. No limit by default.
     */
    static final String MAX_BODY_BYTES = "memory.max-body-bytes";

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
        List<String> problems = new ArrayList<>();
        Map<String, String> properties = context.options().properties();
        TransportSettings.unknownKeys(properties, "memory.", Set.of(MAX_BODY_BYTES), List.of(), "property", "", problems);
        long maxBodyBytes = TransportSettings.number(properties, MAX_BODY_BYTES, Long.MAX_VALUE, 0, Long.MAX_VALUE,
                problems);
        TransportSettings.throwIfAny("memory", context.redactedUri(), problems);
        String name = context.uri().getAuthority();
        return new MemoryTransport(MemoryBus.attach(name == null || name.isBlank() ? "default" : name),
                context.replies(), maxBodyBytes);
    }
}
