package io.parley.transport.rabbit;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Where the tests' RabbitMQ is, and small helpers shared by the ITs. */
final class RabbitTestSupport {

    /** The shared broker: PARLEY_RABBIT_URI, or the one scripts/test.sh makes sure of. */
    static final String URI = System.getenv().getOrDefault("PARLEY_RABBIT_URI", "amqp://guest:guest@127.0.0.1:5672");

    private RabbitTestSupport() {
    }

    /** Polls {@code condition} until it holds or {@code timeout} has passed. */
    static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeout + ": " + what);
            }
            Thread.sleep(10); // polling interval of a deadline wait, not a synchronisation
        }
    }
}
