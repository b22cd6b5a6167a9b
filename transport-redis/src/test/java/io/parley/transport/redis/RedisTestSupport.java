package io.parley.transport.redis;

import io.parley.api.BrokerOptions;
import io.parley.tck.BrokerProcess;
import io.parley.tck.Capability;
import io.parley.tck.KitEnvironment;
import io.parley.tck.TestCertificates;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.UUID;

/**
 * The shared Redis of the tests, the private one the kit's fault rules break, the private TLS one of
 * the TLS rules, and the kit's environments.
 */
final class RedisTestSupport {

    static final String URI = uri();

    private static BrokerProcess faultServer;
    private static BrokerProcess tlsServer;

    private RedisTestSupport() {
    }

    private static String uri() {
        String value = System.getenv("PARLEY_REDIS_URI");
        return value == null || value.isBlank() ? "redis://127.0.0.1:6379" : value.strip();
    }

    /**
     * The kit's environment for one kind of destination ({@code ""}, {@code "list:"} or
     * {@code "stream:"}): the shared Redis for every rule, the private fault server for the rules
     * that break the broker and for the refused login, the private TLS server for the TLS rules, a
     * raw sender for the poisons.
     */
    static KitEnvironment.Builder kitEnvironment(String kind) {
        BrokerProcess control;
        BrokerProcess tls;
        try {
            control = faultServer();
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the private redis-server for the fault rules", e);
        }
        try {
            tls = tlsServer();
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the private TLS redis-server for the TLS rules", e);
        }
        String wrongPassword = "refused-" + UUID.randomUUID();
        KitEnvironment.Builder builder = KitEnvironment.builder(URI, "redis")
                .destinationPrefix(kind + "parley-tck")
                .brokerControl(control)
                .rawSender(new RedisRawSender(URI, kind))
                .refusedLogin("redis://:" + wrongPassword + "@127.0.0.1:" + control.port(), BrokerOptions.defaults(),
                        wrongPassword)
                .tls(tls.uri(), "rediss://localhost:" + tls.port(), TestCertificates.shared());
        if (!kind.equals("stream:")) {
            builder.lacks(Capability.AT_LEAST_ONCE, kind.equals("list:")
                    ? "a list element is gone once popped: one popped by a member that dies is lost (use stream:)"
                    : "Pub/Sub keeps nothing: a message a dying member was handling is gone (use stream:)");
        }
        return builder;
    }

    /**
     * A private redis-server for the kit's fault rules, started once per test JVM and killed at its
     * end: a password (so a wrong one can be refused) and an append-only file synced on every write,
     * so that a restart after {@code kill -9} comes back with the same data, as the rules assume.
     */
    static synchronized BrokerProcess faultServer() throws Exception {
        if (faultServer == null) {
            int port = BrokerProcess.freePort();
            Path directory = Files.createTempDirectory("parley-redis-faults-");
            String password = "kit-" + UUID.randomUUID();
            BrokerProcess server = new BrokerProcess("redis-server", "redis://:" + password + "@127.0.0.1:" + port,
                    port, () -> new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind",
                    "127.0.0.1", "--requirepass", password, "--save", "", "--appendonly", "yes", "--appendfsync",
                    "always", "--dir", directory.toString()).directory(directory.toFile()))
                    .readyWhen(() -> {
                        try (Jedis jedis = new Jedis("127.0.0.1", port)) {
                            jedis.auth(password);
                            return "PONG".equals(jedis.ping()); // not -LOADING: the append-only file is read
                        } catch (RuntimeException e) {
                            return false;
                        }
                    });
            faultServer = startUntilExit(server, directory);
        }
        return faultServer;
    }

    /**
     * A private redis-server for the TLS rules, started once per test JVM and killed at its end: TLS
     * only ({@code --port 0}), with the server certificate of {@link TestCertificates#shared()} (for
     * 127.0.0.1 only), and client certificates from its CA required.
     */
    static synchronized BrokerProcess tlsServer() throws Exception {
        if (tlsServer == null) {
            TestCertificates certificates = TestCertificates.shared();
            int port = BrokerProcess.freePort();
            Path directory = Files.createTempDirectory("parley-redis-tls-");
            // plain jedis, not the transport, checks that it is up: the server apart from what is tested
            DefaultJedisClientConfig probe = DefaultJedisClientConfig.builder().ssl(true).autoNegotiateProtocol(false)
                    .sslSocketFactory(certificates.clientOptions().sslContext().getSocketFactory()).build();
            BrokerProcess server = new BrokerProcess("redis-server-tls", "rediss://127.0.0.1:" + port, port,
                    () -> new ProcessBuilder("redis-server", "--port", "0", "--tls-port", Integer.toString(port),
                            "--bind", "127.0.0.1", "--tls-cert-file", certificates.serverCertificate().toString(),
                            "--tls-key-file", certificates.serverKey().toString(), "--tls-ca-cert-file",
                            certificates.caCertificate().toString(), "--tls-auth-clients", "yes", "--save", "",
                            "--appendonly", "no", "--dir", directory.toString()).directory(directory.toFile()))
                    .readyWhen(() -> {
                        try (Jedis jedis = new Jedis(new HostAndPort("127.0.0.1", port), probe)) {
                            return "PONG".equals(jedis.ping());
                        } catch (RuntimeException e) {
                            return false;
                        }
                    });
            tlsServer = startUntilExit(server, directory);
        }
        return tlsServer;
    }

    private static BrokerProcess startUntilExit(BrokerProcess server, Path directory) throws Exception {
        server.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.close();
                try (var files = Files.walk(directory)) {
                    files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
                }
            } catch (Exception ignored) {
                // the JVM is exiting
            }
        }));
        return server;
    }

    /** Deletes the keys (lists, streams) a test run left behind, so the shared Redis does not fill up. */
    static void deleteKeys(String pattern) {
        try (Jedis jedis = new Jedis(java.net.URI.create(URI))) {
            String cursor = ScanParams.SCAN_POINTER_START;
            do {
                ScanResult<String> page = jedis.scan(cursor, new ScanParams().match(pattern).count(500));
                if (!page.getResult().isEmpty()) {
                    jedis.del(page.getResult().toArray(new String[0]));
                }
                cursor = page.getCursor();
            } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
        }
    }
}
