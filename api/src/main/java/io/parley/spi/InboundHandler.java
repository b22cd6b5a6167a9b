package io.parley.spi;

import java.util.concurrent.CompletionStage;

/**
 * Implemented by the core; a transport calls it for each message of a subscription, one call at a
 * time per delivery thread. The call may block while the subscription is at its concurrency limit
 * (that is the back-pressure). The returned stage completes when the handler has finished and its
 * reply was sent: normally (acknowledge the message) or exceptionally (the handler failed or the
 * body could not be decoded; the transport applies its documented reject policy).
 */
@FunctionalInterface
public interface InboundHandler {

    CompletionStage<Void> onMessage(Envelope message);
}
