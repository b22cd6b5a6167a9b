package io.parley.tck;

import org.junit.jupiter.api.DisplayName;

/**
 * The kit against the in-process memory:// transport: every rule passes but those that need a broker
 * apart from the client (Section 10), skipped as declared missing capabilities.
 */
@DisplayName("TCK on memory://")
class MemoryTransportCompatibilityTest extends TransportCompatibilityKit {

    @Override
    protected KitEnvironment environment() {
        return InProcess.lacking(KitEnvironment.builder("memory://tck", "memory")).build();
    }
}
