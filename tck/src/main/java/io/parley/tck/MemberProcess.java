package io.parley.tck;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** A {@link KitMember} child process and what it printed. */
final class MemberProcess implements AutoCloseable {

    private final Process process;
    private final File errors;
    private final CountDownLatch ready = new CountDownLatch(1);
    private final Queue<String> handled = new ConcurrentLinkedQueue<>();
    private final Thread reader;

    private MemberProcess(Process process, File errors) {
        this.process = process;
        this.errors = errors;
        this.reader = new Thread(this::read, "parley-kit-member-output");
        reader.setDaemon(true);
        reader.start();
    }

    static MemberProcess start(String uri, Map<String, String> properties, String destination, String group,
                               long workMillis) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-Xmx256m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"));
        properties.forEach((key, value) -> command.add("-D" + KitMember.PROPERTY_PREFIX + key + "=" + value));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), KitMember.class.getName(),
                uri, destination, group, Long.toString(workMillis)));
        File errors = File.createTempFile("parley-kit-member-", ".log");
        errors.deleteOnExit();
        Process process = new ProcessBuilder(command).redirectError(errors).start();
        return new MemberProcess(process, errors);
    }

    private void read() {
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                if (line.equals(KitMember.READY)) {
                    ready.countDown();
                } else if (line.startsWith(KitMember.HANDLED)) {
                    handled.add(line.substring(KitMember.HANDLED.length()));
                }
            }
        } catch (IOException e) {
            // the process was killed
        }
    }

    /** Waits until the member has subscribed; fails with its error output if it died or took too long. */
    void awaitReady(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!ready.await(50, TimeUnit.MILLISECONDS)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("the member process did not subscribe within " + timeout
                        + (process.isAlive() ? "" : " (it exited with " + process.exitValue() + ")") + "; its output:\n"
                        + Files.readString(errors.toPath()));
            }
        }
    }

    /** The bodies it handled so far, in order. */
    List<String> handled() {
        return List.copyOf(handled);
    }

    int handledCount() {
        return handled.size();
    }

    /** {@code kill -9}: the member dies without a word to the broker. */
    void kill() throws Exception {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
        reader.join(30_000); // every line it wrote before dying is read: the pipe ends once it is dead
        if (reader.isAlive()) {
            throw new AssertionError("the output of the killed member process was not read to its end within 30 s");
        }
    }

    /** What the member wrote to its standard error (its log), for failure messages. */
    String errorOutput() throws IOException {
        String text = Files.readString(errors.toPath());
        return text.length() > 4_000 ? "..." + text.substring(text.length() - 4_000) : text;
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            kill();
        }
    }
}
