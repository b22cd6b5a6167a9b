package io.parley.transport.rabbit;

import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.parley.tck.BrokerProcess;
import io.parley.tck.TestCertificates;

import java.io.File;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A private RabbitMQ node for the tests that break the broker (the kit's fault rules, the resource
 * alarm test), started once per test JVM beside the shared one: its own node name, ports, Erlang
 * cookie (HOME), data and config under a temp dir, no plugins, and a user of its own with a password.
 * The server script runs in the foreground as a child process, so the kit's kill -9 and SIGSTOP reach
 * the Erlang VM (beam.smp is its child). It is run directly from /usr/lib/rabbitmq/bin: Debian's
 * /usr/sbin wrapper would switch to the rabbitmq user (and its cookie) with su. A second listener
 * speaks TLS only and demands client certificates (the kit's TLS rules), with the certificates of
 * {@link TestCertificates#shared()}: one node for both, as a start costs about 6 s.
 */
final class RabbitNode {

    static final String USER = "parley-kit";

    private static RabbitNode node;

    private final Path home;
    private final String nodeName;
    private final String password = "kit-" + UUID.randomUUID();
    private final BrokerProcess process;
    private final int tlsPort;
    private final TestCertificates certificates;

    private RabbitNode() throws Exception {
        home = Files.createTempDirectory("parley-rabbit-node-");
        int port = BrokerProcess.freePort();
        int distPort = BrokerProcess.freePort();
        nodeName = "parley-test-" + port + "@localhost";
        Files.writeString(home.resolve("enabled_plugins"), "[].\n");
        Files.writeString(home.resolve("rabbitmq-env.conf"), "ERL_EPMD_ADDRESS=127.0.0.1\n");
        tlsPort = BrokerProcess.freePort();
        certificates = TestCertificates.shared();
        Files.writeString(home.resolve("rabbitmq.conf"), String.join("\n",
                "listeners.tcp.local = 127.0.0.1:" + port,
                "default_user = " + USER,
                "default_pass = " + password,
                "loopback_users = none",
                // the kit's TLS rules (section 15): TLS only on this port, client certificates required
                "listeners.ssl.default = 127.0.0.1:" + tlsPort,
                "ssl_options.cacertfile = " + certificates.caCertificate(),
                "ssl_options.certfile = " + certificates.serverCertificate(),
                "ssl_options.keyfile = " + certificates.serverKey(),
                "ssl_options.verify = verify_peer",
                "ssl_options.fail_if_no_peer_cert = true",
                ""));
        Map<String, String> environment = environment(port, distPort);
        process = new BrokerProcess("rabbitmq-node", "amqp://" + USER + ":" + password + "@127.0.0.1:" + port, port, () -> {
            // one scheduler: the machine is shared, and this node carries little traffic
            ProcessBuilder builder = new ProcessBuilder(script("rabbitmq-server"));
            builder.environment().putAll(environment);
            builder.environment().put("RABBITMQ_SERVER_ERL_ARGS", "+S 1:1 +P 1048576");
            return builder;
        }).readyWhen(() -> acceptsLogin() && answers(tlsPort)).startTimeout(Duration.ofSeconds(90));
    }

    /** The node, started on first use and killed when the JVM exits. */
    static synchronized RabbitNode get() throws Exception {
        if (node == null) {
            RabbitNode started = new RabbitNode();
            Runtime.getRuntime().addShutdownHook(new Thread(started::destroy));
            started.process.start();
            node = started;
        }
        return node;
    }

    BrokerProcess control() {
        return process;
    }

    /** The URI with the node's user and password. */
    String uri() {
        return process.uri();
    }

    /** The URI with a password the node refuses. */
    String uriWithWrongPassword(String wrong) {
        return "amqp://" + USER + ":" + wrong + "@127.0.0.1:" + process.port();
    }

    /** The TLS listener's URI (the node's user), on 127.0.0.1: the one address its certificate names. */
    String tlsUri() {
        return "amqps://" + USER + ":" + password + "@127.0.0.1:" + tlsPort;
    }

    /** The TLS listener's URI by the name {@code localhost}, which the certificate does not carry. */
    String tlsUriByOtherName() {
        return "amqps://" + USER + ":" + password + "@localhost:" + tlsPort;
    }

    /** The certificates of the TLS listener: its CA also signs the client certificates it accepts. */
    TestCertificates certificates() {
        return certificates;
    }

    /** Runs rabbitmqctl against this node; returns its output. */
    String ctl(String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(script("rabbitmqctl"), "-n", nodeName));
        command.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().putAll(environment(process.port(), -1));
        Process ctl = builder.start();
        String output = new String(ctl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!ctl.waitFor(60, TimeUnit.SECONDS) || ctl.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + output + " (node log: " + process.log() + ")");
        }
        return output;
    }

    private Map<String, String> environment(int port, int distPort) {
        Map<String, String> environment = new java.util.HashMap<>(Map.of(
                "HOME", home.toString(), // the Erlang cookie of this node and its rabbitmqctl
                "RABBITMQ_CONF_ENV_FILE", home.resolve("rabbitmq-env.conf").toString(),
                "RABBITMQ_NODENAME", nodeName,
                "RABBITMQ_NODE_PORT", Integer.toString(port),
                "RABBITMQ_MNESIA_BASE", home.resolve("mnesia").toString(),
                "RABBITMQ_LOG_BASE", home.resolve("log").toString(),
                "RABBITMQ_PID_FILE", home.resolve("pid").toString(),
                "RABBITMQ_ENABLED_PLUGINS_FILE", home.resolve("enabled_plugins").toString(),
                "RABBITMQ_CONFIG_FILE", home.resolve("rabbitmq.conf").toString(),
                "RABBITMQ_LOGS", "-")); // to the process's output, which BrokerProcess keeps in its log file
        if (distPort > 0) {
            environment.put("RABBITMQ_DIST_PORT", Integer.toString(distPort));
        }
        return environment;
    }

    private static String script(String name) {
        File direct = new File("/usr/lib/rabbitmq/bin/" + name);
        return direct.canExecute() ? direct.getPath() : name; // elsewhere (Homebrew...): the one on the PATH
    }

    private boolean acceptsLogin() {
        ConnectionFactory factory = new ConnectionFactory();
        try {
            factory.setUri(process.uri());
            factory.setConnectionTimeout(2_000);
            Connection check = factory.newConnection("parley-node-check");
            check.close();
            return true;
        } catch (Exception e) {
            return false; // still booting
        }
    }

    /** Whether a port accepts connections: the node is ready once its TLS listener does too. */
    private static boolean answers(int port) {
        try (Socket ignored = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private void destroy() {
        try {
            process.close();
        } catch (Exception e) {
            // the JVM is exiting; the directory goes anyway
        }
        try (Stream<Path> files = Files.walk(home)) {
            files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
        } catch (IOException e) {
            // a temp dir left behind
        }
    }
}
