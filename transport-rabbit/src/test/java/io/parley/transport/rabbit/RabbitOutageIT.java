package io.parley.transport.rabbit;

import io.parley.tck.Await;
import io.parley.api.Broker;
import io.parley.api.BrokerOptions;
import io.parley.api.RequestException;
import io.parley.api.RequestOptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The broker cuts Parley's connections ({@code rabbitmqctl close_connection}, only ours, found by
 * their unique connection names): automatic recovery restores the subscriptions, new requests
 * succeed, and the request in flight ends with a typed failure within its timeout.
 */
class RabbitOutageIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @Test
    void recoversAfterTheBrokerClosesTheConnections() throws Exception {
        String name = "parley-outage-" + UUID.randomUUID();
        String queue = "parley-it.outage." + UUID.randomUUID();
        BrokerOptions options = BrokerOptions.builder().property(RabbitProperties.CONNECTION_NAME, name)
                .property(RabbitProperties.RECOVERY_INTERVAL_MS, "200").build();
        try (Broker responder = Broker.connect(RabbitTestSupport.URI, options);
             Broker requester = Broker.connect(RabbitTestSupport.URI, options)) {
            CountDownLatch slowStarted = new CountDownLatch(1);
            CountDownLatch releaseSlow = new CountDownLatch(1);
            responder.subscribe(queue, String.class, body -> {
                if (body.equals("slow")) {
                    slowStarted.countDown();
                    releaseSlow.await(10, TimeUnit.SECONDS);
                }
                return "echo " + body;
            });
            assertEquals(Optional.of("echo 1"), requester.rpc().request(queue, "1", String.class, RequestOptions.timeout(TIMEOUT)));

            CompletableFuture<?> inFlight = requester.rpc().requestAsync(queue, "slow", RequestOptions.timeout(TIMEOUT));
            assertTrue(slowStarted.await(5, TimeUnit.SECONDS), "the slow handler started");
            long cutAt = System.nanoTime();
            closeConnectionsNamed(name);

            ExecutionException failure = assertThrows(ExecutionException.class,
                    () -> inFlight.get(TIMEOUT.plusSeconds(1).toMillis(), TimeUnit.MILLISECONDS));
            assertInstanceOf(RequestException.class, failure.getCause());
            assertTrue(System.nanoTime() - cutAt < TIMEOUT.plusSeconds(1).toNanos(), "ended within its timeout");
            releaseSlow.countDown();

            Await.until("a new request is answered after recovery", Duration.ofSeconds(30), () -> {
                try {
                    return requester.rpc().request(queue, "2", String.class, RequestOptions.timeout(Duration.ofSeconds(1)))
                            .equals(Optional.of("echo 2"));
                } catch (RequestException e) {
                    return false; // still recovering
                }
            });
            assertEquals(Optional.of("echo 3"), requester.rpc().request(queue, "3", String.class, RequestOptions.timeout(TIMEOUT)),
                    "the responder's subscription came back");
        }
    }

    /** Closes, from the broker side, exactly the connections with this client-provided name. */
    private static void closeConnectionsNamed(String name) throws IOException, InterruptedException {
        String listing = run("rabbitmqctl", "list_connections", "-q", "pid", "client_properties");
        int closed = 0;
        for (String line : listing.split("\n")) {
            if (line.contains(name)) {
                String pid = line.substring(0, line.indexOf('\t')).strip();
                run("rabbitmqctl", "close_connection", pid, "parley outage test");
                closed++;
            }
        }
        assertEquals(2, closed, "the test's two connections were found and closed:\n" + listing);
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output);
        }
        return output;
    }
}
