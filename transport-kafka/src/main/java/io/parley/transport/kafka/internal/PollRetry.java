package io.parley.transport.kafka.internal;

import org.slf4j.Logger;

/**
 * What a poll thread does when {@code poll} (or a commit) throws something other than its wake-up: it
 * never stops (the broker may come back, an ACL may be granted), it waits a little longer each time
 * (100 ms up to 5 s) and logs a failure at WARN only when it differs from the last one, so a long
 * outage is a few lines, not one per poll. Poll thread only.
 */
final class PollRetry {

    private static final long FIRST_MILLIS = 100;
    private static final long MAX_MILLIS = 5_000;

    private final Logger log;
    private final String what;
    private long waitMillis = FIRST_MILLIS;
    private String last;
    private RuntimeException lastFailure;

    PollRetry(Logger log, String what) {
        this.log = log;
        this.what = what;
    }

    /** Logs {@code failure} (once per kind) and waits before the next attempt; false when interrupted. */
    boolean failed(RuntimeException failure) {
        lastFailure = failure;
        String kind = failure.getClass().getName() + ": " + failure.getMessage();
        if (!kind.equals(last)) {
            log.warn("{} failed ({}); retrying until it works or the subscription closes", what, failure.toString(), failure);
            last = kind;
        } else {
            log.debug("{} failed again: {}", what, failure.toString());
        }
        try {
            Thread.sleep(waitMillis); // back-off between attempts against a failing broker, not a synchronisation
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        waitMillis = Math.min(MAX_MILLIS, waitMillis * 2);
        return true;
    }

    /** A poll worked: the next failure is logged again. */
    void succeeded() {
        if (last != null) {
            log.info("{} works again", what);
            last = null;
            lastFailure = null;
        }
        waitMillis = FIRST_MILLIS;
    }

    /** The failure of the last attempt, if it failed. */
    RuntimeException lastFailure() {
        return lastFailure;
    }
}
