package io.parley.transport.redis;

import java.time.Duration;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.fail;

/** The shared Redis of the tests, and a wait with a deadline (no sleeps as synchronisation). */
final class RedisTestSupport {

    static final String URI = uri();

    private RedisTestSupport() {
    }

    private static String uri() {
        String value = System.getenv("PARLEY_REDIS_URI");
        return value == null || value.isBlank() ? "redis://127.0.0.1:6379" : value.strip();
    }

    static void awaitTrue(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + timeout + " waiting until " + what);
            }
            try {
                Thread.sleep(10); // polling interval of the wait, not a synchronisation
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting until " + what);
            }
        }
    }
}
