package io.parley.transport.redis;

import io.parley.tck.Await;
import io.parley.api.Broker;
import io.parley.api.SubscribeOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Groups on Pub/Sub channels: work is shared by the live members, and a dead member loses nothing. */
class RedisChannelGroupIT {

    private static final int MESSAGES = 60;
    private final String channel = "parley-it.group." + UUID.randomUUID().toString().substring(0, 8);
    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
        RedisTestSupport.deleteKeys("parley:members:*" + channel);
        RedisTestSupport.deleteKeys("parley:claim:*:" + channel + ":*");
    }

    private Broker connect() {
        Broker broker = Broker.connect(RedisTestSupport.URI);
        resources.add(broker);
        return broker;
    }

    private Map<String, AtomicInteger> publishAndCount(AtomicInteger... members) throws Exception {
        Map<String, AtomicInteger> perMessage = new ConcurrentHashMap<>();
        for (int i = 0; i < MESSAGES; i++) {
            connect().publish(channel, "m" + i).get();
        }
        Await.until("every message is handled", Duration.ofSeconds(10),
                () -> java.util.Arrays.stream(members).mapToInt(AtomicInteger::get).sum() >= MESSAGES);
        return perMessage;
    }

    @Test
    void membersShareTheWorkEvenly() throws Exception {
        try (Jedis jedis = new Jedis(URI.create(RedisTestSupport.URI))) {
            jedis.scriptFlush(); // the claim script is then loaded on first use (NOSCRIPT path)
        }
        AtomicInteger a = new AtomicInteger();
        AtomicInteger b = new AtomicInteger();
        Map<String, AtomicInteger> perMessage = new ConcurrentHashMap<>();
        for (AtomicInteger member : new AtomicInteger[]{a, b}) {
            connect().subscribe(channel, String.class, SubscribeOptions.group("workers"), body -> {
                perMessage.computeIfAbsent(body, k -> new AtomicInteger()).incrementAndGet();
                member.incrementAndGet();
                return null;
            });
        }
        publishAndCount(a, b);
        assertEquals(MESSAGES, perMessage.size());
        perMessage.forEach((body, count) -> assertEquals(1, count.get(), body));
        // ownership follows a hash of each message: far from the 0/60 a race to claim can give
        assertTrue(a.get() >= MESSAGES / 6 && b.get() >= MESSAGES / 6, "shares " + a + "/" + b);
    }

    @Test
    void messagesOwnedByADeadMemberAreTakenOver() throws Exception {
        try (Jedis jedis = new Jedis(URI.create(RedisTestSupport.URI))) {
            // a member that crashed: still registered for a while, never claims anything
            List<String> time = jedis.time();
            long now = Long.parseLong(time.get(0)) * 1000;
            jedis.zadd("parley:members:workers:" + channel, now + 60_000, "dead-member");
        }
        AtomicInteger live = new AtomicInteger();
        Map<String, AtomicInteger> perMessage = new ConcurrentHashMap<>();
        connect().subscribe(channel, String.class, SubscribeOptions.group("workers"), body -> {
            perMessage.computeIfAbsent(body, k -> new AtomicInteger()).incrementAndGet();
            live.incrementAndGet();
            return null;
        });
        publishAndCount(live);
        assertEquals(MESSAGES, perMessage.size());
        perMessage.forEach((body, count) -> assertEquals(1, count.get(), body));
    }
}
