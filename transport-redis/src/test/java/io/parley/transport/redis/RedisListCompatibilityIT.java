package io.parley.transport.redis;

import io.parley.tck.Capability;
import io.parley.tck.KitEnvironment;
import io.parley.tck.TransportCompatibilityKit;
import org.junit.jupiter.api.AfterAll;

/** The compatibility kit on Lists (list:<key>), the work-queue kind, with the fault rules against a private redis-server. */
class RedisListCompatibilityIT extends TransportCompatibilityKit {

    @Override
    protected KitEnvironment environment() {
        return RedisTestSupport.kitEnvironment("list:")
                .lacks(Capability.FAN_OUT, "a Redis list is a work queue: each element is popped by one consumer, whatever the groups")
                .lacks(Capability.NO_RESPONDERS, "RPUSH to a list cannot tell whether anyone consumes it")
                .build();
    }

    @AfterAll
    static void deleteTheKitsKeys() {
        RedisTestSupport.deleteKeys("parley-tck.*");
    }
}
