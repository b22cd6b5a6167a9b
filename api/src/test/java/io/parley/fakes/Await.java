package io.parley.fakes;

import io.parley.api.RpcClient;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.fail;

/** Polls a condition until it holds or a deadline passes: the tests' only way to wait for something. */
public final class Await {

    private static final long POLL_NANOS = Duration.ofMillis(2).toNanos();

    private Await() {
    }

    public static void until(BooleanSupplier condition, Duration timeout, Supplier<String> whatFailed) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("Not true within " + timeout + ": " + whatFailed.get());
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
    }

    public static void until(BooleanSupplier condition, Duration timeout, String whatFailed) {
        until(condition, timeout, () -> whatFailed);
    }

    /**
     * Waits until the pending-request table is empty: for entries that end on another thread than
     * the test's (a timeout firing, a stream ended by the caller's pull, a broker closing).
     */
    public static void noPendingRequests(RpcClient rpc) {
        until(() -> rpc.pendingRequests() == 0, Duration.ofSeconds(5),
                () -> rpc.pendingRequests() + " requests still pending");
    }
}
