package io.parley.api.codec;

import java.util.Objects;

/**
 * The bytes of a body and the content type that says how to read them ({@code null} for raw bytes).
 * The array is not copied: do not change it after handing it over.
 */
public record EncodedBody(byte[] bytes, String contentType) {

    public static final EncodedBody EMPTY = new EncodedBody(new byte[0], null);

    public EncodedBody {
        Objects.requireNonNull(bytes, "bytes");
    }
}
