package io.parley.tck;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Waiting on a condition with a deadline, for a transport's own tests (outage and lifecycle tests
 * poll a broker coming back): never a sleep as synchronisation.
 */
public final class Await {

    private static final long POLL_MILLIS = 5;

    private Await() {
    }

    /** Returns as soon as {@code condition} holds; fails with {@code what} when {@code timeout} has passed. */
    public static void until(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeout + ": " + what);
            }
            try {
                Thread.sleep(POLL_MILLIS); // the polling interval, not a synchronisation
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting until " + what, e);
            }
        }
    }
}
