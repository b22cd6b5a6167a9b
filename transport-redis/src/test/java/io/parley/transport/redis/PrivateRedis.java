package io.parley.transport.redis;

import io.parley.tck.Await;
import redis.clients.jedis.Jedis;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;

/**
 * A redis-server of the test's own, on a free port, that the test can kill and start again on the
 * same port. Nothing is persisted ({@code --save "" --appendonly no}).
 */
final class PrivateRedis implements AutoCloseable {

    private final int port;
    private final Path directory;
    private Process process;

    PrivateRedis() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        directory = Files.createTempDirectory("parley-redis-it-");
        start();
    }

    String uri() {
        return "redis://127.0.0.1:" + port;
    }

    int port() {
        return port;
    }

    void start() throws IOException {
        process = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", directory.toString())
                .directory(directory.toFile())
                .redirectErrorStream(true)
                .redirectOutput(directory.resolve("redis.log").toFile())
                .start();
        Await.until("the private redis-server on port " + port + " answers", Duration.ofSeconds(10),
                () -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException("redis-server exited; see " + directory.resolve("redis.log"));
                    }
                    try (Jedis jedis = new Jedis("127.0.0.1", port)) {
                        return "PONG".equals(jedis.ping());
                    } catch (RuntimeException e) {
                        return false;
                    }
                });
    }

    /** Freezes the server (SIGSTOP): connections stay open and nothing answers, as in a network partition. */
    void freeze() throws IOException, InterruptedException {
        signal("-STOP");
    }

    /** Lets a frozen server go on (SIGCONT). */
    void thaw() throws IOException, InterruptedException {
        signal("-CONT");
    }

    private void signal(String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", signal, Long.toString(process.pid())).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IllegalStateException("kill " + signal + " failed");
        }
    }

    /** Kills the server at once (SIGKILL), as a crash would. */
    void kill() {
        if (process != null) {
            try {
                thaw(); // a frozen process dies of SIGKILL too, but may linger as stopped in some sandboxes
            } catch (IOException | InterruptedException | IllegalStateException ignored) {
                // already gone
            }
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() throws IOException {
        kill();
        try (var files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }
}
