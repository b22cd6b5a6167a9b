package io.parley.tck;

import io.parley.api.ConfigurationException;
import io.parley.api.TlsOptions;
import io.parley.spi.TlsSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link TlsOptions} builds working contexts from the test CA's files in every form, and
 * {@link TlsSupport#describeFailure} names each handshake failure, against an in-JVM TLS server that
 * demands client certificates (the brokers' own TLS is checked by the kit's section 15).
 */
class TlsHandshakeTest {

    private static TestCertificates certificates;
    private static SSLServerSocket server;
    private static Thread acceptor;

    @BeforeAll
    static void startServer() throws Exception {
        certificates = TestCertificates.shared();
        server = (SSLServerSocket) certificates.serverContext().getServerSocketFactory().createServerSocket(0, 50,
                InetAddress.getLoopbackAddress());
        server.setNeedClientAuth(true);
        acceptor = new Thread(() -> {
            while (!server.isClosed()) {
                try (Socket socket = server.accept()) {
                    ((SSLSocket) socket).startHandshake();
                    socket.getOutputStream().write('+');
                    socket.getOutputStream().flush();
                } catch (IOException refusedOrClosed) {
                    // a refused handshake is what most tests are about
                }
            }
        }, "tls-test-server");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
        acceptor.join(5_000);
    }

    /** Connects, shakes hands with the client settings Parley's transports use, and reads the server's byte. */
    private static Exception handshake(TlsOptions tls, String host) {
        SSLContext context = tls.sslContext();
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(host, server.getLocalPort())) {
            socket.setSoTimeout(5_000);
            socket.setSSLParameters(TlsSupport.clientParameters(context, tls.hostnameVerification()));
            socket.startHandshake();
            int read = socket.getInputStream().read(); // TLS 1.3 reports a refused client certificate here
            return read == '+' ? null : new IOException("the server closed the connection");
        } catch (Exception e) {
            return e;
        }
    }

    private static String described(Exception failure) {
        assertNotNull(failure, "the handshake must fail");
        return TlsSupport.describeFailure(failure, "127.0.0.1")
                .orElseThrow(() -> new AssertionError("not recognised as a TLS failure: " + failure))
                .toLowerCase(Locale.ROOT);
    }

    @Test
    void everyFormOfTrustAndKeyWorks() {
        assertEquals(null, handshake(certificates.clientOptions(), "127.0.0.1"));
        assertEquals(null, handshake(TlsOptions.builder().trustCertificates(certificates.caCertificate())
                .certificate(certificates.clientCertificate(), certificates.clientKey()).build(), "127.0.0.1"));
    }

    @Test
    void anUntrustedServerIsNamed() {
        TlsOptions noTrust = TlsOptions.builder().keyStore(certificates.clientKeyStore(), certificates.password()).build();
        assertTrue(described(handshake(noTrust, "127.0.0.1")).contains("not trusted"));
    }

    @Test
    void aHostTheCertificateDoesNotNameIsNamed() {
        String text = described(handshake(certificates.clientOptions(), "localhost"));
        assertTrue(text.contains("host name") && text.contains("'127.0.0.1'"), text);
        TlsOptions unchecked = TlsOptions.builder().trustStore(certificates.trustStore(), certificates.password())
                .keyStore(certificates.clientKeyStore(), certificates.password()).hostnameVerification(false).build();
        assertEquals(null, handshake(unchecked, "localhost"));
    }

    @Test
    void aMissingClientCertificateIsNamed() {
        TlsOptions noKey = TlsOptions.builder().trustCertificates(certificates.caCertificate()).build();
        assertTrue(described(handshake(noKey, "127.0.0.1")).contains("client certificate"));
    }

    @Test
    void aFailureThatIsNotTlsIsNotDescribed() {
        assertTrue(TlsSupport.describeFailure(new IOException("Connection refused"), "127.0.0.1").isEmpty());
    }

    @Test
    void everyProblemOfTheFilesIsListedWithoutPasswords(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        Path notAKey = Files.writeString(dir.resolve("key.pem"), "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
        char[] wrong = "wrong-password-123".toCharArray();
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> TlsOptions.builder()
                .trustStore(certificates.trustStore(), wrong)
                .certificate(dir.resolve("missing.pem"), notAKey)
                .build());
        assertEquals(3, e.problems().size(), e.problems().toString());
        String all = e.getMessage();
        assertTrue(all.contains("does not open with the given password"), all);
        assertTrue(all.contains("missing.pem"), all);
        assertTrue(all.contains("BEGIN PRIVATE KEY"), all);
        assertFalse(all.contains("wrong-password-123"), all);
        assertThrows(ConfigurationException.class, () -> TlsOptions.builder()
                .sslContext(certificates.clientOptions().sslContext())
                .trustCertificates(certificates.caCertificate()).build());
        assertFalse(certificates.clientOptions().toString().contains(new String(certificates.password())));
    }
}
