package io.parley.transport.rabbit;

import io.parley.api.Broker;
import io.parley.api.BrokerOptions;
import io.parley.api.ConnectionException;
import io.parley.api.RequestException;
import io.parley.api.RequestOptions;
import io.parley.api.SubscribeOptions;
import io.parley.api.Subscriber;
import io.parley.tck.Await;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the kit's fault rules do not cover, on the private node (the shared broker is left alone):
 * the broker closing Parley's connections while it stays up, a resource alarm that blocks publishers,
 * and what durable queues and persistent messages keep over a broker crash.
 */
class RabbitOutageIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final long AT_ONCE_MILLIS = 1_000;

    private static RabbitNode node;

    @BeforeAll
    static void startNode() throws Exception {
        node = RabbitNode.get();
    }

    @Test
    void recoversAfterTheBrokerClosesTheConnections() throws Exception {
        String name = "parley-outage-" + UUID.randomUUID();
        String queue = "parley-it.outage." + UUID.randomUUID();
        BrokerOptions options = BrokerOptions.builder().property(RabbitProperties.CONNECTION_NAME, name)
                .property(RabbitProperties.RECOVERY_INTERVAL_MS, "200").build();
        try (Broker responder = Broker.connect(node.uri(), options);
             Broker requester = Broker.connect(node.uri(), options)) {
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

            Await.until("a new request is answered after recovery", Duration.ofSeconds(30),
                    () -> answered(requester, queue, "2"));
            assertEquals(Optional.of("echo 3"), requester.rpc().request(queue, "3", String.class, RequestOptions.timeout(TIMEOUT)),
                    "the responder's subscription came back");
        }
    }

    @Test
    void sendsFailAtOnceWhileTheBrokerBlocksPublishingAndGoOnAfter() throws Exception {
        String queue = "parley-it.blocked." + UUID.randomUUID();
        try (Broker responder = Broker.connect(node.uri());
             Broker sender = Broker.connect(node.uri())) {
            responder.subscribe(queue, String.class, body -> "echo " + body);
            assertEquals(Optional.of("echo 1"), sender.rpc().request(queue, "1", String.class, RequestOptions.timeout(TIMEOUT)));
            List<CompletableFuture<Void>> held = new CopyOnWriteArrayList<>();
            AtomicReference<Throwable> refusal = new AtomicReference<>();
            node.ctl("set_vm_memory_high_watermark", "0"); // a memory alarm: the broker blocks every publisher
            try {
                // RabbitMQ blocks a connection (connection.blocked) once it publishes during the alarm
                Await.until("a publish fails at once while the broker blocks publishing", Duration.ofSeconds(30), () -> {
                    long start = System.nanoTime();
                    CompletableFuture<Void> sent = sender.publish(queue, "during");
                    assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < AT_ONCE_MILLIS, "publish held its caller");
                    if (sent.isCompletedExceptionally()) {
                        refusal.set(assertThrows(ExecutionException.class, sent::get).getCause());
                        return true;
                    }
                    held.add(sent);
                    return false;
                });
                assertInstanceOf(ConnectionException.class, refusal.get());
                assertTrue(refusal.get().getMessage().contains("blocks publishing"), refusal.get().getMessage());
                long start = System.nanoTime();
                RequestException failed = assertThrows(RequestException.class, () -> sender.rpc().request(queue, "2",
                        RequestOptions.builder().timeout(TIMEOUT).throwOnTimeout().build()));
                assertEquals(RequestException.Reason.SEND_FAILED, failed.reason());
                assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < AT_ONCE_MILLIS,
                        "a request fails at once, not at its timeout");
            } finally {
                node.ctl("set_vm_memory_high_watermark", "0.4");
            }
            Await.until("requests are answered once the alarm is over", Duration.ofSeconds(30),
                    () -> answered(sender, queue, "3"));
            for (CompletableFuture<Void> sent : held) { // what waited during the alarm was confirmed after it
                sent.get(10, TimeUnit.SECONDS);
            }
        } finally {
            RabbitTestSupport.deleteQueues(node.uri(), List.of(queue));
        }
    }

    @Test
    void durableQueuesKeepTheirMessagesOverABrokerCrash() throws Exception {
        String work = "parley-it.crash.work." + UUID.randomUUID();
        String waiting = "parley-it.crash.waiting." + UUID.randomUUID();
        List<String> handled = new CopyOnWriteArrayList<>();
        try (Broker broker = Broker.connect(node.uri(), BrokerOptions.builder()
                .property(RabbitProperties.RECOVERY_INTERVAL_MS, "200").build())) {
            broker.subscribe(work, String.class, SubscribeOptions.group("workers"), body -> {
                handled.add(body);
                return null;
            });
            broker.publish(work, "handled-before").get(10, TimeUnit.SECONDS);
            Await.until("the first message is handled", TIMEOUT, () -> handled.contains("handled-before"));
            // a queue whose subscriber left: with default settings it stays, and so do its messages
            Subscriber gone = broker.subscribe(waiting, String.class, body -> null);
            gone.close();
            broker.publish(waiting, "kept").get(10, TimeUnit.SECONDS); // confirmed: on the broker's disk

            node.control().restart(); // kill -9, then start on the same port and data

            Await.until("the subscription receives after the restart", Duration.ofSeconds(30), () -> {
                broker.publish(work, "after");
                return handled.contains("after");
            });
            // at least once: RabbitMQ may have lost the ack of "handled-before" in the crash and delivered
            // it again; it is never lost, and only messages handled already come twice
            assertTrue(handled.stream().filter("handled-before"::equals).count() >= 1, handled.toString());
            assertTrue(handled.stream().allMatch(body -> body.equals("handled-before") || body.equals("after")),
                    handled.toString());
            List<String> kept = new CopyOnWriteArrayList<>();
            broker.subscribe(waiting, String.class, body -> {
                kept.add(body);
                return null;
            });
            Await.until("the message published while nobody subscribed survived the restart", TIMEOUT,
                    () -> kept.contains("kept"));
        } finally {
            RabbitTestSupport.deleteQueues(node.uri(), List.of(work + ".workers", work, waiting));
        }
    }

    private static boolean answered(Broker requester, String queue, String body) {
        try {
            return requester.rpc().request(queue, body, String.class, RequestOptions.timeout(Duration.ofSeconds(1)))
                    .equals(Optional.of("echo " + body));
        } catch (RequestException e) {
            return false; // still recovering, or still blocked
        }
    }

    /** Closes, from the broker side, exactly the connections with this client-provided name. */
    private static void closeConnectionsNamed(String name) throws Exception {
        String listing = node.ctl("list_connections", "-q", "pid", "client_properties");
        int closed = 0;
        for (String line : listing.split("\n")) {
            if (line.contains(name)) {
                String pid = line.substring(0, line.indexOf('\t')).strip();
                node.ctl("close_connection", pid, "parley outage test");
                closed++;
            }
        }
        assertEquals(2, closed, "the test's two connections were found and closed:\n" + listing);
    }
}
