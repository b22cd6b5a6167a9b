package io.parley.api;

import java.util.Optional;

/**
 * A running subscription. Closing it stops deliveries and lets running handlers finish (at most
 * {@link BrokerOptions#closeTimeout()}); in a group, the messages it took but did not start go back to
 * the broker for the other members where the broker can take them back. An interrupted caller does not
 * wait for the handlers, and keeps its interrupt flag.
 */
public interface Subscriber extends AutoCloseable {

    String destination();

    Optional<String> group();

    /** Whether the subscription still receives messages. */
    boolean isActive();

    @Override
    void close();
}
