package io.parley.transport.redis;

import io.parley.tck.KitEnvironment;
import io.parley.tck.TransportCompatibilityKit;
import org.junit.jupiter.api.AfterAll;

/**
 * The compatibility kit on Pub/Sub channels (the default kind), with the fault rules against a
 * private redis-server: every rule but 10.04 (Pub/Sub keeps nothing for a member that dies).
 */
class RedisChannelCompatibilityIT extends TransportCompatibilityKit {

    @Override
    protected KitEnvironment environment() {
        return RedisTestSupport.kitEnvironment("").build();
    }

    @AfterAll
    static void deleteTheKitsGroupKeys() {
        RedisTestSupport.deleteKeys("parley:claim:*:parley-tck.*");
        RedisTestSupport.deleteKeys("parley:members:*:parley-tck.*");
    }
}
