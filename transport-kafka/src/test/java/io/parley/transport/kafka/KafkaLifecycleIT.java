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
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

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
    void saslPlainLoginWorksAndItsPasswordIsNeverShown() throws Exception {
        KafkaBroker kafka = KafkaBroker.controlled();
        BrokerOptions options = BrokerOptions.builder()
                .property(KafkaProperties.CLIENT_PREFIX + "security.protocol", "SASL_PLAINTEXT")
                .property(KafkaProperties.CLIENT_PREFIX + "sasl.mechanism", "PLAIN")
                .property(KafkaProperties.CLIENT_PREFIX + "sasl.jaas.config",
                        "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                                + KafkaBroker.SASL_USER + "\" password=\"" + KafkaBroker.SASL_PASSWORD + "\";")
                .build();
        try (Broker broker = Broker.connect(kafka.saslUri(), options)) {
            broker.subscribe("parley-it.sasl", String.class, body -> "re:" + body);
            assertEquals(Optional.of("re:x"), broker.rpc().request("parley-it.sasl", "x", String.class,
                    RequestOptions.timeout(Duration.ofSeconds(10))));
            assertFalse(broker.toString().contains(KafkaBroker.SASL_PASSWORD), broker.toString());
        }
    }

    @Test
    void aMalformedJaasConfigIsAConfigurationExceptionWithoutTheSecret() throws Exception {
        BrokerOptions options = BrokerOptions.builder()
                .property(KafkaProperties.CLIENT_PREFIX + "security.protocol", "SASL_PLAINTEXT")
                .property(KafkaProperties.CLIENT_PREFIX + "sasl.mechanism", "PLAIN")
                .property(KafkaProperties.CLIENT_PREFIX + "sasl.jaas.config",
                        "org.apache.kafka.common.security.plain.PlainLoginModule s3cret-in-the-wrong-place username=\"u\";")
                .build();
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> Broker.connect(KafkaBroker.controlled().saslUri(), options));
        for (Throwable t = e; t != null; t = t.getCause()) {
            assertFalse(String.valueOf(t.getMessage()).contains("s3cret"), t.toString());
        }
        assertTrue(e.getMessage().contains("JAAS"), e.getMessage());
    }

    /** Sends leave from the caller's thread while the producer cannot block: a burst does not outrun a send lane. */
    @Test
    void aBurstOfPublishesToAHealthyBrokerAllSucceedAndNoneHoldsItsCaller() throws Exception {
        try (Broker broker = Broker.connect(KafkaBroker.sharedUri())) {
            broker.publish("parley-it.burst", "warm").get(10, TimeUnit.SECONDS);
            List<CompletableFuture<Void>> sent = new ArrayList<>();
            long longest = 0;
            for (int i = 0; i < 50_000; i++) {
                long start = System.nanoTime();
                sent.add(broker.publish("parley-it.burst", "m" + i));
                longest = Math.max(longest, System.nanoTime() - start);
            }
            CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
            assertTrue(longest < Duration.ofSeconds(1).toNanos(), "a publish held its caller " + longest / 1_000_000 + " ms");
        }
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
