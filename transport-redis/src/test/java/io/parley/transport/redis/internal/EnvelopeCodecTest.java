package io.parley.transport.redis.internal;

import io.parley.api.CodecException;
import io.parley.spi.Envelope;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EnvelopeCodecTest {

    private static final String TEXT = "Grüße, 世界 🚀 — naïve café";

    private static Envelope full(byte[] body) {
        return Envelope.builder("orders").body(body).contentType("text/plain")
                .correlationId("0f8e3b52-5b7e-4a4e-9d2c-5f1e0c7f6a11").replyTo("parley.reply.abc.1")
                .header("tenant", "Zürich").header("trace", "t-1").build();
    }

    private static void assertSameFields(Envelope expected, Envelope actual) {
        assertArrayEquals(expected.body(), actual.body());
        assertEquals(expected.contentType(), actual.contentType());
        assertEquals(expected.correlationId(), actual.correlationId());
        assertEquals(expected.replyTo(), actual.replyTo());
        assertEquals(expected.headers(), actual.headers());
    }

    @ParameterizedTest
    @EnumSource(EnvelopeFormat.class)
    void nonAsciiTextAndHeadersRoundTripInEveryShape(EnvelopeFormat format) {
        Envelope sent = full(TEXT.getBytes(StandardCharsets.UTF_8));
        byte[] raw = new EnvelopeCodec(format).encode(sent);
        Envelope read = EnvelopeCodec.decode("orders", raw);
        assertSameFields(sent, read);
        assertEquals("orders", read.destination());
        assertSame(raw, read.nativeMessage());
        assertEquals(format, EnvelopeCodec.formatOf(raw));
    }

    @ParameterizedTest
    @EnumSource(EnvelopeFormat.class)
    void emptyEnvelopeRoundTripsInEveryShape(EnvelopeFormat format) {
        Envelope sent = Envelope.builder("x").build();
        Envelope read = EnvelopeCodec.decode("x", new EnvelopeCodec(format).encode(sent));
        assertEquals(0, read.body().length);
        assertNull(read.contentType());
        assertNull(read.correlationId());
        assertNull(read.replyTo());
        assertTrue(read.headers().isEmpty());
        assertTrue(read.isEndOfStream());
    }

    @Test
    void everyByteValueRoundTripsInTheBinaryShape() {
        byte[] all = new byte[256];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) i;
        }
        Envelope sent = Envelope.builder("bin").body(all).correlationId("c").build();
        Envelope read = EnvelopeCodec.decode("bin", new EnvelopeCodec(EnvelopeFormat.FASTSTREAM_BINARY).encode(sent));
        assertArrayEquals(all, read.body());
        assertEquals("c", read.correlationId());
        assertNull(read.contentType());
    }

    @Test
    void binaryLayoutIsFastStreams() {
        Envelope sent = Envelope.builder("d").body(new byte[]{1, 2, 3}).correlationId("id").contentType("ct")
                .replyTo("rt").header("k", "v").build();
        byte[] raw = new EnvelopeCodec(EnvelopeFormat.FASTSTREAM_BINARY).encode(sent);
        ByteBuffer in = ByteBuffer.wrap(raw);
        assertArrayEquals(EnvelopeCodec.MAGIC, Arrays.copyOf(raw, 8));
        assertEquals(1, in.getShort(8));
        assertEquals(18, in.getInt(10));
        int dataOffset = in.getInt(14);
        assertEquals(4, in.getShort(18), "header count");
        // correlation_id first, then content-type, reply_to, user headers (FastStream's order)
        assertEquals(14, in.getShort(20));
        assertEquals("correlation_id", new String(raw, 22, 14, StandardCharsets.UTF_8));
        assertArrayEquals(new byte[]{1, 2, 3}, Arrays.copyOfRange(raw, dataOffset, raw.length));
        assertEquals(raw.length - 3, dataOffset);
    }

    /** A message as FastStream 0.6 writes it, built by hand from the format description. */
    private static byte[] fastStreamBinary(Map<String, String> headers, byte[] data, boolean lengthsInCharacters) {
        ByteArrayOutputStream block = new ByteArrayOutputStream();
        block.write(headers.size() >> 8);
        block.write(headers.size());
        headers.forEach((key, value) -> {
            for (String part : new String[]{key, value}) {
                byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
                int length = lengthsInCharacters ? part.codePointCount(0, part.length()) : bytes.length;
                block.write(length >> 8);
                block.write(length);
                block.writeBytes(bytes);
            }
        });
        byte[] headerBytes = block.toByteArray();
        ByteBuffer out = ByteBuffer.allocate(18 + headerBytes.length + data.length);
        out.put(EnvelopeCodec.MAGIC).putShort((short) 1).putInt(18).putInt(18 + headerBytes.length)
                .put(headerBytes).put(data);
        return out.array();
    }

    @Test
    void readsAFastStreamBinaryMessage() {
        byte[] raw = fastStreamBinary(new java.util.LinkedHashMap<>(Map.of("correlation_id", "abc",
                "content-type", "application/json", "reply_to", "inbox-1", "x-user", "1")),
                "{\"a\":1}".getBytes(StandardCharsets.UTF_8), false);
        Envelope read = EnvelopeCodec.decode("q", raw);
        assertEquals("abc", read.correlationId());
        assertEquals("application/json", read.contentType());
        assertEquals("inbox-1", read.replyTo());
        assertEquals(Map.of("x-user", "1"), read.headers());
        assertEquals("{\"a\":1}", new String(read.body(), StandardCharsets.UTF_8));
    }

    @Test
    void readsFastStreamsCharacterCountedNonAsciiHeaders() {
        // FastStream writes len(str) (characters) where the format says bytes
        Map<String, String> headers = new java.util.LinkedHashMap<>();
        headers.put("correlation_id", "c-1");
        headers.put("city", "Zürich 🚀");
        byte[] raw = fastStreamBinary(headers, TEXT.getBytes(StandardCharsets.UTF_8), true);
        Envelope read = EnvelopeCodec.decode("q", raw);
        assertEquals("c-1", read.correlationId());
        assertEquals("Zürich 🚀", read.headers().get("city"));
        assertEquals(TEXT, new String(read.body(), StandardCharsets.UTF_8));
    }

    @Test
    void readsFastStreamJson() {
        String json = "{\"data\": \"" + TEXT + "\", \"headers\": {\"correlation_id\": \"c-2\", \"content-type\": "
                + "\"text/plain\", \"reply_to\": \"back\", \"n\": 5}}";
        Envelope read = EnvelopeCodec.decode("q", json.getBytes(StandardCharsets.UTF_8));
        assertEquals(TEXT, new String(read.body(), StandardCharsets.UTF_8));
        assertEquals("c-2", read.correlationId());
        assertEquals("text/plain", read.contentType());
        assertEquals("back", read.replyTo());
        assertEquals(Map.of("n", "5"), read.headers());
        assertEquals(EnvelopeFormat.FASTSTREAM_JSON, EnvelopeCodec.formatOf(json.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void readsPropanJson() {
        String json = "{\"data\": \"{\\\"x\\\": 1}\", \"headers\": {\"content-type\": \"application/json\"}, "
                + "\"reply_to\": \"propan-inbox\"}";
        Envelope read = EnvelopeCodec.decode("q", json.getBytes(StandardCharsets.UTF_8));
        assertEquals("{\"x\": 1}", new String(read.body(), StandardCharsets.UTF_8));
        assertEquals("application/json", read.contentType());
        assertEquals("propan-inbox", read.replyTo());
        assertNull(read.correlationId());
        assertEquals(EnvelopeFormat.PROPAN_JSON, EnvelopeCodec.formatOf(json.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void propanEmptyReplyToMeansNone() {
        String json = "{\"data\": \"hi\", \"headers\": {}, \"reply_to\": \"\"}";
        assertNull(EnvelopeCodec.decode("q", json.getBytes(StandardCharsets.UTF_8)).replyTo());
    }

    @Test
    void propanShapeKeepsReplyToAtTheTopLevel() {
        byte[] raw = new EnvelopeCodec(EnvelopeFormat.PROPAN_JSON).encode(full(TEXT.getBytes(StandardCharsets.UTF_8)));
        String json = new String(raw, StandardCharsets.UTF_8);
        assertTrue(json.contains("\"reply_to\":\"parley.reply.abc.1\"}"), json);
        assertTrue(!json.contains("\"headers\":{\"reply_to\""), json);
    }

    @Test
    void barePayloadsAreBodiesWithoutHeaders() {
        for (String bare : new String[]{"plain text ü", "{\"order\": 7}", "{\"data\": \"x\", \"other\": 1}", "[1,2]",
                "{not json}", ""}) {
            byte[] raw = bare.getBytes(StandardCharsets.UTF_8);
            Envelope read = EnvelopeCodec.decode("q", raw);
            assertArrayEquals(raw, read.body(), bare);
            assertNull(read.contentType(), bare);
            assertNull(read.correlationId(), bare);
            assertTrue(read.headers().isEmpty(), bare);
            assertNull(EnvelopeCodec.formatOf(raw), bare);
        }
        byte[] binary = {0, (byte) 0xFF, (byte) 0x89, 0x42};
        assertArrayEquals(binary, EnvelopeCodec.decode("q", binary).body());
    }

    @ParameterizedTest
    @EnumSource(value = EnvelopeFormat.class, names = {"FASTSTREAM_JSON", "PROPAN_JSON"})
    void jsonShapesRefuseBinaryBodiesWithACodecException(EnvelopeFormat format) {
        Envelope binary = Envelope.builder("q").body(new byte[]{(byte) 0xC3, 0x28, (byte) 0xFF}).build();
        CodecException e = assertThrows(CodecException.class, () -> new EnvelopeCodec(format).encode(binary));
        assertTrue(e.getMessage().contains(format.propertyValue()), e.getMessage());
    }

    @Test
    void aUserHeaderNamedLikeASetStandardFieldIsNotWrittenTwice() {
        Envelope sent = Envelope.builder("q").correlationId("field").header("correlation_id", "header")
                .header("reply_to", "only-header").build();
        Envelope read = EnvelopeCodec.decode("q", new EnvelopeCodec(EnvelopeFormat.FASTSTREAM_BINARY).encode(sent));
        assertEquals("field", read.correlationId());
        assertEquals("only-header", read.replyTo()); // no reply-to field: the header is what travels
        assertTrue(read.headers().isEmpty(), read.headers().toString());
    }

    @Test
    void tooLongHeaderIsACodecException() {
        Envelope huge = Envelope.builder("q").header("big", "x".repeat(70_000)).build();
        assertThrows(CodecException.class, () -> new EnvelopeCodec(EnvelopeFormat.FASTSTREAM_BINARY).encode(huge));
    }

    @Test
    void malformedBinaryEnvelopesAreCodecExceptions() {
        byte[] good = new EnvelopeCodec(EnvelopeFormat.FASTSTREAM_BINARY).encode(full(new byte[]{9, 9}));
        byte[][] broken = {
                Arrays.copyOf(good, 12), // truncated fixed part
                withShort(good, 8, 2), // unknown version
                withInt(good, 14, good.length + 10), // data offset past the end
                withInt(good, 14, 20), // data offset inside the headers
                withShort(good, 18, 60), // more headers than there are
                withShort(good, 20, 5000), // a key length running past the data offset
        };
        for (byte[] raw : broken) {
            CodecException e = assertThrows(CodecException.class, () -> EnvelopeCodec.decode("orders", raw));
            assertTrue(e.getMessage().contains("'orders'"), e.getMessage());
        }
    }

    @Test
    void invalidUtf8InABinaryHeaderIsACodecException() {
        byte[] raw = fastStreamBinary(Map.of("k", "v"), new byte[0], false);
        raw[18 + 2 + 2] = (byte) 0xFF; // the key's single byte
        assertThrows(CodecException.class, () -> EnvelopeCodec.decode("q", raw));
    }

    @Test
    void aBrokenBinaryEnvelopeIsReadAsAProblemWithTheRoutingFieldsItStillHas() {
        Envelope sent = full(new byte[]{9, 9});
        byte[] good = new EnvelopeCodec(EnvelopeFormat.FASTSTREAM_BINARY).encode(sent);
        // cut inside the last user header: correlation id, content type and reply-to come first and are whole
        Envelope cut = EnvelopeCodec.read("orders", Arrays.copyOf(good, good.length - 6), "entry 1-0");
        assertTrue(cut.problem().contains("cut short"), cut.problem());
        assertEquals(sent.correlationId(), cut.correlationId());
        assertEquals(sent.replyTo(), cut.replyTo());
        assertEquals("entry 1-0", cut.position());
        assertEquals("orders", cut.destination());

        Envelope stump = EnvelopeCodec.read("orders", Arrays.copyOf(good, 15), null);
        assertTrue(stump.problem().contains("shorter than its fixed part"), stump.problem());
        assertNull(stump.correlationId());
        assertNull(stump.replyTo());
    }

    @Test
    void aHeaderThatIsNotUtf8IsAProblemAndTheOtherHeadersAreKept() {
        Map<String, String> headers = new java.util.LinkedHashMap<>();
        headers.put("correlation_id", "c-1");
        headers.put("reply_to", "answers");
        headers.put("x-name", "ab");
        byte[] raw = fastStreamBinary(headers, new byte[]{1}, false);
        raw[raw.length - 2] = (byte) 0xFF; // the x-name value's first byte
        Envelope read = EnvelopeCodec.read("q", raw, null);
        assertEquals("a FastStream binary envelope whose headers cannot be read: the value of header 'x-name' is not "
                + "UTF-8", read.problem());
        assertEquals("c-1", read.correlationId());
        assertEquals("answers", read.replyTo());
        assertTrue(read.headers().isEmpty(), read.headers().toString());
    }

    @Test
    void aJsonEnvelopeOfTheWrongShapeIsAProblemAndOtherJsonIsABarePayload() {
        Envelope number = EnvelopeCodec.read("q", json("{\"data\": 42, \"headers\": {\"correlation_id\": \"c-2\", "
                + "\"reply_to\": \"answers\"}}"), null);
        assertEquals("a JSON envelope of the wrong shape: its data is a number, not a string", number.problem());
        assertEquals("c-2", number.correlationId());
        assertEquals("answers", number.replyTo());

        Envelope list = EnvelopeCodec.read("q", json("{\"data\": \"x\", \"headers\": [1], \"reply_to\": \"r\"}"), null);
        assertEquals("a JSON envelope of the wrong shape: its headers are an array, not an object", list.problem());
        assertEquals("r", list.replyTo()); // Propan's top-level reply-to: a Propan requester still gets the error
        assertEquals(EnvelopeFormat.PROPAN_JSON, EnvelopeCodec.formatOf(json("{\"data\": \"x\", \"headers\": [1], "
                + "\"reply_to\": \"r\"}")), "answered in the shape it came in");

        Envelope replyTo = EnvelopeCodec.read("q", json("{\"data\": \"x\", \"reply_to\": 7}"), null);
        assertEquals("a JSON envelope of the wrong shape: its reply_to is a number, not a string", replyTo.problem());

        for (String own : new String[]{"{\"data\": 42}", "{\"data\": 42, \"headers\": {}, \"id\": 1}"}) {
            Envelope bare = EnvelopeCodec.read("q", json(own), null);
            assertNull(bare.problem(), own);
            assertEquals(own, new String(bare.body(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void decodeThrowsWhatReadReportsAsAProblem() {
        CodecException e = assertThrows(CodecException.class, () -> EnvelopeCodec.decode("orders",
                json("{\"data\": 1, \"headers\": {}}")));
        assertTrue(e.getMessage().contains("'orders'") && e.getMessage().contains("data is a number"), e.getMessage());
    }

    private static byte[] json(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] withShort(byte[] raw, int at, int value) {
        byte[] copy = raw.clone();
        ByteBuffer.wrap(copy).putShort(at, (short) value);
        return copy;
    }

    private static byte[] withInt(byte[] raw, int at, int value) {
        byte[] copy = raw.clone();
        ByteBuffer.wrap(copy).putInt(at, value);
        return copy;
    }
}
