package io.parley.api.codec;

import io.parley.api.CodecException;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonCodecTest {

    public record Order(String id, int quantity, List<String> tags) {
    }

    private static final String NON_ASCII = "héllo ✓ 日本";

    private final JsonCodec codec = new JsonCodec();

    @Test
    void stringIsUtf8TextPlain() {
        EncodedBody encoded = codec.encode(NON_ASCII);
        assertEquals(JsonCodec.TEXT_PLAIN, encoded.contentType());
        assertArrayEquals(NON_ASCII.getBytes(StandardCharsets.UTF_8), encoded.bytes());
        assertEquals(NON_ASCII, codec.decode(encoded.bytes(), encoded.contentType(), String.class));
        assertEquals(NON_ASCII, codec.decode(encoded.bytes(), encoded.contentType(), Object.class));
    }

    @Test
    void bytesGoAsIsWithoutContentType() {
        byte[] bytes = {0, 1, (byte) 0xff, 'x'};
        EncodedBody encoded = codec.encode(bytes);
        assertNull(encoded.contentType());
        assertSame(bytes, encoded.bytes());
        assertArrayEquals(bytes, codec.decode(encoded.bytes(), encoded.contentType(), byte[].class));
    }

    @Test
    void nullIsEmptyBodyWithoutContentType() {
        EncodedBody encoded = codec.encode(null);
        assertEquals(0, encoded.bytes().length);
        assertNull(encoded.contentType());
        assertNull(codec.decode(encoded.bytes(), encoded.contentType(), Object.class));
        assertNull(codec.decode(encoded.bytes(), encoded.contentType(), Order.class));
    }

    @Test
    void mapIsJson() {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("name", NON_ASCII);
        map.put("count", 3);
        map.put("nested", Map.of("ok", true));
        EncodedBody encoded = codec.encode(map);
        assertEquals(JsonCodec.APPLICATION_JSON, encoded.contentType());
        assertEquals(map, codec.decode(encoded.bytes(), encoded.contentType(), Map.class));
        assertEquals(map, codec.decode(encoded.bytes(), encoded.contentType(), Object.class));
    }

    @Test
    void listIsJson() {
        List<Object> list = List.of(1, "two", List.of(3));
        EncodedBody encoded = codec.encode(list);
        assertEquals(JsonCodec.APPLICATION_JSON, encoded.contentType());
        assertEquals("[1,\"two\",[3]]", new String(encoded.bytes(), StandardCharsets.UTF_8));
        assertEquals(list, codec.decode(encoded.bytes(), encoded.contentType(), List.class));
        assertEquals(list, codec.decode(encoded.bytes(), encoded.contentType(), Object.class));
    }

    @Test
    void recordIsJson() {
        Order order = new Order("o-1", 2, List.of("a", NON_ASCII));
        EncodedBody encoded = codec.encode(order);
        assertEquals(JsonCodec.APPLICATION_JSON, encoded.contentType());
        assertEquals(order, codec.decode(encoded.bytes(), encoded.contentType(), Order.class));
        Object natural = codec.decode(encoded.bytes(), encoded.contentType(), Object.class);
        assertEquals(Map.of("id", "o-1", "quantity", 2, "tags", List.of("a", NON_ASCII)), natural);
    }

    @Test
    void numbersAndBooleansAreJson() {
        EncodedBody number = codec.encode(42);
        assertEquals(JsonCodec.APPLICATION_JSON, number.contentType());
        assertEquals("42", new String(number.bytes(), StandardCharsets.UTF_8));
        assertEquals(42, codec.decode(number.bytes(), number.contentType(), Integer.class));
        EncodedBody bool = codec.encode(true);
        assertEquals(Boolean.TRUE, codec.decode(bool.bytes(), bool.contentType(), Object.class));
    }

    @Test
    void objectTargetGivesBytesWithoutContentTypeAndNonJsonBody() {
        byte[] raw = {(byte) 0xfe, 0, 'h', 'i'};
        Object decoded = codec.decode(raw, null, Object.class);
        byte[] bytes = assertInstanceOf(byte[].class, decoded);
        assertArrayEquals(raw, bytes);
        assertInstanceOf(byte[].class, codec.decode("hello".getBytes(StandardCharsets.UTF_8), null, Object.class));
    }

    @Test
    void objectTargetTriesJsonWithoutContentType() {
        // FastStream's fallback: no content type, but the body is JSON
        Object decoded = codec.decode("{\"a\":[1,2]}".getBytes(StandardCharsets.UTF_8), null, Object.class);
        assertEquals(Map.of("a", List.of(1, 2)), decoded);
    }

    // Regression (was a bug in JsonCodec.java, decodeNatural, line 88 `mapper.readValue(body, Object.class)`): Jackson
    // stops after the first JSON value (FAIL_ON_TRAILING_TOKENS is off), so a raw body without a
    // content type that merely starts like JSON is decoded as that value instead of falling back
    // to bytes: "true story" -> Boolean.TRUE, "42 is the answer" -> Integer 42. FastStream's
    // json.loads refuses both (bytes). The same leniency lets record decoding accept
    // `{"id":"o"} trailing garbage`.
    @Test
    void objectTargetGivesBytesForTextThatOnlyStartsLikeJson() {
        for (String text : new String[] {"true story", "42 is the answer", "{\"a\":1} and more"}) {
            Object decoded = codec.decode(text.getBytes(StandardCharsets.UTF_8), null, Object.class);
            assertInstanceOf(byte[].class, decoded, text + " decoded as " + decoded);
        }
    }

    @Test
    void jsonWithCharsetParameterIsJson() {
        byte[] body = "{\"id\":\"o-2\",\"quantity\":5,\"tags\":[]}".getBytes(StandardCharsets.UTF_8);
        String contentType = "application/json; charset=utf-8";
        assertEquals(new Order("o-2", 5, List.of()), codec.decode(body, contentType, Order.class));
        assertEquals(Map.of("id", "o-2", "quantity", 5, "tags", List.of()),
                codec.decode(body, contentType, Object.class));
        assertEquals(Map.of("id", "o-2", "quantity", 5, "tags", List.of()),
                codec.decode(body, "Application/JSON", Object.class));
    }

    @Test
    void textPlainWithCharsetParameterIsText() {
        byte[] body = "[1,2]".getBytes(StandardCharsets.UTF_8);
        assertEquals("[1,2]", codec.decode(body, "text/plain; charset=utf-8", Object.class));
    }

    @Test
    void unknownPropertiesAreIgnored() {
        byte[] body = "{\"id\":\"o-3\",\"quantity\":1,\"tags\":[],\"extra\":true}".getBytes(StandardCharsets.UTF_8);
        assertEquals(new Order("o-3", 1, List.of()), codec.decode(body, JsonCodec.APPLICATION_JSON, Order.class));
    }

    @Test
    void undecodableJsonIntoRecordIsCodecExceptionNamingTheType() {
        byte[] body = "not json at all".getBytes(StandardCharsets.UTF_8);
        CodecException e = assertThrows(CodecException.class,
                () -> codec.decode(body, JsonCodec.APPLICATION_JSON, Order.class));
        assertTrue(e.getMessage().contains(Order.class.getName()), e.getMessage());
        assertTrue(e.getMessage().contains(JsonCodec.APPLICATION_JSON), e.getMessage());

        CodecException wrongShape = assertThrows(CodecException.class,
                () -> codec.decode("[1,2]".getBytes(StandardCharsets.UTF_8), null, Order.class));
        assertTrue(wrongShape.getMessage().contains(Order.class.getName()), wrongShape.getMessage());
    }

    @Test
    void declaredJsonThatIsNotJsonIsCodecExceptionForObjectTarget() {
        CodecException e = assertThrows(CodecException.class,
                () -> codec.decode("oops".getBytes(StandardCharsets.UTF_8), JsonCodec.APPLICATION_JSON, Object.class));
        assertTrue(e.getMessage().contains(JsonCodec.APPLICATION_JSON), e.getMessage());
    }

    @Test
    void emptyBodyIsNullForRecordAndEmptyForStringAndBytes() {
        byte[] empty = new byte[0];
        assertNull(codec.decode(empty, JsonCodec.APPLICATION_JSON, Order.class));
        assertNull(codec.decode(empty, null, Order.class));
        assertNull(codec.decode(empty, null, Object.class));
        assertEquals("", codec.decode(empty, null, String.class));
        assertEquals("", codec.decode(empty, JsonCodec.TEXT_PLAIN, String.class));
        assertEquals(0, codec.decode(empty, null, byte[].class).length);
    }

    @Test
    void stringTargetTakesTextWhateverTheContentType() {
        byte[] json = "{\"a\":1}".getBytes(StandardCharsets.UTF_8);
        assertEquals("{\"a\":1}", codec.decode(json, JsonCodec.APPLICATION_JSON, String.class));
        assertEquals("{\"a\":1}", codec.decode(json, null, String.class));
    }

    @Test
    void unencodableValueIsCodecException() {
        Object selfReferencing = new Object() {
            @SuppressWarnings("unused")
            public Object getSelf() {
                return this;
            }
        };
        CodecException e = assertThrows(CodecException.class, () -> codec.encode(selfReferencing));
        assertTrue(e.getMessage().contains("JSON"), e.getMessage());
    }
}
