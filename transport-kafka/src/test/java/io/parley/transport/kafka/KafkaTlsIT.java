package io.parley.transport.kafka;

import io.parley.api.Broker;
import io.parley.api.BrokerOptions;
import io.parley.api.ConnectionException;
import io.parley.api.RequestOptions;
import io.parley.api.TlsOptions;
import io.parley.tck.TestCertificates;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TLS beyond the kit's rules (section 15), on the private broker's SSL listener, which demands client
 * certificates: Kafka's own {@code kafka.client.ssl.*} settings, which win over
 * {@code BrokerOptions.tls()}, {@code kafka.client.ssl.enabled.protocols} with the options, TLS 1.2, and
 * TLS towards a plain listener.
 */
class KafkaTlsIT {

    private static final TestCertificates CERTIFICATES = TestCertificates.shared();

    private static BrokerOptions.Builder kafkaSslProperties() {
        String password = new String(CERTIFICATES.password());
        return BrokerOptions.builder()
                .property(KafkaProperties.CLIENT_PREFIX + "ssl.truststore.location", CERTIFICATES.trustStore().toString())
                .property(KafkaProperties.CLIENT_PREFIX + "ssl.truststore.password", password)
                .property(KafkaProperties.CLIENT_PREFIX + "ssl.keystore.location", CERTIFICATES.clientKeyStore().toString())
                .property(KafkaProperties.CLIENT_PREFIX + "ssl.keystore.password", password);
    }

    private static void assertServes(String uri, BrokerOptions options) {
        try (Broker broker = Broker.connect(uri, options)) {
            String topic = "tls-" + UUID.randomUUID();
            broker.subscribe(topic, String.class, name -> "Hello, " + name);
            assertEquals("Hello, Ada", broker.rpc().request(topic, "Ada", String.class,
                    RequestOptions.timeout(Duration.ofSeconds(10))).orElse("no answer"));
        }
    }

    @Test
    void kafkasOwnSslPropertiesWorkAsBefore() throws Exception {
        assertServes(KafkaBroker.controlled().tlsUri(), kafkaSslProperties()
                .property(KafkaProperties.CLIENT_PREFIX + "security.protocol", "SSL").build());
    }

    @Test
    void kafkasOwnKeyMaterialWinsOverTheTlsOptions() throws Exception {
        // the options alone would fail (the JVM's CAs do not know the test CA, no client certificate):
        // they only turn TLS on here
        assertServes(KafkaBroker.controlled().tlsUri(), kafkaSslProperties().tls(TlsOptions.builder().build()).build());
    }

    @Test
    void enabledProtocolsApplyWithTheOptions() throws Exception {
        String uri = KafkaBroker.controlled().tlsUri();
        String protocols = KafkaProperties.CLIENT_PREFIX + "ssl.enabled.protocols";
        assertServes(uri, BrokerOptions.builder().tls(CERTIFICATES.clientOptions()).property(protocols, "TLSv1.2").build());
        // over TLS 1.2 the broker refuses a missing client certificate inside the handshake, not after it as in 1.3
        long start = System.nanoTime();
        ConnectionException refused = assertThrows(ConnectionException.class, () -> Broker.connect(uri,
                BrokerOptions.builder().tls(TlsOptions.builder().trustCertificates(CERTIFICATES.caCertificate()).build())
                        .property(protocols, "TLSv1.2").build()).close());
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(5).toNanos(), "took too long");
        assertTrue(refused.getMessage().contains("requires a client certificate"), refused.getMessage());
    }

    @Test
    void tlsTowardsAPlainListenerEndsAtTheConnectTimeoutWithAHint() throws Exception {
        // a plain listener closes a TLS connection without a word: the client cannot tell it from a network fault
        KafkaBroker kafka = KafkaBroker.controlled();
        long start = System.nanoTime();
        ConnectionException refused = assertThrows(ConnectionException.class, () -> Broker.connect(kafka.uri(),
                BrokerOptions.builder().tls(CERTIFICATES.clientOptions()).property(KafkaProperties.CONNECT_TIMEOUT_MS, "2000")
                        .build()).close());
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(5).toNanos(), "took too long");
        assertTrue(refused.getMessage().contains("over TLS") && refused.getMessage().contains("SSL listener"),
                refused.getMessage());
    }
}
