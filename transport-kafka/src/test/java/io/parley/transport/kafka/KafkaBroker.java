package io.parley.transport.kafka;

import io.parley.tck.BrokerControl;
import io.parley.tck.BrokerProcess;
import io.parley.tck.TestCertificates;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real Kafka 4 broker (KRaft: broker and controller in one process) for the tests, run as a child
 * JVM from the kafka_2.13 artifacts on this test class path, with storage formatted fresh in a
 * temporary directory and free ports. Two per test JVM at most, each started once: {@link #sharedUri()}
 * for the tests (unless PARLEY_KAFKA_URI names another broker), and {@link #controlled()}, private,
 * which the fault tests kill, restart (same ports and data), freeze and thaw through {@link BrokerProcess}.
 *
 * <p>Besides its PLAINTEXT listener each has a SASL_PLAINTEXT listener with PLAIN and one user,
 * {@link #SASL_USER}/{@link #SASL_PASSWORD} (authentication only, no authorizer): for the refused-login
 * rule and the SASL test. The private one also has an SSL listener that demands client certificates
 * (mutual TLS), with the server certificate of {@link TestCertificates#shared()}: for the TLS rules.
 */
public final class KafkaBroker implements AutoCloseable {

    static final String SASL_USER = "parley";
    /** A test-only password of the test broker's SASL listener. */
    static final String SASL_PASSWORD = "parley-test-password";

    private static final String EXTERNAL = System.getenv("PARLEY_KAFKA_URI");
    private static KafkaBroker shared;
    private static KafkaBroker controlled;

    private final Path dir;
    private final int port;
    private final int saslPort;
    private final int controllerPort;
    /** The SSL listener's port, 0 without one. */
    private final int sslPort;
    private final BrokerProcess process;

    private KafkaBroker(String name, boolean tls) throws Exception {
        this.dir = Files.createTempDirectory("parley-kafka-");
        this.port = BrokerProcess.freePort();
        this.saslPort = BrokerProcess.freePort();
        this.controllerPort = BrokerProcess.freePort();
        this.sslPort = tls ? BrokerProcess.freePort() : 0;
        this.process = new BrokerProcess(name, uri(), port,
                () -> java("kafka.Kafka", dir.resolve("server.properties").toString()))
                .readyWhen(this::answersAdmin)
                .startTimeout(Duration.ofSeconds(120));
    }

    /** The URI of the tests' broker, started on first use (also for other modules' tests, through the test jar). */
    public static synchronized String sharedUri() throws Exception {
        if (EXTERNAL != null && !EXTERNAL.isBlank()) {
            return EXTERNAL;
        }
        if (shared == null) {
            shared = startStoppedAtExit("kafka-shared", false);
        }
        return shared.uri();
    }

    /** The private broker the fault tests break, started on first use; never the shared one. */
    static synchronized KafkaBroker controlled() throws Exception {
        if (controlled == null) {
            controlled = startStoppedAtExit("kafka-controlled", true);
        }
        return controlled;
    }

    private static KafkaBroker startStoppedAtExit(String name, boolean tls) throws Exception {
        KafkaBroker broker = new KafkaBroker(name, tls);
        broker.format();
        broker.process.start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                broker.close();
            } catch (Exception ignored) {
                // the JVM is exiting
            }
        }, "parley-" + name + "-stop"));
        return broker;
    }

    String uri() {
        return "kafka://127.0.0.1:" + port;
    }

    /** The SASL_PLAINTEXT listener: connect with kafka.client.security.protocol=SASL_PLAINTEXT and PLAIN. */
    String saslUri() {
        return "kafka://127.0.0.1:" + saslPort;
    }

    /**
     * The SSL listener (TLS only, client certificates required) on 127.0.0.1, the address its certificate
     * names; the private broker only.
     */
    String tlsUri() {
        requireTls();
        return "kafka://127.0.0.1:" + sslPort;
    }

    /** The SSL listener by a name its certificate does not carry. */
    String tlsOtherHostUri() {
        requireTls();
        return "kafka://localhost:" + sslPort;
    }

    private void requireTls() {
        if (sslPort == 0) {
            throw new IllegalStateException(this + " has no SSL listener");
        }
    }

    /** kill -9, restart on the same ports and data, SIGSTOP and SIGCONT. */
    BrokerControl control() {
        return process;
    }

    private boolean answersAdmin() {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + port,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000))) {
            return !admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).isEmpty();
        } catch (Exception notYet) {
            return false;
        }
    }

    private void format() throws Exception {
        String ssl = sslPort == 0 ? "" : ",SSL://127.0.0.1:" + sslPort;
        Files.writeString(dir.resolve("server.properties"), String.join("\n",
                "process.roles=broker,controller",
                "node.id=1",
                "controller.quorum.bootstrap.servers=127.0.0.1:" + controllerPort,
                "listeners=PLAINTEXT://127.0.0.1:" + port + ",SASL_PLAINTEXT://127.0.0.1:" + saslPort + ssl
                        + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners=PLAINTEXT://127.0.0.1:" + port + ",SASL_PLAINTEXT://127.0.0.1:" + saslPort + ssl,
                "controller.listener.names=CONTROLLER",
                "inter.broker.listener.name=PLAINTEXT",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL,CONTROLLER:PLAINTEXT",
                sslSettings(),
                "sasl.enabled.mechanisms=PLAIN",
                "listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule"
                        + " required user_" + SASL_USER + "=\"" + SASL_PASSWORD + "\";",
                "log.dirs=" + dir.resolve("data"),
                "num.partitions=1",
                "offsets.topic.replication.factor=1",
                "offsets.topic.num.partitions=4",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "group.initial.rebalance.delay.ms=0",
                "") + "\n");
        Process formatting = java("kafka.tools.StorageTool", "format", "--standalone",
                "-t", Uuid.randomUuid().toString(), "-c", dir.resolve("server.properties").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("format.log").toFile()).start();
        if (!formatting.waitFor(60, TimeUnit.SECONDS) || formatting.exitValue() != 0) {
            throw new IllegalStateException("formatting Kafka storage failed: " + Files.readString(dir.resolve("format.log")));
        }
    }

    /** The SSL listener's certificate, trust (the test CA) and demand for client certificates. */
    private String sslSettings() {
        if (sslPort == 0) {
            return "";
        }
        TestCertificates certificates = TestCertificates.shared();
        String password = new String(certificates.password());
        String prefix = "listener.name.ssl.";
        return String.join("\n",
                prefix + "ssl.keystore.location=" + certificates.serverKeyStore(),
                prefix + "ssl.keystore.type=PKCS12",
                prefix + "ssl.keystore.password=" + password,
                prefix + "ssl.key.password=" + password,
                prefix + "ssl.truststore.location=" + certificates.trustStore(),
                prefix + "ssl.truststore.type=PKCS12",
                prefix + "ssl.truststore.password=" + password,
                prefix + "ssl.client.auth=required");
    }

    private ProcessBuilder java(String mainClass, String... args) {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms256m", "-Xmx768m", "-XX:+UseG1GC", "-XX:TieredStopAtLevel=1",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).directory(dir.toFile());
    }

    @Override
    public void close() throws Exception {
        process.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
        }
    }

    @Override
    public String toString() {
        return process + " (log " + process.log() + ")";
    }
}
