package io.parley.api;

import java.util.Optional;

/** A running subscription. Closing it stops deliveries and lets running handlers finish. */
public interface Subscriber extends AutoCloseable {

    String destination();

    Optional<String> group();

    /** Whether the subscription still receives messages. */
    boolean isActive();

    @Override
    void close();
}
