package io.parley.transport.nats;

import io.parley.tck.Await;
import io.parley.api.Broker;
import io.parley.api.BrokerOptions;
import io.parley.api.RequestException;
import io.parley.api.RequestOptions;
import io.parley.transport.nats.NatsProperties;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A private nats-server that goes away and comes back: Parley recovers, and no request hangs. */
class NatsOutageIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(3);
    private static final Duration SLACK = Duration.ofSeconds(1);
    private static final BrokerOptions FAST_RECONNECT = BrokerOptions.builder()
            .property(NatsProperties.RECONNECT_WAIT_MS, "100").build();

    @Test
    void recoversAfterServerRestartAndInFlightRequestsEndWithinTheirTimeout() throws Exception {
        try (NatsServerProcess server = new NatsServerProcess().start();
             Broker responder = Broker.connect(server.uri(), FAST_RECONNECT);
             Broker requester = Broker.connect(server.uri(), FAST_RECONNECT)) {
            CountDownLatch slowStarted = new CountDownLatch(1);
            CountDownLatch releaseSlow = new CountDownLatch(1);
            responder.subscribe("outage.echo", String.class, body -> "echo " + body);
            responder.subscribe("outage.slow", String.class, body -> {
                slowStarted.countDown();
                releaseSlow.await(10, TimeUnit.SECONDS);
                return "late";
            });
            assertEquals(Optional.of("echo 1"), requester.rpc().request("outage.echo", "1", String.class,
                    RequestOptions.timeout(TIMEOUT)));

            // a request whose handler is running when the server dies
            CompletableFuture<?> inFlight = requester.rpc().requestAsync("outage.slow", "x",
                    RequestOptions.timeout(TIMEOUT));
            assertTrue(slowStarted.await(5, TimeUnit.SECONDS), "the slow handler started");
            long killedAt = System.nanoTime();
            server.kill();
            // one sent while the server is down
            CompletableFuture<?> duringOutage = requester.rpc().requestAsync("outage.echo", "2",
                    RequestOptions.timeout(TIMEOUT));

            ExecutionException failure = assertThrows(ExecutionException.class,
                    () -> inFlight.get(TIMEOUT.plus(SLACK).toMillis(), TimeUnit.MILLISECONDS));
            assertInstanceOf(RequestException.class, failure.getCause());
            assertTrue(System.nanoTime() - killedAt < TIMEOUT.plus(SLACK).toNanos(), "ended within its timeout");
            try {
                duringOutage.get(TIMEOUT.plus(SLACK).toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) { // a reply, or a typed failure: never a hang
                assertInstanceOf(RequestException.class, e.getCause());
            }
            releaseSlow.countDown();

            server.start(); // same port
            Await.until("a new request is answered after the restart", Duration.ofSeconds(15), () -> {
                try {
                    return requester.rpc().request("outage.echo", "3", String.class,
                            RequestOptions.timeout(Duration.ofMillis(500))).equals(Optional.of("echo 3"));
                } catch (RequestException e) {
                    return false; // still reconnecting
                }
            });
            assertEquals(Optional.of("echo 4"), requester.rpc().request("outage.echo", "4", String.class,
                    RequestOptions.timeout(TIMEOUT)), "the responder's subscription came back");
            assertEquals(0, requester.rpc().pendingRequests());
        }
    }
}
