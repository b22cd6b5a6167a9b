package io.parley.tck;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * A broker run as a child process of the tests (nats-server, redis-server, a Kafka JVM...), that the
 * fault rules kill, restart, freeze and thaw. Signals go to the process and its descendants, so a
 * wrapper script's broker is reached too. Its output goes to a log file named in every failure.
 */
public class BrokerProcess implements BrokerControl, AutoCloseable {

    private final String name;
    private final String uri;
    private final int port;
    private final Supplier<ProcessBuilder> command;
    private final File log;
    private BooleanSupplier ready = () -> true;
    private Duration startTimeout = Duration.ofSeconds(60);
    private volatile Process process;

    /**
     * @param name    what it is, for messages ("nats-server")
     * @param uri     the URI clients use
     * @param port    the port where it accepts clients: ready once it answers there
     * @param command the command that starts it, the same for the first start and every restart
     */
    public BrokerProcess(String name, String uri, int port, Supplier<ProcessBuilder> command) throws IOException {
        this.name = Objects.requireNonNull(name, "name");
        this.uri = Objects.requireNonNull(uri, "uri");
        this.port = port;
        this.command = Objects.requireNonNull(command, "command");
        this.log = File.createTempFile("parley-" + name.replaceAll("[^A-Za-z0-9]", "-") + "-", ".log");
        this.log.deleteOnExit();
    }

    /** A further condition for "started", checked once the port answers (e.g. an admin client gets an answer). */
    public BrokerProcess readyWhen(BooleanSupplier condition) {
        this.ready = Objects.requireNonNull(condition, "condition");
        return this;
    }

    /** How long a start may take (60 s by default). */
    public BrokerProcess startTimeout(Duration timeout) {
        this.startTimeout = Objects.requireNonNull(timeout, "timeout");
        return this;
    }

    /** A port free on the loopback interface now. */
    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Override
    public String uri() {
        return uri;
    }

    public int port() {
        return port;
    }

    /** The file that holds the broker's output. */
    public File log() {
        return log;
    }

    private boolean cleanupRegistered;

    private void killQuietly() {
        Process running = process;
        if (running != null && running.isAlive()) {
            running.descendants().forEach(ProcessHandle::destroyForcibly);
            running.destroyForcibly();
        }
    }

    /** Starts the broker and returns once it accepts clients (the JVM's exit stops it if nothing else did). */
    public synchronized BrokerProcess start() throws Exception {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException(name + " runs already");
        }
        process = command.get().redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log)).start();
        if (!cleanupRegistered) { // a test JVM that ends (or is stopped) without kill() leaves no broker behind
            cleanupRegistered = true;
            Runtime.getRuntime().addShutdownHook(new Thread(this::killQuietly, "parley-tck-stop-" + name));
        }
        Await.until(name + " accepts clients on port " + port + " (log: " + log + ")", startTimeout,
                () -> answers() && ready.getAsBoolean());
        return this;
    }

    private boolean answers() {
        if (!process.isAlive()) {
            throw new IllegalStateException(name + " exited with " + process.exitValue() + "; see " + log);
        }
        try (Socket ignored = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public synchronized void kill() throws Exception {
        if (process == null) {
            return;
        }
        List<ProcessHandle> all = family();
        signal("CONT", all); // a frozen process dies only once it runs again
        for (ProcessHandle handle : all) {
            handle.destroyForcibly();
        }
        for (ProcessHandle handle : all) {
            handle.onExit().get(30, TimeUnit.SECONDS);
        }
        Await.until(name + " no longer accepts clients on port " + port, Duration.ofSeconds(30), () -> {
            try (Socket ignored = new Socket("127.0.0.1", port)) {
                return false;
            } catch (IOException e) {
                return true;
            }
        });
    }

    @Override
    public void restart() throws Exception {
        kill();
        start();
    }

    @Override
    public synchronized void freeze() throws Exception {
        signal("STOP", family());
    }

    @Override
    public synchronized void thaw() throws Exception {
        signal("CONT", family());
    }

    private List<ProcessHandle> family() {
        List<ProcessHandle> all = new ArrayList<>();
        if (process != null) {
            all.add(process.toHandle());
            try (Stream<ProcessHandle> descendants = process.descendants()) {
                descendants.forEach(all::add);
            }
        }
        return all;
    }

    private void signal(String signal, List<ProcessHandle> targets) throws Exception {
        List<String> kill = new ArrayList<>(List.of("kill", "-" + signal));
        targets.stream().filter(ProcessHandle::isAlive).forEach(handle -> kill.add(Long.toString(handle.pid())));
        if (kill.size() == 2) {
            return;
        }
        Process signalling = new ProcessBuilder(kill).redirectErrorStream(true).start();
        if (!signalling.waitFor(10, TimeUnit.SECONDS) || signalling.exitValue() != 0) {
            throw new IllegalStateException("kill -" + signal + " of " + name + " failed: "
                    + new String(signalling.getInputStream().readAllBytes()));
        }
    }

    /** Kills the broker if it runs. */
    @Override
    public void close() throws Exception {
        kill();
    }

    @Override
    public String toString() {
        return name + " on port " + port;
    }
}
