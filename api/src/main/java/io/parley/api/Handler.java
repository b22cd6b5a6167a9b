package io.parley.api;

/**
 * Handles one message. What it returns is the reply, sent when the message carries a reply-to:
 * <ul>
 *   <li>{@code null} (or a {@code Void} handler): an empty reply, as the Python peers send;</li>
 *   <li>a {@link Reply}: its body with extra headers;</li>
 *   <li>a {@link java.util.stream.Stream} or {@link java.util.Iterator}: one reply per element, then the
 *       end-of-stream sentinel (an empty reply);</li>
 *   <li>a {@link java.util.concurrent.CompletionStage}: its result, when it completes;</li>
 *   <li>a {@link Message}: passed through as it is (body, content type, headers);</li>
 *   <li>anything else: encoded by the codec (String, byte[], JSON).</li>
 * </ul>
 * A handler that throws sends an error reply: the requester gets a {@link RemoteHandlerException}.
 */
@FunctionalInterface
public interface Handler<T> {

    Object handle(T body) throws Exception;
}
