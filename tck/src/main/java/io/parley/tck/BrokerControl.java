package io.parley.tck;

/**
 * Lets the kit break the broker on purpose, for the fault rules of SPEC Section 10: a private broker
 * of the transport's tests (never a shared one), started before the kit runs. Given to the kit with
 * {@link KitEnvironment.Builder#brokerControl(BrokerControl)}; without it those rules are skipped with
 * that reason. {@link BrokerProcess} implements it for a broker run as a child process.
 */
public interface BrokerControl {

    /** The URI of the controlled broker; the fault rules connect to it with the environment's options. */
    String uri();

    /** Stops the broker hard ({@code kill -9}): no goodbye to any client. Its data stays. */
    void kill() throws Exception;

    /** Starts the broker again on the same port with the same data; returns once it accepts clients. */
    void restart() throws Exception;

    /** Freezes the broker ({@code SIGSTOP}): connections stay open and nothing answers. */
    void freeze() throws Exception;

    /** Ends {@link #freeze()} ({@code SIGCONT}). */
    void thaw() throws Exception;
}
