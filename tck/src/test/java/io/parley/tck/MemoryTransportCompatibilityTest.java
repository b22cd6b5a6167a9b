package io.parley.tck;

import org.junit.jupiter.api.DisplayName;

/** The kit against the in-process memory:// transport: every rule, required and optional, passes. */
@DisplayName("TCK on memory://")
class MemoryTransportCompatibilityTest extends TransportCompatibilityKit {

    @Override
    protected KitEnvironment environment() {
        return KitEnvironment.builder("memory://tck", "memory").build();
    }
}
