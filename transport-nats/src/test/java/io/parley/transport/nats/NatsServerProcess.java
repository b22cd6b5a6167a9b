package io.parley.transport.nats;

import io.parley.tck.Await;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;

/** A private nats-server child process on a free port, to kill and restart in outage tests. */
final class NatsServerProcess implements AutoCloseable {

    private final int port;
    private final File log;
    private Process process;

    NatsServerProcess() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            this.port = socket.getLocalPort();
        }
        this.log = File.createTempFile("parley-nats-server-", ".log");
        this.log.deleteOnExit();
    }

    String uri() {
        return "nats://127.0.0.1:" + port;
    }

    NatsServerProcess start() throws Exception {
        process = new ProcessBuilder("nats-server", "-a", "127.0.0.1", "-p", Integer.toString(port))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log))
                .start();
        Await.until("nats-server answers on port " + port, Duration.ofSeconds(10), this::answers);
        return this;
    }

    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    private boolean answers() {
        if (!process.isAlive()) {
            throw new IllegalStateException("nats-server exited with " + process.exitValue() + "; see " + log);
        }
        try (Socket ignored = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            kill();
        }
    }
}
