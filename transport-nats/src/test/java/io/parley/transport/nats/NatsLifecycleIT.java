package io.parley.transport.nats;

import io.parley.tck.ConsoleCapture;
import io.parley.tck.Await;
import io.parley.api.Broker;
import io.parley.api.BrokerOptions;
import io.parley.api.ConfigurationException;
import io.parley.api.ConnectionException;
import io.parley.api.MessagingException;
import io.parley.api.RequestException;
import io.parley.api.RequestOptions;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Typed failures a user can hit, and no threads left behind. */
class NatsLifecycleIT {

    @Test
    void unreachableServerIsConnectionExceptionWithoutThePassword() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        String uri = "nats://alice:s3cret-pw@127.0.0.1:" + port;
        ConnectionException e = assertThrows(ConnectionException.class, () -> Broker.connect(uri));
        assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
        assertFalse(e.getMessage().contains("s3cret-pw"), e.getMessage());
    }

    @Test
    void refusedLoginSaysSoLogsNothingAndLeavesNoThreads() throws Exception {
        int port = NatsTestSupport.faultServer().port();
        Set<Thread> before = Set.copyOf(Thread.getAllStackTraces().keySet());
        try (ConsoleCapture logs = ConsoleCapture.start()) {
            for (String uri : List.of(NatsTestSupport.faultUri(port, "not-the-password"), "nats://not-a-token@127.0.0.1:" + port)) {
                long start = System.nanoTime();
                ConnectionException e = assertThrows(ConnectionException.class, () -> Broker.connect(uri).close());
                long took = (System.nanoTime() - start) / 1_000_000;
                assertTrue(e.getMessage().contains("refused the login (Authorization Violation)"), e.getMessage());
                assertFalse(e.getMessage().contains("not-the-password") || e.getMessage().contains("not-a-token"));
                assertTrue(took < 1_000, "took " + took + " ms");
            }
            Await.until("every thread of the refused connections ends", Duration.ofSeconds(10),
                    () -> newThreads(before).isEmpty());
            assertEquals("", logs.text(), "a refused login is told by its exception only");
        }
    }

    @Test
    void badPropertiesAreListedTogether() {
        BrokerOptions options = BrokerOptions.builder()
                .property(NatsProperties.RECONNECT_WAIT_MS, "soon")
                .property("nats.reconect-wait-ms", "100")
                .build();
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> Broker.connect(NatsTestSupport.URI, options));
        assertEquals(2, e.problems().size(), e.problems().toString());
    }

    @Test
    void tooLargeMessageFailsAtOnceWithTheServersLimit() throws Exception {
        long maxPayload = NatsTestSupport.serverMaxPayload();
        try (Broker broker = Broker.connect(NatsTestSupport.URI)) {
            ExecutionException e = assertThrows(ExecutionException.class, () ->
                    broker.publish("parley-it.large", new byte[(int) maxPayload + 1]).get(5, TimeUnit.SECONDS));
            assertInstanceOf(MessagingException.class, e.getCause());
            assertTrue(e.getCause().getMessage().contains("max_payload"), e.getCause().getMessage());

            RequestException failed = assertThrows(RequestException.class, () -> broker.rpc()
                    .request("parley-it.large", new byte[(int) maxPayload + 1], RequestOptions.timeout(Duration.ofSeconds(5))));
            assertEquals(RequestException.Reason.SEND_FAILED, failed.reason());
        }
    }

    @Test
    void closeLeavesNoThreads() throws Exception {
        Set<Thread> before = Set.copyOf(Thread.getAllStackTraces().keySet());
        for (int i = 0; i < 3; i++) {
            try (Broker broker = Broker.connect(NatsTestSupport.URI)) {
                broker.subscribe("parley-it.lifecycle", String.class, body -> body);
                broker.rpc().request("parley-it.lifecycle", "x", RequestOptions.timeout(Duration.ofSeconds(5))).orElseThrow();
            }
        }
        Await.until("every thread started by the brokers ends after close", Duration.ofSeconds(10),
                () -> newThreads(before).isEmpty());
    }

    /** Live threads that were not there before, except the JDK's shared pool. */
    private static List<String> newThreads(Set<Thread> before) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && !before.contains(t) && !t.getName().startsWith("ForkJoinPool.commonPool"))
                .map(Thread::getName).toList();
    }
}
