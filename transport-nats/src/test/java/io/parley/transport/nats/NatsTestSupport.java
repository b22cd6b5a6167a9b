package io.parley.transport.nats;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.parley.tck.BrokerProcess;

import java.util.UUID;

/** Where the tests' NATS servers are, and small helpers shared by the ITs. */
final class NatsTestSupport {

    /** The shared server: PARLEY_NATS_URI, or the one scripts/test.sh makes sure of. */
    static final String URI = System.getenv().getOrDefault("PARLEY_NATS_URI", "nats://127.0.0.1:4222");

    /** The user of the private fault server, which checks credentials (so that a login can be refused). */
    static final String FAULT_USER = "parley";
    static final String FAULT_PASSWORD = "pw-" + UUID.randomUUID();

    private static BrokerProcess faultServer;

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
            BrokerProcess started = faultServer;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    started.close();
                } catch (Exception ignored) {
                    // the JVM is exiting
                }
            }));
        }
        return faultServer;
    }

    /** The fault server's URI with {@code password} (a wrong one for refused logins). */
    static String faultUri(int port, String password) {
        return "nats://" + FAULT_USER + ":" + password + "@127.0.0.1:" + port;
    }
}
