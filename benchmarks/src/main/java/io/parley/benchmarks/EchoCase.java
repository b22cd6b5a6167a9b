package io.parley.benchmarks;

/**
 * One way of doing request/reply on one broker: Parley, the raw client done by hand, or Spring.
 * {@link #open()} starts an echo responder and a requester on a fresh destination, on connections
 * of their own, and returns once the responder receives.
 */
interface EchoCase {

    enum Kind { PARLEY, RAW, SPRING }

    String broker();

    Kind kind();

    /** What the case is, for the report, e.g. "jnats request + dispatcher". */
    String description();

    EchoClient open() throws Exception;
}
