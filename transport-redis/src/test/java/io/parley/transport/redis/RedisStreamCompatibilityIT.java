package io.parley.transport.redis;

import io.parley.tck.Capability;
import io.parley.tck.KitEnvironment;
import io.parley.tck.TransportCompatibilityKit;
import org.junit.jupiter.api.AfterAll;

/**
 * The compatibility kit on Streams (stream:<key>) with consumer groups, with the fault rules
 * against a private redis-server; 10.04 (at least once) with the default settings.
 */
class RedisStreamCompatibilityIT extends TransportCompatibilityKit {

    @Override
    protected KitEnvironment environment() {
        return RedisTestSupport.kitEnvironment("stream:")
                .lacks(Capability.NO_RESPONDERS, "XADD to a stream cannot tell whether anyone consumes it")
                .build();
    }

    @AfterAll
    static void deleteTheKitsKeys() {
        RedisTestSupport.deleteKeys("parley-tck.*");
    }
}
