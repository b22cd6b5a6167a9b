package io.parley.api.codec;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.parley.api.CodecException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The default codec, with the body rules of Propan and FastStream: {@code null} is an empty body,
 * {@code byte[]} goes as is with no content type, a {@code String} is UTF-8 {@code text/plain},
 * anything else is {@code application/json} through Jackson.
 *
 * <p>Decoding: {@code byte[]} gets the raw bytes; {@code String} gets the body as UTF-8 text
 * whatever the content type; {@code Object} gets a String for text, Maps/Lists/numbers for JSON and
 * bytes when there is no content type and the body is not JSON; any other type is read as JSON.
 * An empty body decodes to {@code null} (to {@code ""} and an empty array for String and byte[]).
 */
public final class JsonCodec implements Codec {

    public static final String TEXT_PLAIN = "text/plain";
    public static final String APPLICATION_JSON = "application/json";

    private final ObjectMapper mapper;

    /** A codec with a Jackson mapper that ignores unknown properties, as message consumers should. */
    public JsonCodec() {
        this(new ObjectMapper()
                .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
                // "42 is the answer" is text, not the number 42: the whole body must be one JSON value
                .configure(DeserializationFeature.FAIL_ON_TRAILING_TOKENS, true));
    }

    /** A codec with the caller's mapper (modules, naming strategies...). */
    public JsonCodec(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    @Override
    public EncodedBody encode(Object value) {
        if (value == null) {
            return EncodedBody.EMPTY;
        }
        if (value instanceof byte[] bytes) {
            return new EncodedBody(bytes, null);
        }
        if (value instanceof CharSequence text) {
            return new EncodedBody(text.toString().getBytes(StandardCharsets.UTF_8), TEXT_PLAIN);
        }
        try {
            return new EncodedBody(mapper.writeValueAsBytes(value), APPLICATION_JSON);
        } catch (JsonProcessingException e) {
            throw new CodecException("Cannot encode a " + value.getClass().getName() + " as JSON: "
                    + e.getOriginalMessage() + moduleHint(value.getClass(), e), e);
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T decode(byte[] body, String contentType, Class<T> type) {
        if (type == byte[].class) {
            return (T) body;
        }
        if (type == String.class || type == CharSequence.class) {
            return (T) new String(body, StandardCharsets.UTF_8);
        }
        if (body.length == 0) {
            return null;
        }
        if (type == Object.class) {
            return (T) decodeNatural(body, contentType);
        }
        try {
            return mapper.readValue(body, type);
        } catch (IOException e) {
            throw new CodecException("Cannot decode a body of " + body.length + " bytes (content type "
                    + (contentType == null ? "none" : contentType) + ") into " + type.getName() + ": "
                    + rootMessage(e) + moduleHint(type, e), e);
        }
    }

    /** On the module path, what to add when Jackson may not reach the type (the JDK's message says only what failed). */
    private static String moduleHint(Class<?> type, Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof java.lang.reflect.InaccessibleObjectException
                    || String.valueOf(t.getMessage()).contains("InaccessibleObjectException")) {
                return "; the module of " + type.getName() + " must open its package to Jackson: add \"opens "
                        + type.getPackageName() + " to com.fasterxml.jackson.databind;\" to its module-info.java";
            }
        }
        return "";
    }

    private Object decodeNatural(byte[] body, String contentType) {
        String kind = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT);
        if (kind.startsWith(TEXT_PLAIN)) {
            return new String(body, StandardCharsets.UTF_8);
        }
        try {
            return mapper.readValue(body, Object.class);
        } catch (IOException e) {
            if (kind.isEmpty()) {
                return body; // no content type and not JSON: raw bytes, as FastStream does
            }
            throw new CodecException("Cannot decode a body of " + body.length + " bytes with content type "
                    + contentType + ": " + rootMessage(e), e);
        }
    }

    private static String rootMessage(IOException e) {
        return e instanceof JsonProcessingException json ? json.getOriginalMessage() : e.getMessage();
    }
}
