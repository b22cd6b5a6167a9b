package io.parley.spi;

/** A transport-level subscription; closing it stops new deliveries. Idempotent. */
public interface TransportSubscription extends AutoCloseable {

    @Override
    void close();
}
