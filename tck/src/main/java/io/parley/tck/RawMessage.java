package io.parley.tck;

import io.parley.api.Message;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * A body with a content type of the kit's choosing, sent through the API: Parley passes a
 * {@link Message} through as it is, so the kit can send what a peer with another codec would.
 */
record RawMessage(byte[] body, String contentType) implements Message {

    static RawMessage of(String text, String contentType) {
        return new RawMessage(text.getBytes(StandardCharsets.UTF_8), contentType);
    }

    @Override
    public String destination() {
        return "";
    }

    @Override
    public <T> T body(Class<T> type) {
        throw new UnsupportedOperationException("only sent, never read");
    }

    @Override
    public String bodyAsString() {
        return new String(body, StandardCharsets.UTF_8);
    }

    @Override
    public Map<String, String> headers() {
        return Map.of();
    }

    @Override
    public String correlationId() {
        return null;
    }

    @Override
    public String replyTo() {
        return null;
    }

    @Override
    public <T> T unwrap(Class<T> nativeType) {
        throw new IllegalArgumentException("no native message");
    }

    @Override
    public void reply(Object body) {
        throw new IllegalStateException("only sent, never answered");
    }
}
