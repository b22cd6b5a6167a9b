package io.parley.spi;

/**
 * Implemented by the core; a transport calls it when something arrives at its reply address.
 * Both methods return quickly and never throw, so they may be called on a delivery thread.
 */
public interface ReplyListener {

    /** A reply, with the correlation id of its request set on the envelope. Unknown ids are dropped. */
    void onReply(Envelope reply);

    /** The broker said nobody listens on the destination of this request. */
    void onNoResponders(String correlationId);

    /**
     * The replies to every request sent so far can no longer arrive (e.g. the connection that
     * carried RabbitMQ's direct reply-to was lost): each pending request fails at once with reason
     * {@code CONNECTION_LOST} instead of waiting for its timeout. Requests sent afterwards are not
     * affected. A transport whose replies survive a reconnect does not call it.
     */
    void onConnectionLost(String detail);
}
