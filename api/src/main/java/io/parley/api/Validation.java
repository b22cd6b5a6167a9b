package io.parley.api;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Checks shared by the option builders; each adds to a list so that all problems are reported at once. */
final class Validation {

    private Validation() {
    }

    /** Longest duration accepted; waiting for ever is asked for explicitly (RequestOptions.noTimeout()). */
    static final Duration MAX_DURATION = Duration.ofDays(365);

    static void positive(List<String> problems, String name, Duration value) {
        if (value == null) {
            problems.add(name + " must not be null");
        } else if (value.isZero() || value.isNegative()) {
            problems.add(name + " must be positive, was " + value);
        } else if (value.compareTo(MAX_DURATION) > 0) {
            problems.add(name + " must be at most " + MAX_DURATION.toDays() + " days, was " + value
                    + " (a request that waits for ever uses RequestOptions.noTimeout())");
        }
    }

    static void noNulls(List<String> problems, String name, Map<String, String> values) {
        values.forEach((key, value) -> {
            if (key == null || value == null) {
                problems.add(name + " must not hold null keys or values (" + key + "=" + value + ")");
            }
        });
    }
}
