package io.parley.api;

import java.util.Map;

/**
 * A received message: a request given to a handler, or a reply given to a requester.
 * A handler asks for it with {@code subscribe(destination, Message.class, handler)}.
 */
public interface Message {

    /** Where the message was received from (the reply address for a reply). */
    String destination();

    /** The raw body; empty, never null. Do not change the array. */
    byte[] body();

    /** The body decoded with the broker's codec; see {@link io.parley.api.codec.JsonCodec} for the rules. */
    <T> T body(Class<T> type);

    /** The body as UTF-8 text. */
    String bodyAsString();

    /** The content type, or {@code null} when the message has none (raw bytes). */
    String contentType();

    /** The user headers, without content type, correlation id and reply-to. */
    Map<String, String> headers();

    /** One user header, or {@code null}. */
    default String header(String name) {
        return headers().get(name);
    }

    /** The correlation id, or {@code null}. */
    String correlationId();

    /** Where replies to this message go, or {@code null}. */
    String replyTo();

    /**
     * The broker client's own message (e.g. jnats {@code io.nats.client.Message}).
     *
     * @throws IllegalArgumentException when the native message is not of that type
     */
    <T> T unwrap(Class<T> nativeType);

    /**
     * Sends one extra reply to this message's reply-to before the handler returns (for many
     * responses); the handler's return value is still sent last.
     *
     * @throws IllegalStateException when the message has no reply-to or replies are disabled
     */
    void reply(Object body);
}
