package io.parley.transport.nats.internal;

import io.nats.client.Message;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import io.parley.spi.Envelope;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Envelopes to NATS messages and back. NATS header values must be ASCII without CR/LF, so any other
 * value travels as an RFC 2047 encoded word ({@code =?UTF-8?B?...?=}), which a non-Parley peer sees
 * as readable ASCII; header names must be printable ASCII without ':' and are refused otherwise.
 */
final class NatsMessages {

    private static final String ENCODED_PREFIX = "=?UTF-8?B?";
    private static final String ENCODED_SUFFIX = "?=";

    private NatsMessages() {
    }

    /**
     * The NATS message for {@code envelope}, sent to {@code replyTo} for answers. With
     * {@code bare}, no headers at all: the end-of-stream reply of NATS request-many.
     */
    static NatsMessage toNats(Envelope envelope, String replyTo, boolean bare) {
        NatsMessage.Builder builder = NatsMessage.builder()
                .subject(envelope.destination())
                .replyTo(replyTo)
                .data(envelope.body());
        if (!bare) {
            Headers headers = new Headers();
            // always present (empty when there is none), as the Python peers write it
            headers.put(Envelope.CONTENT_TYPE, envelope.contentType() == null ? "" : encode(envelope.contentType()));
            if (envelope.correlationId() != null) {
                headers.put(Envelope.CORRELATION_ID, encode(envelope.correlationId()));
            }
            for (Map.Entry<String, String> header : envelope.headers().entrySet()) {
                headers.put(checkName(header.getKey()), encode(header.getValue()));
            }
            builder.headers(headers);
        }
        return builder.build();
    }

    /**
     * The envelope of a received message; {@code correlationId} wins over the header when given. A
     * message whose headers {@link HeaderBlocks} replaced, or a status message (which a server sends
     * only to a request's inbox, so a peer published it), comes with {@link Envelope#problem()} set.
     */
    static Envelope fromNats(Message message, String correlationId, String position) {
        Envelope.Builder builder = Envelope.builder(message.getSubject())
                .body(message.getData())
                .replyTo(message.getReplyTo())
                .nativeMessage(message)
                .position(position);
        String headerId = null;
        if (message.hasHeaders()) {
            Headers headers = message.getHeaders();
            Map<String, String> user = new HashMap<>();
            for (String name : headers.keySet()) {
                List<String> values = headers.get(name);
                String value = values == null || values.isEmpty() ? "" : decode(values.get(0));
                if (name.equalsIgnoreCase(Envelope.CONTENT_TYPE)) {
                    builder.contentType(value);
                } else if (name.equals(Envelope.CORRELATION_ID)) {
                    headerId = value;
                } else if (name.equals(HeaderBlocks.UNREADABLE)) {
                    builder.problem(value);
                } else {
                    user.put(name, value);
                }
            }
            builder.headers(user);
        }
        if (message.isStatusMessage()) {
            builder.problem("it is a NATS status message (" + message.getStatus().getCode() + "), which only a server"
                    + " sends, and only to a request's inbox");
        }
        return builder.correlationId(correlationId != null ? correlationId : headerId).build();
    }

    static String encode(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c > 126 || (c < 32 && c != '\t')) {
                return encodedWord(value);
            }
        }
        if (value.startsWith(ENCODED_PREFIX) && value.endsWith(ENCODED_SUFFIX)) { // would be read as encoded
            return encodedWord(value);
        }
        return value;
    }

    /** {@code value} as one RFC 2047 encoded word: {@code =?UTF-8?B?<base64 of its UTF-8>?=}. */
    static String encodedWord(String value) {
        return ENCODED_PREFIX + Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8)) + ENCODED_SUFFIX;
    }

    static String decode(String value) {
        if (value.length() >= ENCODED_PREFIX.length() + ENCODED_SUFFIX.length()
                && value.startsWith(ENCODED_PREFIX) && value.endsWith(ENCODED_SUFFIX)) {
            try {
                byte[] bytes = Base64.getDecoder().decode(
                        value.substring(ENCODED_PREFIX.length(), value.length() - ENCODED_SUFFIX.length()));
                return new String(bytes, StandardCharsets.UTF_8);
            } catch (IllegalArgumentException notBase64) {
                return value; // looked like an encoded word but is not one: keep it as sent
            }
        }
        return value;
    }

    private static String checkName(String name) {
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c < 33 || c > 126 || c == ':') {
                throw new IllegalArgumentException("Header name '" + name + "' cannot travel on NATS: header names"
                        + " must be printable ASCII without spaces or ':'");
            }
        }
        return name;
    }
}
