package io.parley.spi;

import io.parley.api.BrokerClosedException;

import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * Implemented by the core; a transport calls it for each message of a subscription, one call at a
 * time per delivery thread. For a subscription that is not {@link TransportSubscription#pausable()
 * pausable}, the call may block while the subscription is at its concurrency limit (that is the
 * back-pressure); for one that is, it never blocks and the core pauses the subscription instead. The
 * returned stage completes when the handler has finished and its
 * reply was sent: normally (acknowledge the message) or exceptionally (the handler failed or the
 * body could not be decoded; the transport applies its documented reject policy).
 */
@FunctionalInterface
public interface InboundHandler {

    CompletionStage<Void> onMessage(Envelope message);

    /**
     * Whether a stage returned by {@link #onMessage} failed because the core did not handle the message:
     * the subscription closed before a handler slot was free (at once, or after the message waited in the
     * core). Such a message goes back to the broker where it can, for another member of the group.
     */
    static boolean notHandled(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        return cause instanceof BrokerClosedException;
    }
}
