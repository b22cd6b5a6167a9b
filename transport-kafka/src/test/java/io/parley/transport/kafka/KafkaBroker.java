package io.parley.transport.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
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
 * temporary directory and free ports. {@link #shared()} is started once per test JVM; when
 * PARLEY_KAFKA_URI is set, that broker is used instead.
 */
final class KafkaBroker implements AutoCloseable {

    private static KafkaBroker shared;
    private static final String EXTERNAL = System.getenv("PARLEY_KAFKA_URI");

    private final Path dir;
    private final int port;
    private final int controllerPort;
    private Process process;

    private KafkaBroker() throws IOException {
        this.dir = Files.createTempDirectory("parley-kafka-");
        this.port = freePort();
        this.controllerPort = freePort();
    }

    /** The URI of the tests' broker, started on first use. */
    static synchronized String sharedUri() throws Exception {
        if (EXTERNAL != null && !EXTERNAL.isBlank()) {
            return EXTERNAL;
        }
        if (shared == null) {
            shared = start();
            KafkaBroker broker = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    broker.close();
                } catch (Exception ignored) {
                    // the JVM is exiting
                }
            }, "parley-kafka-test-broker-stop"));
        }
        return shared.uri();
    }

    /** A broker of its own (for tests that stop and restart it). */
    static KafkaBroker start() throws Exception {
        KafkaBroker broker = new KafkaBroker();
        broker.format();
        broker.launch();
        return broker;
    }

    String uri() {
        return "kafka://127.0.0.1:" + port;
    }

    String bootstrap() {
        return "127.0.0.1:" + port;
    }

    private void format() throws Exception {
        Files.writeString(dir.resolve("server.properties"), String.join("\n",
                "process.roles=broker,controller",
                "node.id=1",
                "controller.quorum.bootstrap.servers=127.0.0.1:" + controllerPort,
                "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
                "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
                "controller.listener.names=CONTROLLER",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
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
                .redirectOutput(dir.resolve("format.log").toFile()).start();
        if (!formatting.waitFor(60, TimeUnit.SECONDS) || formatting.exitValue() != 0) {
            throw new IllegalStateException("formatting Kafka storage failed: " + Files.readString(dir.resolve("format.log")));
        }
    }

    /** Starts (or restarts) the broker process and waits until it answers an admin client. */
    void launch() throws Exception {
        process = java("kafka.Kafka", dir.resolve("server.properties").toString())
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("broker.log").toFile())).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000))) {
            while (true) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("the Kafka broker exited; see " + dir.resolve("broker.log"));
                }
                try {
                    admin.describeCluster().nodes().get(3, TimeUnit.SECONDS);
                    return;
                } catch (Exception notYet) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("the Kafka broker did not answer within 90 s; see "
                                + dir.resolve("broker.log"), notYet);
                    }
                }
            }
        }
    }

    /** Kills the broker process (its data stays, so {@link #launch()} brings the same broker back). */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    private ProcessBuilder java(String mainClass, String... args) {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms256m", "-Xmx768m", "-XX:+UseG1GC", "-XX:TieredStopAtLevel=1",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true).directory(dir.toFile());
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() throws Exception {
        if (process != null && process.isAlive()) {
            kill();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
        }
    }
}
