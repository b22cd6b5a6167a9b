package io.parley.transport.kafka.internal;

import io.parley.spi.Envelope;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading records is total: whatever a record holds gives an envelope, and what cannot be read is named. */
class KafkaRecordsTest {

    private static final byte[] NOT_UTF8 = {(byte) 0xC3, (byte) 0x28, (byte) 0xFF};

    private static ConsumerRecord<byte[], byte[]> record(byte[] value, RecordHeaders headers) {
        return new ConsumerRecord<>("orders", 3, 42L, 0L, TimestampType.CREATE_TIME, 0, value == null ? -1 : value.length,
                null, value, headers, Optional.empty());
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void readsParleyHeadersAndPosition() {
        RecordHeaders headers = new RecordHeaders();
        headers.add("content-type", utf8("application/json"));
        headers.add("correlation_id", utf8("id-1"));
        headers.add("reply_to", utf8("answers"));
        headers.add("x-name", utf8("Zoë ✓"));
        Envelope envelope = KafkaRecords.envelope(record(utf8("{}"), headers));
        assertEquals("application/json", envelope.contentType());
        assertEquals("id-1", envelope.correlationId());
        assertEquals("answers", envelope.replyTo());
        assertEquals(Map.of("x-name", "Zoë ✓"), envelope.headers());
        assertEquals("orders-3@42", envelope.position());
        assertNull(envelope.problem());
    }

    @Test
    void ownHeaderNotUtf8IsAProblemAndTheRestIsStillRead() {
        RecordHeaders headers = new RecordHeaders();
        headers.add("content-type", NOT_UTF8);
        headers.add("correlation_id", utf8("id-2"));
        headers.add("reply_to", utf8("answers"));
        Envelope envelope = KafkaRecords.envelope(record(utf8("{}"), headers));
        assertNotNull(envelope.problem());
        assertTrue(envelope.problem().contains("content-type"), envelope.problem());
        assertEquals("id-2", envelope.correlationId());
        assertEquals("answers", envelope.replyTo());
    }

    @Test
    void userHeaderNotUtf8IsLeftOutWithoutAProblem() {
        RecordHeaders headers = new RecordHeaders();
        headers.add("x-binary", NOT_UTF8);
        headers.add("x-text", utf8("fine"));
        Envelope envelope = KafkaRecords.envelope(record(utf8("body"), headers));
        assertNull(envelope.problem());
        assertEquals(Map.of("x-text", "fine"), envelope.headers());
    }

    @Test
    void springHeaders() {
        RecordHeaders headers = new RecordHeaders();
        headers.add("kafka_replyTopic", utf8("spring.replies"));
        headers.add("kafka_correlationId", ByteBuffer.allocate(16).putLong(1).putLong(2).array());
        headers.add("kafka_replyPartition", ByteBuffer.allocate(4).putInt(1).array());
        Envelope envelope = KafkaRecords.envelope(record(utf8("x"), headers));
        assertNull(envelope.problem());
        assertEquals("spring.replies", envelope.replyTo());
        assertEquals("00000000-0000-0001-0000-000000000002", envelope.correlationId());

        RecordHeaders bad = new RecordHeaders();
        bad.add("kafka_replyTopic", utf8("spring.replies"));
        bad.add("kafka_replyPartition", new byte[] {0, 1});
        bad.add("kafka_correlationId", new byte[] {1, 2, 3});
        Envelope malformed = KafkaRecords.envelope(record(utf8("x"), bad));
        assertTrue(malformed.problem().contains("kafka_replyPartition"), malformed.problem());
        assertEquals("spring.replies", malformed.replyTo(), "the reply address is still read");
        assertEquals("010203", malformed.correlationId());
        assertNull(KafkaRecords.replyPartition(bad.lastHeader("kafka_replyPartition")));
    }

    @Test
    void nullValuesAndNoHeaders() {
        RecordHeaders headers = new RecordHeaders();
        headers.add("content-type", null);
        headers.add("x-null", null);
        Envelope envelope = KafkaRecords.envelope(record(null, headers));
        assertEquals(0, envelope.body().length);
        assertNull(envelope.contentType());
        assertNull(envelope.problem());
        assertEquals(Map.of("x-null", ""), envelope.headers());
        assertNull(KafkaRecords.envelope(record(null, new RecordHeaders())).problem());
    }

    @Test
    void neverThrowsWhateverTheHeadersHold() {
        Random random = new Random(7);
        List<String> names = List.of("content-type", "correlation_id", "reply_to", "kafka_replyTopic", "kafka_replyPartition",
                "kafka_correlationId", "x-user", "");
        for (int i = 0; i < 5_000; i++) {
            RecordHeaders headers = new RecordHeaders();
            for (int h = random.nextInt(6); h > 0; h--) {
                byte[] value = random.nextInt(8) == 0 ? null : new byte[random.nextInt(20)];
                if (value != null) {
                    random.nextBytes(value);
                }
                headers.add(names.get(random.nextInt(names.size())), value);
            }
            byte[] body = random.nextBoolean() ? null : new byte[random.nextInt(10)];
            Envelope envelope = KafkaRecords.envelope(record(body, headers));
            assertEquals("orders", envelope.destination());
        }
    }
}
