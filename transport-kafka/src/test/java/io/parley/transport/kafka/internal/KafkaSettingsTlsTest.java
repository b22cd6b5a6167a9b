package io.parley.transport.kafka.internal;

import io.parley.api.BrokerOptions;
import io.parley.api.TlsOptions;
import io.parley.spi.ReplyListener;
import io.parley.spi.TransportContext;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How BrokerOptions.tls() becomes Kafka client settings (no broker: the connections are in KafkaTlsIT and the kit). */
class KafkaSettingsTlsTest {

    private static final TlsOptions TLS = TlsOptions.builder().build(); // the JVM's CAs: no file needed

    private static KafkaSettings settings(BrokerOptions options) {
        return KafkaSettings.from(new TransportContext() {
            @Override
            public URI uri() {
                return URI.create("kafka://localhost:9093");
            }

            @Override
            public String redactedUri() {
                return "kafka://localhost:9093";
            }

            @Override
            public BrokerOptions options() {
                return options;
            }

            @Override
            public ReplyListener replies() {
                throw new UnsupportedOperationException();
            }
        });
    }

    private static Map<String, Object> client(BrokerOptions.Builder options) {
        return settings(options.build()).client;
    }

    @Test
    void withoutOptionsNothingChanges() {
        KafkaSettings settings = settings(BrokerOptions.builder().build());
        assertTrue(settings.client.isEmpty(), settings.client.toString());
        assertFalse(settings.tls());
        assertEquals("localhost", settings.host);
    }

    @Test
    void theOptionsTurnTlsOnWithParleysEngineFactory() {
        KafkaSettings settings = settings(BrokerOptions.builder().tls(TLS).build());
        assertEquals("SSL", settings.client.get("security.protocol"));
        assertEquals(TlsEngineFactory.class, settings.client.get("ssl.engine.factory.class"));
        assertSame(TLS, settings.client.get(TlsEngineFactory.OPTIONS));
        assertTrue(settings.tls());
    }

    @Test
    void aPlainProtocolBecomesItsTlsCounterpart() {
        assertEquals("SSL", client(BrokerOptions.builder().tls(TLS)
                .property("kafka.client.security.protocol", "PLAINTEXT")).get("security.protocol"));
        assertEquals("SASL_SSL", client(BrokerOptions.builder().tls(TLS)
                .property("kafka.client.security.protocol", "SASL_PLAINTEXT")).get("security.protocol"));
        assertEquals("SASL_SSL", client(BrokerOptions.builder().tls(TLS)
                .property("kafka.client.security.protocol", "sasl_ssl")).get("security.protocol"));
    }

    @Test
    void kafkasOwnKeyMaterialWins() {
        Map<String, Object> client = client(BrokerOptions.builder()
                .tls(TlsOptions.builder().hostnameVerification(false).build())
                .property("kafka.client.ssl.truststore.location", "/etc/kafka/trust.p12"));
        assertEquals("SSL", client.get("security.protocol"));
        assertNull(client.get("ssl.engine.factory.class"));
        assertNull(client.get(TlsEngineFactory.OPTIONS));
        assertEquals("", client.get("ssl.endpoint.identification.algorithm"), "the options' switch still turns the check off");
    }
}
