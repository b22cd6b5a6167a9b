package io.parley.api.codec;

/**
 * Turns values into message bodies and back. The default, {@link JsonCodec}, follows the rules the
 * Python peers use (see docs/SPEC.md, "Body encoding"); a custom codec is set with
 * {@link io.parley.api.BrokerOptions.Builder#codec(Codec)}.
 * Implementations throw {@link io.parley.api.CodecException} and must be thread-safe.
 */
public interface Codec {

    /** Encodes a value; {@code null} gives an empty body with no content type. */
    EncodedBody encode(Object value);

    /**
     * Decodes a body into {@code type}.
     *
     * @param contentType the content type the message carried, or {@code null}
     */
    <T> T decode(byte[] body, String contentType, Class<T> type);
}
