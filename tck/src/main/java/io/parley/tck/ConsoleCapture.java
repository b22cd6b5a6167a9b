package io.parley.tck;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Copies what is written to System.out and System.err while it runs (where slf4j-simple and console
 * appenders write log lines), so that a rule or a transport's test can check what was logged (no
 * secret; a bad message logged once). A backend that logs elsewhere is not seen.
 */
public final class ConsoleCapture implements AutoCloseable {

    private final PrintStream out = System.out;
    private final PrintStream err = System.err;
    private final ByteArrayOutputStream copy = new ByteArrayOutputStream();

    private ConsoleCapture() {
        System.setOut(tee(out));
        System.setErr(tee(err));
    }

    /** Starts copying; {@link #close()} puts System.out and System.err back. */
    public static ConsoleCapture start() {
        return new ConsoleCapture();
    }

    private PrintStream tee(PrintStream original) {
        return new PrintStream(new OutputStream() {
            @Override
            public void write(int b) {
                original.write(b);
                synchronized (copy) {
                    copy.write(b);
                }
            }

            @Override
            public void write(byte[] bytes, int offset, int length) {
                original.write(bytes, offset, length);
                synchronized (copy) {
                    copy.write(bytes, offset, length);
                }
            }
        }, true, StandardCharsets.UTF_8);
    }

    /** What was written so far. */
    public String text() {
        synchronized (copy) {
            return copy.toString(StandardCharsets.UTF_8);
        }
    }

    /** How many lines written so far hold {@code fragment}. */
    public long lines(String fragment) {
        return text().lines().filter(line -> line.contains(fragment)).count();
    }

    @Override
    public void close() {
        System.setOut(out);
        System.setErr(err);
    }
}
