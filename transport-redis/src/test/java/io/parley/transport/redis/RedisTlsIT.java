package io.parley.transport.redis;

import io.parley.tck.Await;
import io.parley.api.Broker;
import io.parley.api.ConnectionException;
import io.parley.api.RequestOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code rediss://}: a private redis-server that only speaks TLS, with a certificate from a CA the
 * test makes with openssl. The JVM's default SSL context trusts that CA for the test's duration.
 */
class RedisTlsIT {

    private Path directory;
    private Process redis;
    private int port;
    private SSLContext previousDefault;

    private void run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true)
                .redirectOutput(directory.resolve("openssl.log").toFile()).start();
        assumeTrue(process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0,
                "openssl could not make the test certificates: " + String.join(" ", command));
    }

    @BeforeEach
    void startTlsRedis() throws Exception {
        directory = Files.createTempDirectory("parley-redis-tls-");
        try {
            run("openssl", "version");
        } catch (IOException e) {
            assumeTrue(false, "openssl is not installed: the TLS test needs it to make certificates");
        }
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
                "-days", "2", "-subj", "/CN=parley-test-ca");
        run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
                "-subj", "/CN=127.0.0.1");
        Files.writeString(directory.resolve("ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
        run("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", "server.crt", "-days", "2", "-extfile", "ext.cnf");
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        redis = new ProcessBuilder("redis-server", "--port", "0", "--tls-port", Integer.toString(port), "--bind",
                "127.0.0.1", "--tls-cert-file", "server.crt", "--tls-key-file", "server.key", "--tls-ca-cert-file",
                "ca.crt", "--tls-auth-clients", "no", "--save", "", "--appendonly", "no", "--dir", directory.toString())
                .directory(directory.toFile()).redirectErrorStream(true)
                .redirectOutput(directory.resolve("redis.log").toFile()).start();
        Await.until("the TLS redis-server listens", Duration.ofSeconds(10), () -> {
            try (Socket ignored = new Socket("127.0.0.1", port)) {
                return true;
            } catch (IOException e) {
                return false;
            }
        });
        KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
        trusted.load(null, null);
        try (InputStream ca = Files.newInputStream(directory.resolve("ca.crt"))) {
            trusted.setCertificateEntry("parley-test-ca", CertificateFactory.getInstance("X.509").generateCertificate(ca));
        }
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        previousDefault = SSLContext.getDefault();
        SSLContext.setDefault(context);
    }

    @AfterEach
    void stop() throws Exception {
        if (previousDefault != null) {
            SSLContext.setDefault(previousDefault);
        }
        if (redis != null) {
            redis.destroyForcibly();
            redis.waitFor(10, TimeUnit.SECONDS);
        }
        try (var files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }

    @Test
    void requestsTravelOverTls() {
        try (Broker server = Broker.connect("rediss://127.0.0.1:" + port);
             Broker client = Broker.connect("rediss://127.0.0.1:" + port)) {
            for (String destination : List.of("tls.channel", "list:tls.list", "stream:tls.stream")) {
                server.subscribe(destination, String.class, body -> "tls:" + body);
                assertEquals("tls:ü", client.rpc().request(destination, "ü", RequestOptions.timeout(Duration.ofSeconds(5)))
                        .orElseThrow().bodyAsString());
            }
        }
    }

    @Test
    void plainRedisOnATlsPortIsAConnectionException() {
        assertThrows(ConnectionException.class, () -> Broker.connect("redis://127.0.0.1:" + port,
                io.parley.api.BrokerOptions.builder().property(RedisProperties.TIMEOUT_MS, "1000").build()));
    }
}
