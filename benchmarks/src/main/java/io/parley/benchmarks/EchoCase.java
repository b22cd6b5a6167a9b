package io.parley.benchmarks;

/**
 * One way of doing request/reply on one broker: Parley, the raw client done by hand, or Spring.
 * {@link #open()} starts an echo responder and a requester on a fresh destination, on connections
 * of their own, and returns once the responder receives.
 */
abstract class EchoCase {

    enum Kind { PARLEY, RAW, SPRING }

    private final String broker;
    private final Kind kind;
    private final String description;

    EchoCase(String broker, Kind kind, String description) {
        this.broker = broker;
        this.kind = kind;
        this.description = description;
    }

    final String broker() {
        return broker;
    }

    final Kind kind() {
        return kind;
    }

    /** What the case is, for the report, e.g. "jnats request + dispatcher". */
    final String description() {
        return description;
    }

    abstract EchoClient open() throws Exception;
}
