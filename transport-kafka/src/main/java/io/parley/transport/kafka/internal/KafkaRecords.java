package io.parley.transport.kafka.internal;

import io.parley.spi.Envelope;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;

/**
 * Envelopes to records and back. Headers are UTF-8 strings: {@code content-type} (always, empty when
 * none), {@code correlation_id}, {@code reply_to}, then the user's. Spring Kafka's request headers
 * ({@code kafka_replyTopic}, binary {@code kafka_correlationId}) are read too, so that a
 * ReplyingKafkaTemplate's request has a reply address and a correlation id here.
 */
final class KafkaRecords {

    static final String SPRING_REPLY_TOPIC = "kafka_replyTopic";
    static final String SPRING_REPLY_PARTITION = "kafka_replyPartition";
    static final String SPRING_CORRELATION_ID = "kafka_correlationId";

    private KafkaRecords() {
    }

    static ProducerRecord<byte[], byte[]> record(Envelope envelope, String topic, Integer partition, String replyTo) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(Envelope.CONTENT_TYPE, utf8(envelope.contentType() == null ? "" : envelope.contentType()));
        if (envelope.correlationId() != null) {
            headers.add(Envelope.CORRELATION_ID, utf8(envelope.correlationId()));
        }
        if (replyTo != null) {
            headers.add(Envelope.REPLY_TO, utf8(replyTo));
        }
        envelope.headers().forEach((name, value) -> headers.add(name, utf8(value)));
        return new ProducerRecord<>(topic, partition, (byte[]) null, envelope.body(), (Iterable<Header>) headers);
    }

    static Envelope envelope(ConsumerRecord<byte[], byte[]> record) {
        Envelope.Builder builder = Envelope.builder(record.topic())
                .body(record.value())
                .nativeMessage(record);
        Map<String, String> user = new HashMap<>();
        String correlationId = null;
        String replyTo = null;
        String springReplyTopic = null;
        byte[] springCorrelation = null;
        for (Header header : record.headers()) {
            String name = header.key();
            switch (name) {
                case Envelope.CONTENT_TYPE -> builder.contentType(text(header));
                case Envelope.CORRELATION_ID -> correlationId = text(header);
                case Envelope.REPLY_TO -> replyTo = text(header);
                case SPRING_REPLY_TOPIC -> springReplyTopic = text(header);
                case SPRING_CORRELATION_ID -> springCorrelation = header.value();
                case SPRING_REPLY_PARTITION -> { } // used when replying, from the native record
                default -> user.put(name, text(header));
            }
        }
        if (correlationId == null && springCorrelation != null) {
            correlationId = springCorrelationText(springCorrelation);
        }
        return builder.correlationId(correlationId)
                .replyTo(replyTo != null ? replyTo : springReplyTopic)
                .headers(user)
                .build();
    }

    /** Spring's default correlation id is the 16 bytes of a UUID: shown as one; anything else in hex. */
    static String springCorrelationText(byte[] bytes) {
        if (bytes.length == 16) {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            return new UUID(buffer.getLong(), buffer.getLong()).toString();
        }
        return HexFormat.of().formatHex(bytes);
    }

    static int replyPartition(byte[] fourBytes) {
        return ByteBuffer.wrap(fourBytes).getInt();
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(Header header) {
        return header.value() == null ? "" : new String(header.value(), StandardCharsets.UTF_8);
    }
}
