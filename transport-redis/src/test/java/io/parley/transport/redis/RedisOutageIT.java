package io.parley.transport.redis;

import io.parley.tck.Await;
import io.parley.api.Broker;
import io.parley.api.BrokerOptions;
import io.parley.api.Message;
import io.parley.api.RequestException;
import io.parley.api.RequestOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Redis dies and comes back on the same port: subscriptions of every kind resume, new requests
 * succeed, and a request in flight when Redis died ends with a typed error within its timeout.
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
