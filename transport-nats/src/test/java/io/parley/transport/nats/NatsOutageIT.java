package io.parley.transport.nats;

import io.parley.tck.ConsoleCapture;
import io.parley.api.Broker;
import io.parley.api.BrokerOptions;
import io.parley.api.ConnectionException;
import io.parley.api.RequestException;
import io.parley.api.RequestOptions;
import io.parley.tck.Await;
import io.parley.tck.BrokerProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the kit's fault rules (SPEC Section 10) do not look at: how an outage is logged, what happens to
 * sends while the server is away or frozen. Against the private fault server, which each test leaves
 * running.
 */
class NatsOutageIT {

    private static final Logger log = LoggerFactory.getLogger(NatsOutageIT.class);

    private static final Duration RECOVERY = Duration.ofSeconds(15);
    /** "At once", as the kit's slack has it: a send may wait twice 50 ms (jnats' lock, then room in its queue). */
    private static final long SEND_BOUND_MILLIS = 1_000;

    private BrokerProcess server;
    private boolean frozen;
    private boolean down;

    @BeforeEach
    void server() throws Exception {
        server = NatsTestSupport.faultServer();
    }

    @AfterEach
    void repair() throws Exception {
        if (frozen) {
            server.thaw();
        }
        if (down) {
            server.restart();
        }
    }

    @Test
    void anOutageIsLoggedOnceAndItsEndOnce() throws Exception {
        BrokerOptions fast = BrokerOptions.builder().property(NatsProperties.RECONNECT_WAIT_MS, "50").build();
        try (ConsoleCapture logs = ConsoleCapture.start(); Broker broker = Broker.connect(server.uri(), fast)) {
            broker.subscribe("outage.echo", String.class, body -> body);
            kill();
            Await.until("the outage is logged", RECOVERY, () -> logs.lines("Lost the connection to NATS") == 1);
            // a window of about 20 failed reconnect attempts, each of which jnats reports as DISCONNECTED
            long end = System.nanoTime() + Duration.ofSeconds(1).toNanos();
            while (System.nanoTime() < end) {
                assertEquals(1, logs.lines("Lost the connection to NATS"), logs.text());
                Thread.sleep(20); // the polling interval of the window, not a synchronisation
            }
            restart();
            Await.until("the recovery is logged", RECOVERY, () -> logs.lines("Reconnected to NATS") == 1);
            assertEquals(Optional.of("back"), broker.rpc().request("outage.echo", "back", String.class,
                    RequestOptions.timeout(Duration.ofSeconds(5))));
            assertEquals(1, logs.lines("Lost the connection to NATS"), logs.text());
            assertEquals(1, logs.lines("Reconnected to NATS"), logs.text());
            assertTrue(logs.text().lines().noneMatch(line -> line.contains(NatsTestSupport.FAULT_PASSWORD)));
        }
    }

    @Test
    void sendsDuringAnOutageAreBufferedAndDeliveredAfterTheRestart() throws Exception {
        // one connection: on reconnect jnats restores its subscriptions before it sends what it buffered
        try (ConsoleCapture logs = ConsoleCapture.start(); Broker broker = Broker.connect(server.uri())) {
            List<String> received = new CopyOnWriteArrayList<>();
            broker.subscribe("outage.buffered", String.class, body -> {
                received.add(body);
                return null;
            });
            kill();
            Await.until("the outage is noticed", RECOVERY, () -> logs.lines("Lost the connection to NATS") == 1);
            long start = System.nanoTime();
            CompletableFuture<Void> sent = broker.publish("outage.buffered", "while away");
            assertTrue(millisSince(start) < SEND_BOUND_MILLIS, "publish returned at once");
            sent.get(1, TimeUnit.SECONDS); // handed to the reconnect buffer
            restart();
            Await.until("the buffered message arrives after the restart", RECOVERY,
                    () -> received.contains("while away"));
        }
    }

    @Test
    void aFullReconnectBufferFailsSendsAtOnce() throws Exception {
        BrokerOptions small = BrokerOptions.builder().property(NatsProperties.RECONNECT_BUFFER_BYTES, "4096").build();
        try (ConsoleCapture logs = ConsoleCapture.start(); Broker broker = Broker.connect(server.uri(), small)) {
            kill();
            Await.until("the outage is noticed", RECOVERY, () -> logs.lines("Lost the connection to NATS") == 1);
            ConnectionException failure = null;
            for (int i = 0; i < 1_000 && failure == null; i++) {
                long start = System.nanoTime();
                CompletableFuture<Void> sent = broker.publish("outage.full", "x".repeat(200));
                assertTrue(millisSince(start) < SEND_BOUND_MILLIS, "publish " + i + " held its caller");
                if (sent.isCompletedExceptionally()) {
                    ExecutionException e = assertThrows(ExecutionException.class, sent::get);
                    failure = assertInstanceOf(ConnectionException.class, e.getCause());
                }
            }
            assertTrue(failure != null, "sends kept being buffered past the 4096 bytes asked for");
            assertTrue(failure.getMessage().contains("nats.reconnect-buffer-bytes"), failure.getMessage());
        }
    }

    @Test
    void aFrozenServerFailsSendsFastOnceJnatsQueueIsFull() throws Exception {
        try (Broker broker = Broker.connect(server.uri())) {
            broker.subscribe("outage.frozen", String.class, body -> body);
            freeze();
            byte[] body = new byte[1024];
            ConnectionException failure = null;
            long longest = 0;
            int sends = 0;
            // the socket's buffers fill first (a few MB), then jnats' queue of 5,000 messages
            while (failure == null && sends < 200_000) {
                long start = System.nanoTime();
                CompletableFuture<Void> sent = broker.publish("outage.frozen.sink", body);
                longest = Math.max(longest, millisSince(start));
                sends++;
                if (sent.isCompletedExceptionally()) {
                    ExecutionException e = assertThrows(ExecutionException.class, sent::get);
                    failure = assertInstanceOf(ConnectionException.class, e.getCause());
                }
            }
            assertTrue(failure != null, sends + " sends to a frozen server all succeeded");
            assertTrue(failure.getMessage().contains("outgoing queue is full"), failure.getMessage());
            assertTrue(longest < SEND_BOUND_MILLIS, "a send held its caller " + longest + " ms");
            log.info("Frozen server: send {} failed ({}); the longest send took {} ms", sends, failure.getMessage(), longest);
            long start = System.nanoTime();
            assertTrue(broker.publish("outage.frozen.sink", body).isCompletedExceptionally(), "still full");
            assertTrue(millisSince(start) < SEND_BOUND_MILLIS);
            thaw();
            Await.until("the connection serves again after the thaw", RECOVERY, () -> {
                try {
                    return broker.rpc().request("outage.frozen", "thawed", String.class,
                            RequestOptions.timeout(Duration.ofMillis(500))).equals(Optional.of("thawed"));
                } catch (RequestException e) { // SEND_FAILED while jnats' queue drains: a typed failure, try again
                    return false;
                }
            });
        }
    }

    private void kill() throws Exception {
        down = true;
        server.kill();
    }

    private void restart() throws Exception {
        server.restart();
        down = false;
    }

    private void freeze() throws Exception {
        frozen = true;
        server.freeze();
    }

    private void thaw() throws Exception {
        server.thaw();
        frozen = false;
    }

    private static long millisSince(long start) {
        return (System.nanoTime() - start) / 1_000_000;
    }
}
