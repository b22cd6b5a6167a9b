package io.parley.transport.redis;

import io.parley.tck.KitEnvironment;
import io.parley.tck.TransportCompatibilityKit;
import org.junit.jupiter.api.AfterAll;

/** The compatibility kit on Pub/Sub channels (the default kind): every rule, no capability lacking. */
class RedisChannelCompatibilityIT extends TransportCompatibilityKit {

    @Override
    protected KitEnvironment environment() {
        return KitEnvironment.builder(RedisTestSupport.URI, "redis")
                .destinationPrefix("parley-tck")
                .build();
    }

    @AfterAll
    static void deleteTheKitsGroupKeys() {
        RedisTestSupport.deleteKeys("parley:claim:*:parley-tck.*");
        RedisTestSupport.deleteKeys("parley:members:*:parley-tck.*");
    }
}
