package io.parley.spi;

/**
 * A transport-level subscription; closing it stops new deliveries. Idempotent.
 *
 * <p>Flow control: a subscription that can stop and resume its deliveries on request says so with
 * {@link #pausable()}. The core then never holds its delivering thread: messages beyond the
 * subscription's concurrency wait in the core, and when {@link #pausable() enough} wait the core calls
 * {@link #pause()}, then {@link #resume()} once half of them were taken. A subscription that cannot
 * pause (the default) gets back-pressure the old way: {@link InboundHandler#onMessage} blocks its
 * delivering thread while the subscription is at its concurrency limit.
 */
public interface TransportSubscription extends AutoCloseable {

    /** Whether {@link #pause()} and {@link #resume()} work; asked once, when the subscription is made. */
    default boolean pausable() {
        return false;
    }

    /**
     * Stop handing messages to the core soon (Kafka: pause the partitions; a reading loop: stop reading).
     * Messages already on their way may still come. Called from any thread, never blocks, idempotent.
     */
    default void pause() {
    }

    /** Hand messages to the core again. Called from any thread, never blocks, idempotent. */
    default void resume() {
    }

    @Override
    void close();
}
