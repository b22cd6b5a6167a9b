package io.parley.spi;

import io.parley.api.SubscribeOptions;

import java.util.concurrent.CompletionStage;

/**
 * One connection to a broker. A transport only moves {@link Envelope}s: correlation ids, the pending
 * request table, timeouts, codecs and error replies live in the core. All methods are called from
 * many threads at once.
 *
 * <p>{@link #publish}, {@link #request} and {@link #reply} are called on the application's threads
 * and must return at once, whatever the broker does (down, frozen, slow to answer metadata, blocking
 * publishers): they hand the message to the client library's own buffer or to {@link SendLanes}, and
 * report the outcome through the returned stage. Only then does a request's timeout bound the wait
 * of its caller (docs/SPEC.md rule 10.01). A failed stage holds a
 * {@link io.parley.api.MessagingException} that says what happened, never a credential.
 */
public interface Transport extends AutoCloseable {

    /**
     * Sends a message to {@code message.destination()}. The stage completes when the transport has
     * handed it to the broker (or the broker confirmed it, where the transport offers confirms).
     */
    CompletionStage<Void> publish(Envelope message);

    /**
     * Sends a request. The transport sets the reply address (its own, one per connection,
     * multiplexed), and hands every reply to {@link TransportContext#replies()} with the request's
     * correlation id. A transport that learns that nobody listens calls
     * {@link ReplyListener#onNoResponders(String)}.
     */
    CompletionStage<Void> request(Envelope request);

    /**
     * Sends a handler's reply to a received request. The default publishes {@code reply}, whose
     * destination is the request's reply-to; a transport overrides it to echo native fields.
     */
    default CompletionStage<Void> reply(Envelope request, Envelope reply) {
        return publish(reply);
    }

    /** Starts delivering the messages of {@code destination} to {@code handler}. */
    TransportSubscription subscribe(String destination, SubscribeOptions options, InboundHandler handler);

    /** Closes the connection. Called by the core after subscriptions stopped and pending requests failed. */
    @Override
    void close();
}
