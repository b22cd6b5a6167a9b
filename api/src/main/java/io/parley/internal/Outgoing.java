package io.parley.internal;

import io.parley.api.Message;
import io.parley.api.Reply;
import io.parley.api.codec.Codec;
import io.parley.api.codec.EncodedBody;
import io.parley.spi.Envelope;

import java.util.LinkedHashMap;
import java.util.Map;

/** A value turned into what goes on the wire: a Message passes through, a Reply adds headers, the rest goes to the codec. */
record Outgoing(byte[] body, String contentType, Map<String, String> headers) {

    static Outgoing of(Object value, Codec codec, Map<String, String> extraHeaders) {
        if (value instanceof Message message) {
            return new Outgoing(message.body(), message.contentType(), merge(message.headers(), extraHeaders));
        }
        if (value instanceof Reply reply) {
            EncodedBody encoded = codec.encode(reply.body());
            return new Outgoing(encoded.bytes(), encoded.contentType(), merge(reply.headers(), extraHeaders));
        }
        EncodedBody encoded = codec.encode(value);
        return new Outgoing(encoded.bytes(), encoded.contentType(), extraHeaders);
    }

    Envelope.Builder envelope(String destination) {
        return Envelope.builder(destination).body(body).contentType(contentType).headers(headers);
    }

    private static Map<String, String> merge(Map<String, String> first, Map<String, String> second) {
        if (second.isEmpty()) {
            return first;
        }
        if (first.isEmpty()) {
            return second;
        }
        Map<String, String> merged = new LinkedHashMap<>(first);
        merged.putAll(second);
        return merged;
    }
}
