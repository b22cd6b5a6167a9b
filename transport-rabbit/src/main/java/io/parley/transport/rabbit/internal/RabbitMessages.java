package io.parley.transport.rabbit.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.LongString;
import io.parley.spi.Envelope;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Envelopes to AMQP properties and back: {@code content_type}, {@code correlation_id},
 * {@code reply_to} and {@code message_id} are AMQP properties, user headers go in the headers table.
 *
 * <p>Reading is total: whatever a peer put on the broker becomes an envelope, never an exception on
 * the delivery thread (amqp-client would close the channel, and the unacknowledged message would
 * come back for ever). Header values of any AMQP field type become text; what cannot be read as
 * UTF-8 becomes {@link Envelope#problem()}, which the core answers with a 400 and the subscription
 * rejects. amqp-client decodes short strings (content type, correlation id, reply-to, header names)
 * leniently, so bytes that are not UTF-8 arrive there as U+FFFD.
 */
final class RabbitMessages {

    private static final char REPLACEMENT = '\uFFFD';

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
        if (envelope.timeToLive() != null) { // a request nobody waits for any more is dropped, not handled
            builder.expiration(Long.toString(Math.max(1, envelope.timeToLive().toMillis())));
        }
        return builder.build();
    }

    /** Where the broker keeps a delivered message, for the core's log lines. */
    static String position(long deliveryTag, boolean redelivered, AMQP.BasicProperties properties) {
        String messageId = properties == null ? null : properties.getMessageId();
        return "delivery tag " + deliveryTag + (redelivered ? " (redelivered)" : "")
                + (messageId == null || messageId.isEmpty() ? "" : ", message id " + messageId);
    }

    /** Never throws: what it cannot read is named in {@link Envelope#problem()}. */
    static Envelope envelope(String destination, AMQP.BasicProperties properties, byte[] body, Object nativeMessage,
                             String position) {
        Envelope.Builder envelope = Envelope.builder(destination).body(body).nativeMessage(nativeMessage)
                .position(position);
        List<String> problems = new ArrayList<>();
        try {
            if (properties != null) {
                envelope.contentType(readable("content_type", properties.getContentType(), problems));
                // the core answers with the correlation id it has, even one read with U+FFFD
                String correlationId = properties.getCorrelationId();
                readable("correlation_id", correlationId, problems);
                envelope.correlationId(correlationId);
                envelope.replyTo(readable("reply_to", properties.getReplyTo(), problems));
                envelope.headers(headers(properties.getHeaders(), problems));
            }
        } catch (RuntimeException e) { // a property that breaks the client's own getters: never seen, never fatal
            problems.add("unreadable properties (" + e + ")");
        }
        if (!problems.isEmpty()) {
            envelope.problem(String.join("; ", problems));
        }
        return envelope.build();
    }

    /** The value, or {@code null} with a problem when its bytes were not UTF-8. */
    private static String readable(String field, String value, List<String> problems) {
        if (value != null && value.indexOf(REPLACEMENT) >= 0) {
            problems.add(field + " is not UTF-8 (read with U+FFFD)");
            return null;
        }
        return value;
    }

    private static Map<String, String> headers(Map<String, Object> table, List<String> problems) {
        if (table == null || table.isEmpty()) {
            return Map.of();
        }
        Map<String, String> headers = new HashMap<>();
        for (Map.Entry<String, Object> entry : table.entrySet()) {
            String name = entry.getKey();
            if (name == null || name.indexOf(REPLACEMENT) >= 0) {
                problems.add("a header name is not UTF-8 (read with U+FFFD)");
                continue;
            }
            try {
                headers.put(name, text(entry.getValue()));
            } catch (CharacterCodingException e) {
                problems.add("header '" + name + "' is not UTF-8");
            }
        }
        return headers;
    }

    /**
     * AMQP field values as text: strings and byte arrays as UTF-8 (strictly), numbers and booleans as
     * written, a decimal in plain notation, a timestamp in ISO-8601, void as "", a nested table as
     * {@code {k=v, ...}} and a field array as {@code [a, b]}.
     */
    static String text(Object value) throws CharacterCodingException {
        if (value == null) {
            return "";
        }
        if (value instanceof LongString longString) {
            return utf8(longString.getBytes());
        }
        if (value instanceof byte[] bytes) {
            return utf8(bytes);
        }
        if (value instanceof String string) {
            if (string.indexOf(REPLACEMENT) >= 0) { // a short string amqp-client decoded leniently
                throw new CharacterCodingException();
            }
            return string;
        }
        if (value instanceof BigDecimal decimal) {
            return decimal.toPlainString();
        }
        if (value instanceof Date date) {
            return date.toInstant().toString();
        }
        if (value instanceof Map<?, ?> table) {
            StringBuilder text = new StringBuilder("{");
            for (Map.Entry<?, ?> entry : table.entrySet()) {
                text.append(text.length() > 1 ? ", " : "").append(text(entry.getKey())).append('=')
                        .append(text(entry.getValue()));
            }
            return text.append('}').toString();
        }
        if (value instanceof List<?> array) {
            StringBuilder text = new StringBuilder("[");
            for (Object element : array) {
                text.append(text.length() > 1 ? ", " : "").append(text(element));
            }
            return text.append(']').toString();
        }
        return value.toString(); // numbers, booleans
    }

    private static String utf8(byte[] bytes) throws CharacterCodingException {
        return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
    }
}
