package io.parley.transport.redis;

import io.parley.tck.Await;
import io.parley.api.Broker;
import io.parley.api.BrokerOptions;
import io.parley.api.Message;
import io.parley.api.RequestOptions;
import io.parley.api.SubscribeOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Stream groups: a request read by a consumer that died is handled by another; a slow handler keeps its entry. */
class RedisStreamRecoveryIT {

    private final String key = "parley-it.recovery." + UUID.randomUUID().toString().substring(0, 8);
    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
        try (Jedis jedis = new Jedis(URI.create(RedisTestSupport.URI))) {
            jedis.del(key);
        }
    }

    private Broker connect(long claimIdleMillis) {
        Broker broker = Broker.connect(RedisTestSupport.URI, BrokerOptions.builder()
                .property(RedisProperties.STREAM_CLAIM_IDLE_MS, Long.toString(claimIdleMillis)).build());
        resources.add(broker);
        return broker;
    }

    private static long pending(Jedis jedis, String key, String group) {
        List<?> summary = (List<?>) jedis.sendCommand(Protocol.Command.XPENDING, key.getBytes(StandardCharsets.UTF_8),
                group.getBytes(StandardCharsets.UTF_8));
        return (Long) summary.get(0);
    }

    @Test
    void requestOfACrashedConsumerIsHandledByAnother() throws Exception {
        String destination = "stream:" + key;
        Broker requester = connect(30_000);
        try (Jedis crashed = new Jedis(URI.create(RedisTestSupport.URI))) {
            crashed.sendCommand(Protocol.Command.XGROUP, "CREATE", key, "workers", "$", "MKSTREAM");
            CompletableFuture<Message> reply = requester.rpc().requestAsync(destination, "job-1",
                    RequestOptions.timeout(Duration.ofSeconds(20)));
            // consumer A reads the request in the group and dies without acknowledging it
            Object read = crashed.sendCommand(Protocol.Command.XREADGROUP, "GROUP", "workers", "consumer-a", "COUNT", "1",
                    "BLOCK", "5000", "STREAMS", key, ">");
            assertInstanceOf(List.class, read, "consumer A read the request");
            assertEquals(1, pending(crashed, key, "workers"));

            // consumer B joins the group; entries idle for 300 ms are taken over
            Broker survivor = connect(300);
            AtomicInteger handled = new AtomicInteger();
            survivor.subscribe(destination, String.class, SubscribeOptions.group("workers"), body -> {
                handled.incrementAndGet();
                return "done:" + body;
            });
            assertEquals("done:job-1", reply.get(15, TimeUnit.SECONDS).bodyAsString());
            assertEquals(1, handled.get());
            Await.until("B acknowledged the entry", Duration.ofSeconds(5),
                    () -> pending(crashed, key, "workers") == 0);
        }
    }

    @Test
    void aSlowHandlersEntryIsNotTakenFromIt() throws Exception {
        String destination = "stream:" + key;
        long claimIdle = 200;
        Map<String, AtomicInteger> perBody = new ConcurrentHashMap<>();
        for (int member = 0; member < 2; member++) {
            connect(claimIdle).subscribe(destination, String.class, SubscribeOptions.group("slow"), body -> {
                perBody.computeIfAbsent(body, b -> new AtomicInteger()).incrementAndGet();
                Thread.sleep(claimIdle * 6); // the work itself, longer than the claim idle time
                return "ok";
            });
        }
        Broker requester = connect(claimIdle);
        List<CompletableFuture<Message>> replies = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            replies.add(requester.rpc().requestAsync(destination, "slow-" + i, RequestOptions.timeout(Duration.ofSeconds(20))));
        }
        for (CompletableFuture<Message> reply : replies) {
            assertEquals("ok", reply.get(20, TimeUnit.SECONDS).bodyAsString());
        }
        try (Jedis jedis = new Jedis(URI.create(RedisTestSupport.URI))) {
            Await.until("every entry is acknowledged", Duration.ofSeconds(5),
                    () -> pending(jedis, key, "slow") == 0);
        }
        assertEquals(4, perBody.size());
        perBody.forEach((body, count) -> assertEquals(1, count.get(), body + " was handled " + count + " times"));
        assertTrue(requester.rpc().pendingRequests() == 0);
    }
}
