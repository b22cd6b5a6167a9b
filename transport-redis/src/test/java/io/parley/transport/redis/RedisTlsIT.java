package io.parley.transport.redis;

import io.parley.api.Broker;
import io.parley.api.BrokerOptions;
import io.parley.api.ConnectionException;
import io.parley.api.RequestOptions;
import io.parley.api.SubscribeOptions;
import io.parley.api.TlsOptions;
import io.parley.tck.BrokerProcess;
import io.parley.tck.TestCertificates;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLContext;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TLS beyond the kit's section 15, against the same private redis-server (TLS only, client
 * certificates required, a certificate for 127.0.0.1 only): every connection the transport opens
 * uses the options' TLS, {@code rediss://} without options checks the host name too, a missing
 * client certificate is named every time, and the wrong protocol on either side is a
 * {@link ConnectionException}.
 */
class RedisTlsIT {

    private static final Logger log = LoggerFactory.getLogger(RedisTlsIT.class);
    private static final RequestOptions FIVE_SECONDS = RequestOptions.timeout(Duration.ofSeconds(5));

    private static BrokerProcess server;
    private static TestCertificates certificates;

    @BeforeAll
    static void tlsRedis() throws Exception {
        server = RedisTestSupport.tlsServer();
        certificates = TestCertificates.shared();
    }

    /**
     * The server speaks nothing but TLS and wants the client certificate, so each kind of connection
     * (the command pool, the reply pattern, a channel, a channel group's claims, the list and stream
     * readers) that answers proves it was opened with the options; and the options turn TLS on for
     * a {@code redis://} URI.
     */
    @Test
    void everyConnectionUsesTheTlsOptionsWhateverTheScheme() {
        BrokerOptions options = BrokerOptions.builder().tls(certificates.clientOptions()).build();
        String uri = "redis://127.0.0.1:" + server.port();
        String id = UUID.randomUUID().toString().substring(0, 8);
        try (Broker service = Broker.connect(uri, options); Broker client = Broker.connect(uri, options)) {
            for (String destination : List.of("tls.channel.", "list:tls.list.", "stream:tls.stream.")) {
                service.subscribe(destination + id, String.class, body -> "tls:" + body);
                assertEquals("tls:ü", client.rpc().request(destination + id, "ü", FIVE_SECONDS).orElseThrow().bodyAsString());
            }
            for (String destination : List.of("tls.group.", "stream:tls.group.")) {
                service.subscribe(destination + id, String.class, SubscribeOptions.group("members"), body -> "group:" + body);
                assertEquals("group:Ada", client.rpc().request(destination + id, "Ada", FIVE_SECONDS).orElseThrow()
                        .bodyAsString());
            }
        }
    }

    /** What the README promises for {@code rediss://} alone: the JVM's default context, and the host name checked. */
    @Test
    void redissWithoutTlsOptionsUsesTheJvmContextAndChecksTheHostName() throws Exception {
        SSLContext previous = SSLContext.getDefault();
        SSLContext.setDefault(certificates.clientOptions().sslContext()); // trusts the test CA, shows the client certificate
        try {
            try (Broker broker = Broker.connect("rediss://127.0.0.1:" + server.port())) {
                String destination = "tls.default." + UUID.randomUUID();
                broker.subscribe(destination, String.class, body -> "default:" + body);
                assertEquals("default:Ada", broker.rpc().request(destination, "Ada", FIVE_SECONDS).orElseThrow()
                        .bodyAsString());
            }
            // the certificate names 127.0.0.1 only
            String message = refused(() -> Broker.connect("rediss://localhost:" + server.port()).close());
            assertTrue(message.contains("host name mismatch"), message);
        } finally {
            SSLContext.setDefault(previous);
        }
    }

    /**
     * TLS 1.3 lets the client finish its handshake before the server refuses the missing certificate,
     * so the refusal reaches the client as an alert or as a closed connection, by chance: each time the
     * message must say what happened.
     */
    @Test
    void aMissingClientCertificateIsNamedEveryTime() {
        BrokerOptions options = BrokerOptions.builder()
                .tls(TlsOptions.builder().trustCertificates(certificates.caCertificate()).build()).build();
        for (int i = 0; i < 20; i++) {
            String message = refused(() -> Broker.connect("rediss://127.0.0.1:" + server.port(), options).close());
            assertTrue(message.contains("requires a client certificate"), "attempt " + i + ": " + message);
        }
    }

    @Test
    void plainRedisOnTheTlsPortIsAConnectionException() {
        refused(() -> Broker.connect("redis://127.0.0.1:" + server.port(),
                BrokerOptions.builder().property(RedisProperties.TIMEOUT_MS, "1000").build()).close());
    }

    /** A plain Redis never answers a TLS hello (it waits for the end of a command): the message says what that can mean. */
    @Test
    void tlsToAPlainRedisIsAnUnansweredHandshake() {
        String message = refused(() -> Broker.connect(RedisTestSupport.URI.replaceFirst("^redis:", "rediss:"),
                BrokerOptions.builder().tls(certificates.clientOptions()).property(RedisProperties.TIMEOUT_MS, "500")
                        .build()).close());
        assertTrue(message.contains("no answer to the TLS handshake within 500 ms"), message);
        assertTrue(message.contains("does not speak TLS"), message);
    }

    /** The connect fails with a ConnectionException within two seconds; returns its message. */
    private static String refused(Executable connect) {
        long start = System.nanoTime();
        ConnectionException refused = assertThrows(ConnectionException.class, connect);
        long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(took < 2_000, "the connect took " + took + " ms to fail: " + refused.getMessage());
        log.info("refused in {} ms: {}", took, refused.getMessage());
        return refused.getMessage();
    }
}
