package io.parley.internal;

import io.parley.api.Message;
import io.parley.api.codec.Codec;
import io.parley.spi.Envelope;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.Consumer;

/** A received envelope seen through the {@link Message} API. */
final class ReceivedMessage implements Message {

    private final Envelope envelope;
    private final Codec codec;
    private final Consumer<Object> replier; // null: this message cannot be answered

    ReceivedMessage(Envelope envelope, Codec codec, Consumer<Object> replier) {
        this.envelope = envelope;
        this.codec = codec;
        this.replier = replier;
    }

    Envelope envelope() {
        return envelope;
    }

    @Override
    public String destination() {
        return envelope.destination();
    }

    @Override
    public byte[] body() {
        return envelope.body();
    }

    @Override
    public <T> T body(Class<T> type) {
        return codec.decode(envelope.body(), envelope.contentType(), type);
    }

    @Override
    public String bodyAsString() {
        return new String(envelope.body(), StandardCharsets.UTF_8);
    }

    @Override
    public String contentType() {
        return envelope.contentType();
    }

    @Override
    public Map<String, String> headers() {
        return envelope.headers();
    }

    @Override
    public String correlationId() {
        return envelope.correlationId();
    }

    @Override
    public String replyTo() {
        return envelope.replyTo();
    }

    @Override
    public <T> T unwrap(Class<T> nativeType) {
        Object nativeMessage = envelope.nativeMessage();
        if (nativeType.isInstance(nativeMessage)) {
            return nativeType.cast(nativeMessage);
        }
        throw new IllegalArgumentException("The native message is " + (nativeMessage == null ? "absent"
                : "a " + nativeMessage.getClass().getName()) + ", not a " + nativeType.getName());
    }

    @Override
    public void reply(Object body) {
        if (replier == null) {
            throw new IllegalStateException("This message cannot be answered: it has no reply-to"
                    + " or its subscription does not send replies");
        }
        replier.accept(body);
    }

    @Override
    public String toString() {
        return "Message[destination=" + destination() + ", bytes=" + envelope.body().length + ", contentType="
                + contentType() + ", correlationId=" + correlationId() + "]";
    }
}
