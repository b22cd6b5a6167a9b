package io.parley.api;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/**
 * Request/reply over the broker. Many requests may be in flight at once on one connection; replies
 * are matched by correlation id. Thread-safe. See {@link RequestOptions} for timeouts.
 */
public interface RpcClient {

    /** Blocks for the reply; empty when none came within the broker's default timeout. */
    default Optional<Message> request(String destination, Object body) {
        return request(destination, body, RequestOptions.defaults());
    }

    /**
     * Blocks for the reply.
     *
     * @return the reply, or empty when none came in time (unless {@link RequestOptions.Builder#throwOnTimeout()})
     * @throws RemoteHandlerException the remote handler failed
     * @throws RequestException       no responders, closed, too many pending, cancelled...
     */
    Optional<Message> request(String destination, Object body, RequestOptions options);

    /**
     * Blocks for the reply and decodes it. Empty when no answer came in time, and also when the
     * reply body was empty and {@code type} decodes an empty body to null (use the {@link Message}
     * form or {@code throwOnTimeout} to tell the two apart).
     */
    default <T> Optional<T> request(String destination, Object body, Class<T> type) {
        return request(destination, body, type, RequestOptions.defaults());
    }

    default <T> Optional<T> request(String destination, Object body, Class<T> type, RequestOptions options) {
        return request(destination, body, options).map(reply -> reply.body(type));
    }

    default CompletableFuture<Message> requestAsync(String destination, Object body) {
        return requestAsync(destination, body, RequestOptions.defaults());
    }

    /**
     * Sends a request and returns at once. The future fails with a {@link RequestException} (reason
     * TIMEOUT on timeout); cancelling it frees the pending entry at once. Dependent stages run on
     * the transport's delivery thread unless given an executor: keep them short or use the
     * {@code *Async} variants.
     */
    CompletableFuture<Message> requestAsync(String destination, Object body, RequestOptions options);

    /**
     * Sends one request and streams the replies as they arrive, until the options' max count,
     * deadline (the timeout), gap or the end-of-stream sentinel. Pulling from the stream blocks;
     * closing it frees the pending entry. An error reply is thrown as {@link RemoteHandlerException}.
     */
    Stream<Message> requestMany(String destination, Object body, RequestOptions options);

    /** Requests waiting for a reply right now (for metrics and leak checks). */
    int pendingRequests();
}
