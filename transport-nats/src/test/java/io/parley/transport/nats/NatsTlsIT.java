package io.parley.transport.nats;

import io.parley.api.Broker;
import io.parley.api.BrokerOptions;
import io.parley.api.ConnectionException;
import io.parley.api.RequestException;
import io.parley.api.RequestOptions;
import io.parley.api.TlsOptions;
import io.parley.tck.Await;
import io.parley.tck.BrokerProcess;
import io.parley.tck.ConsoleCapture;
import io.parley.tck.TestCertificates;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the kit's TLS rules (SPEC Section 15) do not look at, against the private TLS server (client
 * certificates required): the {@code tls://} scheme without options, TLS options on a {@code nats://}
 * URI, plain and TLS ends that do not match, a restart of the server, and close.
 */
class NatsTlsIT {

    private static final Duration QUICKLY = Duration.ofSeconds(5);

    private BrokerProcess server;
    private TestCertificates certificates;

    @BeforeEach
    void server() throws Exception {
        server = NatsTestSupport.tlsServer();
        certificates = TestCertificates.shared();
    }

    @Test
    void tlsSchemeWithoutOptionsTrustsTheJvmsCasAndSaysWhatFailed() {
        // the JVM's CAs do not know the test CA: the message must say so, not "check that nats-server runs"
        try (ConsoleCapture logs = ConsoleCapture.start()) {
            ConnectionException e = refused(server.uri(), null);
            assertTrue(e.getMessage().contains("TLS: the certificate of the broker at 127.0.0.1 is not trusted"), e.getMessage());
            assertEquals("", logs.text(), "a TLS failure at connect is told by its exception only");
        }
    }

    @Test
    void tlsOptionsTurnTlsOnWhateverTheScheme() {
        String plainScheme = "nats://127.0.0.1:" + server.port();
        try (Broker service = Broker.connect(plainScheme, options(certificates.clientOptions()));
             Broker client = Broker.connect(plainScheme, options(certificates.clientOptions()))) {
            service.subscribe("parley-it.tls", String.class, name -> "Hello, " + name);
            assertEquals(Optional.of("Hello, Ada"), client.rpc().request("parley-it.tls", "Ada", String.class,
                    RequestOptions.timeout(QUICKLY)));
        }
    }

    @Test
    void plainConnectToTheTlsServerSaysThatItRequiresTls() {
        ConnectionException e = refused("nats://127.0.0.1:" + server.port(), null);
        assertTrue(e.getMessage().contains("requires TLS"), e.getMessage());
    }

    @Test
    void tlsConnectToAPlainServerSaysThatItDoesNotSpeakTls() throws Exception {
        BrokerProcess plain = NatsTestSupport.faultServer();
        ConnectionException e = refused(NatsTestSupport.faultUri(plain.port(), NatsTestSupport.FAULT_PASSWORD),
                certificates.clientOptions());
        assertTrue(e.getMessage().contains("does not speak TLS"), e.getMessage());
        assertFalse(e.getMessage().contains(NatsTestSupport.FAULT_PASSWORD), e.getMessage());
    }

    @Test
    void sameBrokerServesAgainAfterTheTlsServerRestarts() throws Exception {
        try (Broker service = Broker.connect(server.uri(), options(certificates.clientOptions()));
             Broker client = Broker.connect(server.uri(), options(certificates.clientOptions()))) {
            service.subscribe("parley-it.tls-restart", String.class, name -> "Hello, " + name);
            server.restart();
            // reconnected over TLS (host name checked again), subscription restored
            Await.until("a request over TLS is answered after the restart", Duration.ofSeconds(15), () -> {
                try {
                    return client.rpc().request("parley-it.tls-restart", "Ada", String.class,
                            RequestOptions.timeout(Duration.ofMillis(500))).isPresent();
                } catch (RequestException e) { // sent on the lost connection
                    return false;
                }
            });
        }
    }

    @Test
    void closeIsQuickAndNothingIsLeftBehindEvenAfterRefusedHandshakes() {
        Set<Thread> before = Set.copyOf(Thread.getAllStackTraces().keySet());
        refused(server.uri(), TlsOptions.builder().trustCertificates(certificates.caCertificate()).build()); // no client certificate
        refused("tls://localhost:" + server.port(), certificates.clientOptions()); // host name mismatch
        for (int i = 0; i < 3; i++) {
            Broker broker = Broker.connect(server.uri(), options(certificates.clientOptions()));
            broker.subscribe("parley-it.tls-close", String.class, body -> body);
            long start = System.nanoTime();
            broker.close();
            long took = (System.nanoTime() - start) / 1_000_000;
            // jnats waits 1 s for its reader at each close of a TLS socket; the guarded data port ends the read
            assertTrue(took < 900, "close took " + took + " ms");
        }
        Await.until("every thread of the TLS connections ends", Duration.ofSeconds(10), () -> newThreads(before).isEmpty());
    }

    @Test
    void aReconnectThatFailsOnTlsIsLoggedOnceWithTheReason() throws Exception {
        Path directory = Files.createTempDirectory("parley-tls-other-");
        directory.toFile().deleteOnExit();
        TestCertificates otherCa = TestCertificates.create(directory);
        try (var files = Files.list(directory)) {
            files.forEach(file -> file.toFile().deleteOnExit());
        }
        BrokerProcess first = NatsTestSupport.start("tls://127.0.0.1:%d", NatsTestSupport.tlsConfig(certificates));
        // a server with a certificate from another CA, on the same port while the first one is away
        BrokerProcess impostor = NatsTestSupport.server(first.port(), "tls://127.0.0.1:%d", NatsTestSupport.tlsConfig(otherCa));
        try (Broker broker = Broker.connect(first.uri(), options(certificates.clientOptions()));
             ConsoleCapture logs = ConsoleCapture.start()) {
            broker.subscribe("parley-it.tls-impostor", String.class, name -> "Hello, " + name);
            first.kill();
            impostor.start();
            Await.until("three reconnect attempts fail their handshake", Duration.ofSeconds(20),
                    () -> handshakeErrors(impostor) >= 3);
            assertEquals(1, logs.lines("Reconnecting to NATS at " + first.uri() + " fails: TLS: the certificate of the"
                    + " broker at 127.0.0.1 is not trusted"), logs.text());
            assertEquals(2, logs.lines(" WARN "), "the outage and its reason, once each: " + logs.text());
            impostor.kill();
            first.start();
            Await.until("the broker is back with the right server", Duration.ofSeconds(15),
                    () -> logs.lines("Reconnected to NATS at " + first.uri()) == 1);
        } finally {
            first.close();
            impostor.close(); // waits until the port is free
        }
    }

    private static long handshakeErrors(BrokerProcess server) {
        try (var lines = Files.lines(server.log().toPath())) {
            return lines.filter(line -> line.contains("TLS handshake error")).count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Connecting fails with a ConnectionException, within {@link #QUICKLY}. */
    private static ConnectionException refused(String uri, TlsOptions tls) {
        long start = System.nanoTime();
        ConnectionException e = assertThrows(ConnectionException.class, () -> Broker.connect(uri, options(tls)).close());
        long took = (System.nanoTime() - start) / 1_000_000;
        assertTrue(took < QUICKLY.toMillis(), "took " + took + " ms: " + e.getMessage());
        return e;
    }

    private static BrokerOptions options(TlsOptions tls) {
        return BrokerOptions.builder().tls(tls).build();
    }

    private static List<String> newThreads(Set<Thread> before) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && !before.contains(t) && !t.getName().startsWith("ForkJoinPool.commonPool"))
                .map(Thread::getName).toList();
    }
}
