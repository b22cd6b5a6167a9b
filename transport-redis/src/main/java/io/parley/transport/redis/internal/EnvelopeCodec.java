package io.parley.transport.redis.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.api.CodecException;
import io.parley.spi.Envelope;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Turns an {@link Envelope} into the bytes of a Redis message and back. Redis has no headers, so
 * the content type, correlation id, reply-to and user headers travel inside the message.
 *
 * <p>Writing uses one {@link EnvelopeFormat}. Reading recognises every shape: the FastStream binary
 * envelope by its magic bytes, the two JSON shapes by their keys ({@code data}, {@code headers},
 * {@code reply_to}), and anything else as a bare payload (no headers, no content type), as
 * FastStream does. A message that starts with the binary magic but is broken, or a JSON object
 * with an envelope's keys but values of the wrong types, cannot be read: {@link #read} returns it
 * with {@link Envelope#problem()} set, {@link #decode} throws a {@link CodecException}.
 *
 * <p>Stateless and thread-safe.
 */
public final class EnvelopeCodec {

    /** FastStream's identification header: {@code 89 'B' 'I' 'N' CR LF 1A LF}, as PNG does. */
    static final byte[] MAGIC = {(byte) 0x89, 0x42, 0x49, 0x4E, 0x0D, 0x0A, 0x1A, 0x0A};
    static final int VERSION = 1;
    /** magic (8) + version (2) + headers offset (4) + data offset (4). */
    static final int HEADERS_OFFSET = 18;
    private static final int MAX_SHORT = 0xFFFF;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final EnvelopeFormat format;

    public EnvelopeCodec(EnvelopeFormat format) {
        this.format = format;
    }

    public EnvelopeFormat format() {
        return format;
    }

    // ------------------------------------------------------------------ writing

    /**
     * The bytes of {@code envelope} in this codec's format. Its destination is not written (Redis
     * knows it).
     *
     * @throws CodecException when the format cannot carry the envelope: a header longer than 65,535
     *                        bytes in the binary shape, or a body that is not UTF-8 text in a JSON shape
     */
    public byte[] encode(Envelope envelope) {
        return switch (format) {
            case FASTSTREAM_BINARY -> encodeBinary(envelope);
            case FASTSTREAM_JSON -> encodeJson(envelope, false);
            case PROPAN_JSON -> encodeJson(envelope, true);
        };
    }

    private static byte[] encodeBinary(Envelope envelope) {
        Map<String, String> user = envelope.headers();
        // keys and values as UTF-8, standard fields first in FastStream's order, then user headers
        byte[][] parts = new byte[(3 + user.size()) * 2][];
        int count = 0;
        count = part(parts, count, Envelope.CORRELATION_ID, envelope.correlationId());
        count = part(parts, count, Envelope.CONTENT_TYPE, envelope.contentType());
        count = part(parts, count, Envelope.REPLY_TO, envelope.replyTo());
        for (Map.Entry<String, String> header : user.entrySet()) {
            if (!isStandardAndSet(header.getKey(), envelope)) {
                count = part(parts, count, header.getKey(), header.getValue());
            }
        }
        int headers = count / 2;
        if (headers > MAX_SHORT) {
            throw new CodecException("More than " + MAX_SHORT + " headers cannot travel in the FastStream binary envelope");
        }
        int dataOffset = HEADERS_OFFSET + 2;
        for (int i = 0; i < count; i++) {
            if (parts[i].length > MAX_SHORT) {
                String key = new String(parts[i - i % 2], StandardCharsets.UTF_8);
                throw new CodecException("Header '" + abbreviate(key) + "' is longer than " + MAX_SHORT
                        + " bytes and cannot travel in the FastStream binary envelope");
            }
            dataOffset += 2 + parts[i].length;
        }
        byte[] body = envelope.body();
        ByteBuffer out = ByteBuffer.allocate(dataOffset + body.length); // big-endian, as the format wants
        out.put(MAGIC).putShort((short) VERSION).putInt(HEADERS_OFFSET).putInt(dataOffset);
        out.putShort((short) headers);
        for (int i = 0; i < count; i++) {
            out.putShort((short) parts[i].length).put(parts[i]);
        }
        out.put(body);
        return out.array();
    }

    private static int part(byte[][] parts, int count, String key, String value) {
        if (value == null) {
            return count;
        }
        parts[count] = key.getBytes(StandardCharsets.UTF_8);
        parts[count + 1] = value.getBytes(StandardCharsets.UTF_8);
        return count + 2;
    }

    /** A user header named like a standard field that is set would be written twice: the field wins. */
    private static boolean isStandardAndSet(String name, Envelope envelope) {
        return switch (name) {
            case Envelope.CORRELATION_ID -> envelope.correlationId() != null;
            case Envelope.CONTENT_TYPE -> envelope.contentType() != null;
            case Envelope.REPLY_TO -> envelope.replyTo() != null;
            default -> false;
        };
    }

    private static byte[] encodeJson(Envelope envelope, boolean propan) {
        String data = utf8OrFail(envelope.body(), propan ? EnvelopeFormat.PROPAN_JSON : EnvelopeFormat.FASTSTREAM_JSON);
        ObjectNode root = JSON.createObjectNode();
        root.put("data", data);
        ObjectNode headers = root.putObject("headers");
        // Propan keeps reply_to at the top level and has no correlation id of its own; it passes
        // unknown headers through, so the correlation id still travels for Parley readers.
        wireHeaders(envelope, !propan).forEach(headers::put);
        if (propan) {
            root.put("reply_to", envelope.replyTo() == null ? "" : envelope.replyTo());
            if (envelope.contentType() == null) {
                // Propan marks bytes with an empty content type; without the key its reader decodes them as text
                headers.put(Envelope.CONTENT_TYPE, "");
            }
        }
        try {
            return JSON.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new CodecException("Cannot write the JSON envelope: " + e.getOriginalMessage(), e);
        }
    }

    /** The standard fields first, in FastStream's order, then the user headers. */
    private static Map<String, String> wireHeaders(Envelope envelope, boolean withReplyTo) {
        Map<String, String> headers = new LinkedHashMap<>();
        if (envelope.correlationId() != null) {
            headers.put(Envelope.CORRELATION_ID, envelope.correlationId());
        }
        if (envelope.contentType() != null) {
            headers.put(Envelope.CONTENT_TYPE, envelope.contentType());
        }
        if (withReplyTo && envelope.replyTo() != null) {
            headers.put(Envelope.REPLY_TO, envelope.replyTo());
        }
        for (Map.Entry<String, String> header : envelope.headers().entrySet()) {
            headers.putIfAbsent(header.getKey(), header.getValue());
        }
        return headers;
    }

    private static String utf8OrFail(byte[] body, EnvelopeFormat format) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw new CodecException("A body of " + body.length + " bytes that is not UTF-8 text cannot travel in the "
                    + format.propertyValue() + " envelope (its data field is a JSON string); use the "
                    + EnvelopeFormat.FASTSTREAM_BINARY.propertyValue() + " envelope for binary bodies", e);
        }
    }

    // ------------------------------------------------------------------ reading

    /**
     * Reads a Redis message of any shape into an envelope for {@code destination}; its native
     * message is {@code raw}, its position {@code position} (for log lines; may be null). Never
     * throws: a message that claims to be an envelope but cannot be read (a broken binary envelope,
     * a header that is not UTF-8, a JSON envelope of the wrong shape) comes back with
     * {@link Envelope#problem()} set and whatever could still be read (correlation id, reply-to),
     * so that the core can log it and answer it with an error reply.
     */
    public static Envelope read(String destination, byte[] raw, String position) {
        if (startsWithMagic(raw)) {
            return readBinary(destination, raw, position);
        }
        if (looksLikeJsonObject(raw)) {
            Envelope json = readJson(destination, raw, position);
            if (json != null) {
                return json;
            }
        }
        return Envelope.builder(destination).body(raw).nativeMessage(raw).position(position).build();
    }

    /**
     * Reads a Redis message of any shape into an envelope for {@code destination}.
     *
     * @throws CodecException when {@code raw} claims to be an envelope but cannot be read
     */
    public static Envelope decode(String destination, byte[] raw) {
        Envelope envelope = read(destination, raw, null);
        if (envelope.problem() != null) {
            throw new CodecException("A message of " + raw.length + " bytes on '" + destination + "' cannot be read: "
                    + envelope.problem());
        }
        return envelope;
    }

    /**
     * The shape {@code raw} was written in, or {@code null} for a bare payload: replies are written
     * in the shape of their request, so that the requester can read them.
     */
    public static EnvelopeFormat formatOf(byte[] raw) {
        if (startsWithMagic(raw)) {
            return EnvelopeFormat.FASTSTREAM_BINARY;
        }
        if (looksLikeJsonObject(raw)) {
            try {
                return jsonShape(JSON.readTree(raw));
            } catch (IOException e) {
                return null;
            }
        }
        return null;
    }

    private static boolean startsWithMagic(byte[] raw) {
        return raw.length >= MAGIC.length && Arrays.equals(raw, 0, MAGIC.length, MAGIC, 0, MAGIC.length);
    }

    private static Envelope readBinary(String destination, byte[] raw, String position) {
        if (raw.length < HEADERS_OFFSET + 2) {
            return unreadable(destination, raw, position, Map.of(), null,
                    "a FastStream binary envelope of " + raw.length + " bytes, shorter than its fixed part (truncated)");
        }
        ByteBuffer in = ByteBuffer.wrap(raw);
        int version = Short.toUnsignedInt(in.getShort(MAGIC.length));
        if (version != VERSION) {
            return unreadable(destination, raw, position, Map.of(), null,
                    "a FastStream binary envelope of format version " + version + " (only 1 is known)");
        }
        long headersOffset = Integer.toUnsignedLong(in.getInt(MAGIC.length + 2));
        long dataOffset = Integer.toUnsignedLong(in.getInt(MAGIC.length + 6));
        if (headersOffset < HEADERS_OFFSET || headersOffset + 2 > raw.length || dataOffset < headersOffset + 2) {
            return unreadable(destination, raw, position, Map.of(), null, "a FastStream binary envelope whose offsets"
                    + " (headers " + headersOffset + ", data " + dataOffset + ") do not fit its " + raw.length + " bytes");
        }
        if (dataOffset > raw.length) { // cut short: keep what the complete headers say
            return unreadable(destination, raw, position,
                    salvageHeaders(raw, (int) headersOffset, raw.length), null, "a FastStream binary envelope cut "
                            + "short: its data should start at byte " + dataOffset + " of its " + raw.length);
        }
        Map<String, String> headers;
        try {
            headers = readHeaders(raw, (int) headersOffset, (int) dataOffset, false);
        } catch (IllegalArgumentException strict) {
            // FastStream writes the character count of non-ASCII keys and values where the format
            // says bytes: read such a message by characters before giving up on it.
            try {
                headers = readHeaders(raw, (int) headersOffset, (int) dataOffset, true);
            } catch (IllegalArgumentException lenient) {
                return unreadable(destination, raw, position,
                        salvageHeaders(raw, (int) headersOffset, (int) dataOffset), null,
                        "a FastStream binary envelope whose headers cannot be read: " + strict.getMessage());
            }
        }
        byte[] body = Arrays.copyOfRange(raw, (int) dataOffset, raw.length);
        return fromHeaders(destination, body, headers, null, raw).position(position).build();
    }

    /** Reads the header block, which must end exactly at {@code end}; counts are bytes or, leniently, characters. */
    private static Map<String, String> readHeaders(byte[] raw, int start, int end, boolean countsCharacters) {
        int count = unsignedShort(raw, start, end);
        int position = start + 2;
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            int keyLength = unsignedShort(raw, position, end);
            position += 2;
            int keyEnd = stringEnd(raw, position, keyLength, end, countsCharacters);
            String key = utf8(raw, position, keyEnd);
            if (key == null) {
                throw new IllegalArgumentException("the key of header " + (i + 1) + " is not UTF-8");
            }
            position = keyEnd;
            int valueLength = unsignedShort(raw, position, end);
            position += 2;
            int valueEnd = stringEnd(raw, position, valueLength, end, countsCharacters);
            String value = utf8(raw, position, valueEnd);
            if (value == null) {
                throw new IllegalArgumentException("the value of header '" + abbreviate(key) + "' is not UTF-8");
            }
            headers.put(key, value);
            position = valueEnd;
        }
        if (position != end) {
            throw new IllegalArgumentException("its headers end at byte " + position + " but its data starts at " + end);
        }
        return headers;
    }

    /**
     * What can still be read of a broken header block (counted in bytes): every complete header up
     * to where the block breaks or {@code end}, leaving out those that are not UTF-8. It may give the
     * correlation id and reply-to, which FastStream and Parley write first.
     */
    private static Map<String, String> salvageHeaders(byte[] raw, int start, int end) {
        Map<String, String> headers = new LinkedHashMap<>();
        if (start + 2 > end) {
            return headers;
        }
        int count = unsignedShort(raw, start, end);
        int position = start + 2;
        for (int i = 0; i < count && position + 2 <= end; i++) {
            int keyEnd = position + 2 + unsignedShort(raw, position, end);
            if (keyEnd + 2 > end) {
                break;
            }
            int valueEnd = keyEnd + 2 + unsignedShort(raw, keyEnd, end);
            if (valueEnd > end) {
                break;
            }
            String key = utf8(raw, position + 2, keyEnd);
            String value = utf8(raw, keyEnd + 2, valueEnd);
            if (key != null && value != null) {
                headers.put(key, value);
            }
            position = valueEnd;
        }
        return headers;
    }

    private static int unsignedShort(byte[] raw, int position, int end) {
        if (position + 2 > end) {
            throw new IllegalArgumentException("a header length runs past the data offset " + end);
        }
        return ((raw[position] & 0xFF) << 8) | (raw[position + 1] & 0xFF);
    }

    private static int stringEnd(byte[] raw, int position, int length, int end, boolean countsCharacters) {
        int stop = position;
        if (!countsCharacters) {
            stop += length;
        } else {
            for (int chars = 0; chars < length && stop < end; chars++) {
                int lead = raw[stop] & 0xFF;
                int width = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
                // a code point above U+FFFF counts as one character in Python, as here
                stop += width;
            }
        }
        if (stop > end) {
            throw new IllegalArgumentException("a header of " + length + " runs past the data offset " + end);
        }
        return stop;
    }

    /** The UTF-8 text of {@code raw[from, to)}, or {@code null} when it is not valid UTF-8. */
    private static String utf8(byte[] raw, int from, int to) {
        boolean ascii = true;
        for (int i = from; i < to && ascii; i++) {
            ascii = raw[i] >= 0;
        }
        if (ascii) { // the usual header: no decoder needed
            return new String(raw, from, to - from, StandardCharsets.US_ASCII);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(raw, from, to - from)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private static boolean looksLikeJsonObject(byte[] raw) {
        int first = 0;
        while (first < raw.length && isJsonSpace(raw[first])) {
            first++;
        }
        int last = raw.length - 1;
        while (last > first && isJsonSpace(raw[last])) {
            last--;
        }
        return first < last && raw[first] == '{' && raw[last] == '}';
    }

    private static boolean isJsonSpace(byte b) {
        return b == ' ' || b == '\n' || b == '\r' || b == '\t';
    }

    /**
     * The JSON shapes; {@code null} when {@code raw} is some other JSON (then it is a bare payload).
     * An object with an envelope's keys whose values have the wrong types is an unreadable envelope.
     */
    private static Envelope readJson(String destination, byte[] raw, String position) {
        JsonNode root;
        try {
            root = JSON.readTree(raw);
        } catch (IOException e) {
            return null;
        }
        if (jsonShape(root) == null) {
            return null;
        }
        JsonNode data = root.get("data");
        JsonNode headerNode = root.get("headers");
        JsonNode topReplyTo = root.get("reply_to"); // Propan
        Map<String, String> headers = new LinkedHashMap<>();
        if (headerNode != null && headerNode.isObject()) {
            headerNode.fields().forEachRemaining(field -> {
                JsonNode value = field.getValue();
                if (!value.isNull()) {
                    headers.put(field.getKey(), value.isValueNode() ? value.asText() : value.toString());
                }
            });
        }
        String replyTo = topReplyTo != null && topReplyTo.isTextual() ? topReplyTo.asText() : null;
        String wrong = !data.isTextual() ? "its data is " + kind(data) + ", not a string"
                : headerNode != null && !headerNode.isObject() && !headerNode.isNull()
                ? "its headers are " + kind(headerNode) + ", not an object"
                : topReplyTo != null && !topReplyTo.isTextual() && !topReplyTo.isNull()
                ? "its reply_to is " + kind(topReplyTo) + ", not a string" : null;
        if (wrong != null) {
            return unreadable(destination, raw, position, headers, replyTo, "a JSON envelope of the wrong shape: " + wrong);
        }
        byte[] body = data.asText().getBytes(StandardCharsets.UTF_8);
        return fromHeaders(destination, body, headers, replyTo, raw).position(position).build();
    }

    private static String kind(JsonNode node) {
        return switch (node.getNodeType()) {
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            default -> node.getNodeType().name().toLowerCase(Locale.ROOT);
        };
    }

    /**
     * Which JSON envelope {@code root} is, or {@code null} when it is some other JSON: an object with
     * {@code data}, and {@code headers} and/or {@code reply_to} (Propan), and nothing else; or
     * {@code data} alone as a string. The value types are checked by the reader.
     */
    private static EnvelopeFormat jsonShape(JsonNode root) {
        if (root == null || !root.isObject() || !root.has("data")) {
            return null;
        }
        for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!name.equals("data") && !name.equals("headers") && !name.equals("reply_to")) {
                return null; // a user's own JSON that merely has a "data" field
            }
        }
        if (root.size() == 1 && !root.get("data").isTextual()) {
            return null; // {"data": 42}: a user's own JSON rather than a broken envelope
        }
        return root.has("reply_to") ? EnvelopeFormat.PROPAN_JSON : EnvelopeFormat.FASTSTREAM_JSON;
    }

    private static Envelope.Builder fromHeaders(String destination, byte[] body, Map<String, String> wire,
                                                String topLevelReplyTo, byte[] raw) {
        Map<String, String> user = wire; // our own fresh map: the standard fields are taken out of it
        String correlationId = user.remove(Envelope.CORRELATION_ID);
        String contentType = user.remove(Envelope.CONTENT_TYPE);
        String replyTo = user.remove(Envelope.REPLY_TO);
        if (topLevelReplyTo != null && !topLevelReplyTo.isEmpty()) {
            replyTo = topLevelReplyTo;
        }
        return Envelope.builder(destination).body(body).contentType(contentType).correlationId(correlationId)
                .replyTo(replyTo).headers(user).nativeMessage(raw);
    }

    /** A message that claims to be an envelope but cannot be read: only its routing fields, and the problem. */
    private static Envelope unreadable(String destination, byte[] raw, String position, Map<String, String> salvaged,
                                       String topLevelReplyTo, String problem) {
        Map<String, String> fields = new LinkedHashMap<>(salvaged);
        return fromHeaders(destination, new byte[0], fields, topLevelReplyTo, raw).position(position).problem(problem).build();
    }

    private static String abbreviate(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "...";
    }
}
