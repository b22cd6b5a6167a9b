package io.parley.transport.kafka;

import io.parley.tck.Await;
import io.parley.api.Broker;
import io.parley.api.BrokerOptions;
import io.parley.api.ConfigurationException;
import io.parley.api.ConnectionException;
import io.parley.api.RequestOptions;
import io.parley.transport.kafka.KafkaProperties;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Typed failures a user can hit, and no threads left behind. */
class KafkaLifecycleIT {

    @Test
    void unreachableBrokerIsConnectionExceptionWithinTheConnectTimeout() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        BrokerOptions options = BrokerOptions.builder().property(KafkaProperties.CONNECT_TIMEOUT_MS, "1500")
                .property("kafka.client.sasl.jaas.config", "secret-jaas-config").build();
        long start = System.nanoTime();
        ConnectionException e = assertThrows(ConnectionException.class,
                () -> Broker.connect("kafka://127.0.0.1:" + port, options));
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(10).toNanos(), "gave up in bounded time");
        assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
        assertFalse(e.getMessage().contains("secret-jaas-config"), e.getMessage());
    }

    @Test
    void badPropertiesAreListedTogether() throws Exception {
        BrokerOptions options = BrokerOptions.builder().property(KafkaProperties.PARTITIONS, "0")
                .property("kafka.partitons", "2").build();
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> Broker.connect(KafkaBroker.sharedUri(), options));
        assertEquals(2, e.problems().size(), e.problems().toString());
    }

    @Test
    void closeLeavesNoThreads() throws Exception {
        String uri = KafkaBroker.sharedUri();
        Set<Thread> before = Set.copyOf(Thread.getAllStackTraces().keySet());
        for (int i = 0; i < 2; i++) {
            try (Broker broker = Broker.connect(uri)) {
                broker.subscribe("parley-it.lifecycle", String.class, body -> body);
                broker.rpc().request("parley-it.lifecycle", "x", RequestOptions.timeout(Duration.ofSeconds(10))).orElseThrow();
            }
        }
        Await.until("every thread started by the brokers ends after close", Duration.ofSeconds(20),
                () -> Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.isAlive() && !before.contains(t)
                        && !t.getName().startsWith("ForkJoinPool.commonPool")));
    }
}
