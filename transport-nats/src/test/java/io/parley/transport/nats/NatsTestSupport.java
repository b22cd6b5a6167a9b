package io.parley.transport.nats;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.parley.tck.BrokerProcess;
import io.parley.tck.TestCertificates;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/** Where the tests' NATS servers are, and small helpers shared by the ITs. */
final class NatsTestSupport {

    /** The shared server: PARLEY_NATS_URI, or the one scripts/test.sh makes sure of. */
    static final String URI = System.getenv().getOrDefault("PARLEY_NATS_URI", "nats://127.0.0.1:4222");

    /** The user of the private fault server, which checks credentials (so that a login can be refused). */
    static final String FAULT_USER = "parley";
    static final String FAULT_PASSWORD = "pw-" + UUID.randomUUID();

    private static BrokerProcess faultServer;
    private static BrokerProcess tlsServer;

    private NatsTestSupport() {
    }

    /** The connected server's max_payload, read from its INFO. */
    static long serverMaxPayload() throws Exception {
        try (Connection connection = Nats.connect(URI)) {
            return connection.getServerInfo().getMaxPayload();
        }
    }

    /**
     * A private nats-server with a user and password, for the tests that kill, freeze and restart a
     * server: started once per test JVM, killed at its end. Its URI carries the credentials.
     */
    static synchronized BrokerProcess faultServer() throws Exception {
        if (faultServer == null) {
            int port = BrokerProcess.freePort();
            faultServer = new BrokerProcess("nats-server", faultUri(port, FAULT_PASSWORD), port,
                    () -> new ProcessBuilder("nats-server", "-a", "127.0.0.1", "-p", Integer.toString(port),
                            "--user", FAULT_USER, "--pass", FAULT_PASSWORD)).start();
            killAtExit(faultServer);
        }
        return faultServer;
    }

    /**
     * A private nats-server that speaks TLS only and requires a client certificate signed by the CA of
     * {@link TestCertificates#shared()} (its own certificate names 127.0.0.1 only): started once per
     * test JVM, killed at its end. Its URI is {@code tls://127.0.0.1:<port>}.
     */
    static synchronized BrokerProcess tlsServer() throws Exception {
        if (tlsServer == null) {
            tlsServer = start("tls://127.0.0.1:%d", tlsConfig(TestCertificates.shared()));
            killAtExit(tlsServer);
        }
        return tlsServer;
    }

    /** nats-server's configuration for TLS only, with the server certificate of {@code certificates}, client certificates required. */
    static String tlsConfig(TestCertificates certificates) {
        return String.join("\n",
                "tls {",
                "  cert_file: " + quoted(certificates.serverCertificate()),
                "  key_file: " + quoted(certificates.serverKey()),
                "  ca_file: " + quoted(certificates.caCertificate()),
                "  verify: true",
                "  timeout: 2",
                "}");
    }

    /**
     * Starts a nats-server on 127.0.0.1 and a free port with {@code config} (nats-server's configuration
     * format, without {@code listen}); the caller stops it. {@code uriFormat} makes its URI from the port.
     */
    static BrokerProcess start(String uriFormat, String config) throws Exception {
        return server(BrokerProcess.freePort(), uriFormat, config).start();
    }

    /** {@link #start(String, String)} on {@code port}, not started yet. */
    static BrokerProcess server(int port, String uriFormat, String config) throws Exception {
        Path file = Files.createTempFile("parley-nats-", ".conf");
        file.toFile().deleteOnExit();
        Files.writeString(file, "listen: 127.0.0.1:" + port + "\n" + config + "\n");
        return new BrokerProcess("nats-server", String.format(uriFormat, port), port,
                () -> new ProcessBuilder("nats-server", "-c", file.toString()));
    }

    /** A path as a quoted string of nats-server's configuration. */
    static String quoted(Path path) {
        return "\"" + path.toAbsolutePath().toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static void killAtExit(BrokerProcess server) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.close();
            } catch (Exception ignored) {
                // the JVM is exiting
            }
        }));
    }

    /** Writes {@code text} to a new file in a temporary directory removed at exit. */
    static Path writeTemp(String name, String text) throws IOException {
        Path dir = Files.createTempDirectory("parley-nats-");
        dir.toFile().deleteOnExit();
        Path file = dir.resolve(name);
        Files.writeString(file, text);
        file.toFile().deleteOnExit();
        return file;
    }

    /** The fault server's URI with {@code password} (a wrong one for refused logins). */
    static String faultUri(int port, String password) {
        return "nats://" + FAULT_USER + ":" + password + "@127.0.0.1:" + port;
    }
}
