package io.parley.transport.rabbit.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.LongString;
import io.parley.spi.Envelope;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Envelopes to AMQP properties and back: {@code content_type}, {@code correlation_id},
 * {@code reply_to} and {@code message_id} are AMQP properties, user headers go in the headers table.
 */
final class RabbitMessages {

    private RabbitMessages() {
    }

    static AMQP.BasicProperties properties(Envelope envelope, String replyTo, boolean persistent) {
        AMQP.BasicProperties.Builder builder = new AMQP.BasicProperties.Builder()
                .contentType(envelope.contentType())
                .correlationId(envelope.correlationId())
                .messageId(envelope.correlationId())
                .replyTo(replyTo)
                .deliveryMode(persistent ? 2 : 1);
        if (!envelope.headers().isEmpty()) {
            builder.headers(new HashMap<>(envelope.headers()));
        }
        return builder.build();
    }

    static Envelope envelope(String destination, AMQP.BasicProperties properties, byte[] body, Object nativeMessage) {
        Map<String, String> headers = new HashMap<>();
        if (properties.getHeaders() != null) {
            properties.getHeaders().forEach((name, value) -> headers.put(name, text(value)));
        }
        return Envelope.builder(destination)
                .body(body)
                .contentType(properties.getContentType())
                .correlationId(properties.getCorrelationId())
                .replyTo(properties.getReplyTo())
                .headers(headers)
                .nativeMessage(nativeMessage)
                .build();
    }

    /** AMQP table values arrive as LongString (bytes), numbers, booleans...: all as text. */
    private static String text(Object value) {
        if (value == null) {
            return "";
        }
        if (value instanceof LongString longString) {
            return new String(longString.getBytes(), StandardCharsets.UTF_8);
        }
        if (value instanceof byte[] bytes) {
            return new String(bytes, StandardCharsets.UTF_8);
        }
        return value.toString();
    }
}
