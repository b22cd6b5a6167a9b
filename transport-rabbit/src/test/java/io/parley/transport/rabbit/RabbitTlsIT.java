package io.parley.transport.rabbit;

import io.parley.api.Broker;
import io.parley.api.BrokerOptions;
import io.parley.api.ConnectionException;
import io.parley.api.RequestException;
import io.parley.api.RequestOptions;
import io.parley.api.TlsOptions;
import io.parley.tck.Await;
import io.parley.tck.TestCertificates;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the kit's TLS rules do not cover, on the private node's TLS listener (client certificates
 * required): an {@code amqp://} URI with TLS options, recovery over TLS, the JVM's default context for
 * {@code amqps://} without options, and a missing client certificate named however the TLS 1.3 race
 * between the broker's refusal and the client's writes turns out.
 */
class RabbitTlsIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    /** A failed handshake is reported well within this. */
    private static final long QUICKLY_MILLIS = 2_000;

    private static RabbitNode node;
    private static TestCertificates certificates;

    @BeforeAll
    static void startNode() throws Exception {
        node = RabbitNode.get();
        certificates = node.certificates();
    }

    private static ConnectionException refused(String uri, TlsOptions tls) {
        long start = System.nanoTime();
        ConnectionException e = assertThrows(ConnectionException.class,
                () -> Broker.connect(uri, BrokerOptions.builder().tls(tls).build()).close());
        long took = (System.nanoTime() - start) / 1_000_000;
        assertTrue(took < QUICKLY_MILLIS, "the failure took " + took + " ms");
        assertFalse(e.getMessage().contains(new String(certificates.password())), e.getMessage());
        assertFalse(e.getMessage().contains(node.tlsUri().substring("amqps://".length(), node.tlsUri().indexOf('@'))),
                "the message shows the user's password: " + e.getMessage());
        return e;
    }

    @Test
    void anAmqpUriWithTlsOptionsSpeaksMutualTlsAndRecoversOverIt() throws Exception {
        String name = "parley-tls-" + UUID.randomUUID();
        String queue = "parley-it.tls." + UUID.randomUUID();
        String amqpUri = node.tlsUri().replace("amqps://", "amqp://"); // the options turn TLS on, not the scheme
        BrokerOptions options = BrokerOptions.builder().tls(certificates.clientOptions())
                .property(RabbitProperties.CONNECTION_NAME, name)
                .property(RabbitProperties.RECOVERY_INTERVAL_MS, "200").build();
        try (Broker broker = Broker.connect(amqpUri, options)) {
            broker.subscribe(queue, String.class, body -> "echo " + body);
            assertEquals(Optional.of("echo 1"), broker.rpc().request(queue, "1", String.class, RequestOptions.timeout(TIMEOUT)));
            String listing = node.ctl("list_connections", "-q", "pid", "ssl", "peer_cert_subject", "client_properties");
            List<String> ours = listing.lines().filter(line -> line.contains(name)).toList();
            assertEquals(1, ours.size(), listing);
            assertTrue(ours.get(0).contains("\ttrue\t") && ours.get(0).contains("CN=parley-test-client"),
                    "the broker sees a TLS connection with the client certificate: " + ours.get(0));

            String pid = ours.get(0).substring(0, ours.get(0).indexOf('\t')).strip();
            node.ctl("close_connection", pid, "parley TLS recovery test");
            Await.until("requests are answered again after recovery over TLS", Duration.ofSeconds(30),
                    () -> answered(broker, queue));
        } finally {
            RabbitTestSupport.deleteQueues(node.uri(), List.of(queue));
        }
    }

    private static boolean answered(Broker broker, String queue) {
        try {
            return broker.rpc().request(queue, "2", String.class, RequestOptions.timeout(Duration.ofSeconds(1)))
                    .equals(Optional.of("echo 2"));
        } catch (RequestException stillRecovering) {
            return false;
        }
    }

    @Test
    void aMissingClientCertificateIsNamedEveryTime() throws Exception {
        // in TLS 1.3 the broker's refusal races the client's last handshake message and AMQP header: the
        // client sees the alert, or a reset during or after the handshake; every outcome must say why
        TlsOptions noKey = TlsOptions.builder().trustCertificates(certificates.caCertificate()).build();
        for (int i = 0; i < 20; i++) {
            String message = refused(node.tlsUri(), noKey).getMessage();
            assertTrue(message.contains("requires a client certificate"), "attempt " + i + ": " + message);
        }
        // a user's own context without a key: whether it holds one is not known, so the message asks
        String message = refused(node.tlsUri(), TlsOptions.of(noKey.sslContext())).getMessage();
        assertTrue(message.contains("client certificate"), message);
    }

    @Test
    void amqpsWithoutOptionsTrustsTheJvmCas() {
        // the JVM's CAs do not know the test CA: TLS is on, with the default context
        String message = refused(node.tlsUri(), null).getMessage();
        assertTrue(message.contains("not trusted"), message);
    }

    @Test
    void tlsOptionsOnThePlainPortSayTheBrokerDoesNotSpeakTlsThere() {
        String message = refused(node.uri(), certificates.clientOptions()).getMessage();
        assertTrue(message.contains("does not speak TLS"), message);
    }
}
