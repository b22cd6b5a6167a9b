package io.parley.transport.kafka;

import io.parley.api.BrokerOptions;
import io.parley.tck.Capability;
import io.parley.tck.KitEnvironment;
import io.parley.tck.TestCertificates;
import io.parley.tck.TransportCompatibilityKit;
import org.junit.jupiter.api.AfterAll;

import java.time.Duration;

/**
 * Every rule of the kit against a real Kafka broker (KRaft), started by {@link KafkaBroker}; the fault
 * rules that break the broker against a private one, {@link KafkaBroker#controlled()}, whose SSL
 * listener (client certificates required) serves the TLS rules.
 */
class KafkaTransportCompatibilityIT extends TransportCompatibilityKit {

    /** A password the controlled broker's SASL listener refuses; it must show up in no message or log line. */
    private static final String REFUSED_PASSWORD = "refused-password-5c9e";
    private static KafkaRawSender rawSender;

    @Override
    protected KitEnvironment environment() {
        String uri;
        KafkaBroker controlled;
        try {
            uri = KafkaBroker.sharedUri();
            controlled = KafkaBroker.controlled();
        } catch (Exception e) {
            throw new IllegalStateException("could not start the test Kafka brokers", e);
        }
        synchronized (KafkaTransportCompatibilityIT.class) {
            if (rawSender == null) {
                rawSender = new KafkaRawSender(uri);
            }
        }
        BrokerOptions refused = BrokerOptions.builder()
                .property(KafkaProperties.CLIENT_PREFIX + "security.protocol", "SASL_PLAINTEXT")
                .property(KafkaProperties.CLIENT_PREFIX + "sasl.mechanism", "PLAIN")
                .property(KafkaProperties.CLIENT_PREFIX + "sasl.jaas.config",
                        "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                                + KafkaBroker.SASL_USER + "\" password=\"" + REFUSED_PASSWORD + "\";")
                .build();
        return KitEnvironment.builder(uri, "kafka")
                .brokerControl(controlled.control())
                .rawSender(rawSender)
                .refusedLogin(controlled.saslUri(), refused, REFUSED_PASSWORD)
                .tls(controlled.tlsUri(), controlled.tlsOtherHostUri(), TestCertificates.shared())
                .bodyLimit(8 * 1024 * 1024) // kafka.max-message-bytes by default
                // subscribe's documented bound: the session timeout (10 s) plus kafka.connect-timeout-ms (15 s)
                .memberTimeout(Duration.ofSeconds(25))
                .lacks(Capability.NO_RESPONDERS, "Kafka cannot tell that a topic has no consumer")
                .lacks(Capability.GROUP_WORK_SHARING, "topics Parley creates have 1 partition (kafka.partitions), and a"
                        + " group shares work only across partitions")
                .build();
    }

    @AfterAll
    static void closeRawSender() {
        synchronized (KafkaTransportCompatibilityIT.class) {
            if (rawSender != null) {
                rawSender.close();
                rawSender = null;
            }
        }
    }
}
