package io.parley.internal.memory;

import io.parley.api.Broker;
import org.junit.jupiter.api.Test;

import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

class MemoryBusTest {

    @Test
    void busLivesWhileAConnectionUsesItAndIsFreedAfterTheLast() {
        String name = "bus-" + UUID.randomUUID();
        Broker first = Broker.connect("memory://" + name);
        Broker second = Broker.connect("memory://" + name);
        MemoryBus shared = MemoryBus.attach(name);
        shared.detach();
        first.close();
        assertSame(shared, peek(name), "the second connection still uses the bus");
        second.close();
        assertNotSame(shared, peek(name), "the last close must free the bus");
        assertEquals(0, peekDestinations(name));
    }

    private static MemoryBus peek(String name) {
        MemoryBus bus = MemoryBus.attach(name);
        bus.detach();
        return bus;
    }

    private static int peekDestinations(String name) {
        MemoryBus bus = MemoryBus.attach(name);
        try {
            return bus.publish(io.parley.spi.Envelope.builder("anything").build());
        } finally {
            bus.detach();
        }
    }
}
