package io.parley.transport.kafka;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Small helpers shared by the ITs. */
final class KafkaTestSupport {

    private KafkaTestSupport() {
    }

    /** Polls {@code condition} until it holds or {@code timeout} has passed. */
    static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeout + ": " + what);
            }
            Thread.sleep(50); // polling interval of a deadline wait, not a synchronisation
        }
    }
}
