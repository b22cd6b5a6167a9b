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
}
