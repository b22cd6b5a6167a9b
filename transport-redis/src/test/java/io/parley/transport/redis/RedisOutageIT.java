package io.parley.transport.redis;

import io.parley.tck.Await;
import io.parley.api.Broker;
import io.parley.api.BrokerOptions;
import io.parley.api.ConnectionException;
import io.parley.api.Message;
import io.parley.api.RequestException;
import io.parley.api.RequestOptions;
import io.parley.api.SubscribeOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the kit's fault rules (section 10, run by the three compatibility ITs against a server with
 * an append-only file) leave out: Redis restarted empty (a stream group is recreated), an in-flight
 * request failing at once rather than at its timeout, a hang noticed by the keep-alive, and the
 * send lanes while Redis is frozen (nothing lost, order kept, a full lane refusing at once).
 */
class RedisOutageIT {

    private static final Duration RECOVERY = Duration.ofSeconds(20);
    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    private <T extends AutoCloseable> T track(T resource) {
        resources.add(resource);
        return resource;
    }

    private Broker connect(PrivateRedis redis) {
        return track(Broker.connect(redis.uri(), BrokerOptions.builder()
                .property(RedisProperties.RECONNECT_MAX_BACKOFF_MS, "200")
                .property(RedisProperties.TIMEOUT_MS, "1000")
                .property(RedisProperties.KEEPALIVE_MS, "200")
                .build()));
    }

    @Test
    void subscriptionsResumeAndRequestsSucceedAfterARestart() throws Exception {
        PrivateRedis redis = track(new PrivateRedis());
        Broker server = connect(redis);
        Broker client = connect(redis);
        List<String> destinations = List.of("outage.channel", "list:outage.list", "stream:outage.stream");
        for (String destination : destinations) {
            server.subscribe(destination, String.class, body -> destination + ":" + body);
            assertEquals(destination + ":before", client.rpc().request(destination, "before",
                    RequestOptions.timeout(Duration.ofSeconds(5))).map(Message::bodyAsString).orElse(null));
        }

        redis.kill();
        // while Redis is down a request fails fast and typed, it does not hang
        RequestException down = assertThrows(RequestException.class, () -> client.rpc().request("outage.channel",
                "during", RequestOptions.builder().timeout(Duration.ofSeconds(5)).throwOnTimeout().build()));
        assertTrue(down.reason() == RequestException.Reason.SEND_FAILED
                || down.reason() == RequestException.Reason.CONNECTION_LOST, down.getMessage());
        redis.start();

        for (String destination : destinations) {
            Await.until("a request to " + destination + " is answered after the restart", RECOVERY, () -> {
                try {
                    Optional<Message> reply = client.rpc().request(destination, "after",
                            RequestOptions.timeout(Duration.ofMillis(500)));
                    return reply.map(Message::bodyAsString).filter((destination + ":after")::equals).isPresent();
                } catch (RequestException e) {
                    return false; // still reconnecting
                }
            });
        }
        assertEquals(0, client.rpc().pendingRequests());
    }

    @Test
    void requestInFlightWhenRedisDiesEndsTypedWithinItsTimeout() throws Exception {
        PrivateRedis redis = track(new PrivateRedis());
        Broker server = connect(redis);
        Broker client = connect(redis);
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        resources.add(release::countDown);
        server.subscribe("outage.slow", String.class, body -> {
            entered.countDown();
            release.await();
            return "late";
        });
        Duration timeout = Duration.ofSeconds(8);
        CompletableFuture<Message> inFlight = client.rpc().requestAsync("outage.slow", "x", RequestOptions.timeout(timeout));
        assertTrue(entered.await(5, TimeUnit.SECONDS), "the handler got the request");
        long start = System.nanoTime();
        redis.kill();
        ExecutionException failure = assertThrows(ExecutionException.class,
                () -> inFlight.get(timeout.toMillis() + 1_000, TimeUnit.MILLISECONDS));
        RequestException cause = assertInstanceOf(RequestException.class, failure.getCause());
        // the reply subscription is gone, so the reply can no longer arrive: the request fails at once
        assertEquals(RequestException.Reason.CONNECTION_LOST, cause.reason(), cause.getMessage());
        assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(timeout) < 0,
                "ended before its timeout: " + cause.getMessage());
        release.countDown();
        redis.start();
        Await.until("a new request succeeds", RECOVERY, () -> {
            try {
                return client.rpc().request("outage.slow", "y", RequestOptions.timeout(Duration.ofMillis(500)))
                        .isPresent();
            } catch (RequestException e) {
                return false;
            }
        });
    }

    @Test
    void sendsMadeWhileRedisIsFrozenLeaveInOrderWhenItThaws() throws Exception {
        PrivateRedis redis = track(new PrivateRedis());
        Broker server = connect(redis);
        Broker client = connect(redis);
        List<String> received = new CopyOnWriteArrayList<>();
        SubscribeOptions inOrder = SubscribeOptions.builder().executor(Runnable::run).build(); // no handler pool reordering
        for (String destination : List.of("frozen.channel", "list:frozen.list", "stream:frozen.stream")) {
            server.subscribe(destination, String.class, inOrder, body -> {
                received.add(destination + " " + body);
                return null;
            });
        }
        redis.freeze();
        List<CompletableFuture<Void>> sent = new ArrayList<>();
        List<String> expected = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < 20; i++) {
            for (String destination : List.of("frozen.channel", "list:frozen.list", "stream:frozen.stream")) {
                sent.add(client.publish(destination, Integer.toString(i)));
                expected.add(destination + " " + i);
            }
        }
        assertTrue(Duration.ofNanos(System.nanoTime() - start).toMillis() < 500, "publish held its caller");
        assertTrue(sent.stream().noneMatch(CompletableFuture::isDone), "nothing was sent while Redis was frozen");
        redis.thaw(); // within redis.timeout-ms: the send waiting on the frozen connection gets its answer
        CompletableFuture.allOf(sent.toArray(new CompletableFuture[0])).get(10, TimeUnit.SECONDS);
        Await.until("every message sent during the freeze arrived", RECOVERY, () -> received.size() >= expected.size());
        for (String destination : List.of("frozen.channel", "list:frozen.list", "stream:frozen.stream")) {
            assertEquals(expected.stream().filter(m -> m.startsWith(destination + " ")).toList(),
                    received.stream().filter(m -> m.startsWith(destination + " ")).toList(), "in order on " + destination);
        }
    }

    @Test
    void aFullSendLaneRefusesAtOnceAndTheRestLeaveAfterTheThaw() throws Exception {
        PrivateRedis redis = track(new PrivateRedis());
        Broker client = track(Broker.connect(redis.uri(), BrokerOptions.builder()
                .property(RedisProperties.SEND_LANES, "1").property(RedisProperties.SEND_QUEUE, "5").build()));
        client.publish("list:full.lane", "warm-up").get(5, TimeUnit.SECONDS);
        redis.freeze();
        List<CompletableFuture<Void>> sent = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            sent.add(client.publish("list:full.lane", "m" + i));
        }
        List<CompletableFuture<Void>> refused = sent.stream().filter(CompletableFuture::isCompletedExceptionally).toList();
        // taken: the send waiting on the frozen connection, 5 queued behind it, and any the server ran before it stopped
        assertTrue(refused.size() >= 10, "a full lane refuses: only " + refused.size() + " of 20 were refused");
        for (CompletableFuture<Void> failed : refused) {
            ExecutionException e = assertThrows(ExecutionException.class, failed::get);
            assertInstanceOf(ConnectionException.class, e.getCause(), e.getCause().toString());
        }
        redis.thaw();
        List<CompletableFuture<Void>> taken = sent.stream().filter(f -> !refused.contains(f)).toList();
        CompletableFuture.allOf(taken.toArray(new CompletableFuture[0])).get(10, TimeUnit.SECONDS);
        try (Jedis jedis = new Jedis("127.0.0.1", redis.port())) {
            assertEquals(1 + taken.size(), jedis.llen("full.lane"), "the taken sends, and only them, reached the list");
        }
    }

    @Test
    void aRedisThatHangsSilentlyIsNoticedAndLeftBehind() throws Exception {
        PrivateRedis redis = track(new PrivateRedis());
        Broker server = connect(redis);
        Broker client = connect(redis);
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        resources.add(release::countDown);
        server.subscribe("hang.slow", String.class, body -> {
            entered.countDown();
            release.await();
            return "late";
        });
        server.subscribe("list:hang.list", String.class, body -> "list:" + body);
        Duration timeout = Duration.ofSeconds(10);
        CompletableFuture<Message> inFlight = client.rpc().requestAsync("hang.slow", "x", RequestOptions.timeout(timeout));
        assertTrue(entered.await(5, TimeUnit.SECONDS), "the handler got the request");
        long start = System.nanoTime();
        redis.freeze(); // no RST, no answers: only the missing PONGs tell
        ExecutionException failure = assertThrows(ExecutionException.class,
                () -> inFlight.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
        RequestException cause = assertInstanceOf(RequestException.class, failure.getCause());
        assertEquals(RequestException.Reason.CONNECTION_LOST, cause.reason(), cause.getMessage());
        assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofSeconds(5)) < 0,
                "noticed within a few keep-alive intervals, not at the request's timeout");
        release.countDown();
        redis.thaw();
        for (String destination : List.of("hang.slow", "list:hang.list")) {
            Await.until("a request to " + destination + " succeeds after the hang", RECOVERY, () -> {
                try {
                    return client.rpc().request(destination, "y", RequestOptions.timeout(Duration.ofMillis(500)))
                            .isPresent();
                } catch (RequestException e) {
                    return false;
                }
            });
        }
    }
}
