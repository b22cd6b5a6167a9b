package io.parley.transport.rabbit.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.impl.LongStringHelper;
import io.parley.spi.Envelope;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading AMQP properties is total: odd types become text, what is not UTF-8 becomes the envelope's problem. */
class RabbitMessagesTest {

    private static final byte[] NOT_UTF8 = {'b', 'a', 'd', (byte) 0xC3, (byte) 0x28, (byte) 0xFF};

    @Test
    void headerValuesOfEveryFieldTypeAreText() {
        Map<String, Object> nested = new LinkedHashMap<>();
        nested.put("count", 3L);
        nested.put("reason", LongStringHelper.asLongString("rejected"));
        Map<String, Object> headers = new HashMap<>();
        headers.put("long-string", LongStringHelper.asLongString("é"));
        headers.put("bytes", "raw".getBytes(StandardCharsets.UTF_8));
        headers.put("table", nested);
        headers.put("array", List.of(nested, 7));
        headers.put("decimal", new BigDecimal("1E+3"));
        headers.put("timestamp", new Date(1_700_000_000_000L));
        headers.put("void", null);
        headers.put("boolean", true);
        headers.put("double", 2.5d);

        Envelope envelope = read(new AMQP.BasicProperties.Builder().headers(headers).build());

        assertNull(envelope.problem());
        assertEquals("é", envelope.headers().get("long-string"));
        assertEquals("raw", envelope.headers().get("bytes"));
        assertEquals("{count=3, reason=rejected}", envelope.headers().get("table"));
        assertEquals("[{count=3, reason=rejected}, 7]", envelope.headers().get("array"));
        assertEquals("1000", envelope.headers().get("decimal"));
        assertEquals("2023-11-14T22:13:20Z", envelope.headers().get("timestamp"));
        assertEquals("", envelope.headers().get("void"));
        assertEquals("true", envelope.headers().get("boolean"));
        assertEquals("2.5", envelope.headers().get("double"));
    }

    @Test
    void headerBytesThatAreNotUtf8AreAProblemAndTheRestIsKept() {
        Map<String, Object> headers = new HashMap<>();
        headers.put("bad", LongStringHelper.asLongString(NOT_UTF8));
        headers.put("deep", Map.of("inner", List.of(NOT_UTF8)));
        headers.put("good", "fine");

        Envelope envelope = read(new AMQP.BasicProperties.Builder().headers(headers).correlationId("c-1")
                .replyTo("answers").build());

        assertTrue(envelope.problem().contains("header 'bad' is not UTF-8"), envelope.problem());
        assertTrue(envelope.problem().contains("header 'deep' is not UTF-8"), envelope.problem());
        assertEquals(Map.of("good", "fine"), envelope.headers());
        assertEquals("c-1", envelope.correlationId());
        assertEquals("answers", envelope.replyTo(), "the core answers 400 there");
    }

    @Test
    void shortStringsReadWithReplacementCharactersAreAProblem() {
        // amqp-client decodes short strings leniently: bytes that are not UTF-8 arrive as U+FFFD
        String lenient = new String(NOT_UTF8, StandardCharsets.UTF_8);
        Envelope envelope = read(new AMQP.BasicProperties.Builder().contentType(lenient).replyTo(lenient)
                .correlationId("c-2").headers(Map.of(lenient, "v")).build());

        assertTrue(envelope.problem().contains("content_type is not UTF-8"), envelope.problem());
        assertTrue(envelope.problem().contains("reply_to is not UTF-8"), envelope.problem());
        assertTrue(envelope.problem().contains("a header name is not UTF-8"), envelope.problem());
        assertNull(envelope.contentType());
        assertNull(envelope.replyTo(), "an unreadable reply-to is no address to answer to");
        assertEquals("c-2", envelope.correlationId());
    }

    @Test
    void positionNamesTheDeliveryTagAndMessageId() {
        AMQP.BasicProperties properties = new AMQP.BasicProperties.Builder().messageId("m-1").build();
        assertEquals("delivery tag 7 (redelivered), message id m-1", RabbitMessages.position(7, true, properties));
        assertEquals("delivery tag 8", RabbitMessages.position(8, false, new AMQP.BasicProperties()));
        assertEquals("delivery tag 7 (redelivered), message id m-1",
                read(properties, RabbitMessages.position(7, true, properties)).position());
    }

    @Test
    void noPropertiesAtAllIsAnEmptyEnvelope() {
        Envelope envelope = RabbitMessages.envelope("orders", null, null, null, null);
        assertNull(envelope.problem());
        assertEquals(0, envelope.body().length);
    }

    private static Envelope read(AMQP.BasicProperties properties) {
        return read(properties, null);
    }

    private static Envelope read(AMQP.BasicProperties properties, String position) {
        return RabbitMessages.envelope("orders", properties, "{}".getBytes(StandardCharsets.UTF_8), null, position);
    }
}
