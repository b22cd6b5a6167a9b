package io.parley.transport.kafka.internal;

import io.parley.spi.Envelope;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Envelopes to records and back. Headers are UTF-8 strings: {@code content-type} (always, empty when
 * none), {@code correlation_id}, {@code reply_to}, then the user's. Spring Kafka's request headers
 * ({@code kafka_replyTopic}, binary {@code kafka_correlationId}) are read too, so that a
 * ReplyingKafkaTemplate's request has a reply address and a correlation id here.
 *
 * <p>Reading is total: whatever a record holds, {@link #envelope} returns an envelope. What cannot be
 * read (one of Parley's own headers that is not UTF-8, a {@code kafka_replyPartition} that is not
 * 4 bytes) becomes {@link Envelope#problem()}, with the rest of the record still read, so that the core
 * can answer it (400) and the subscription skip it. A user header that is not UTF-8 is left out of the
 * envelope's headers (it stays on the native record): foreign producers put binary headers on topics,
 * and that must not make their messages unreadable.
 */
final class KafkaRecords {

    private static final Logger log = LoggerFactory.getLogger(KafkaRecords.class);

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

    /** About what the record takes in a batch, without the batch's own overhead: to refuse a too-large send at once. */
    static long size(ProducerRecord<byte[], byte[]> record) {
        long size = record.value() == null ? 0 : record.value().length;
        for (Header header : record.headers()) {
            size += header.key().length() + (header.value() == null ? 0 : header.value().length);
        }
        return size;
    }

    /** Where the broker keeps the record, for log lines: {@code topic-partition@offset}, as Kafka's tools write it. */
    static String position(ConsumerRecord<?, ?> record) {
        return record.topic() + "-" + record.partition() + "@" + record.offset();
    }

    /** Never throws: what cannot be read is named in {@link Envelope#problem()}. */
    static Envelope envelope(ConsumerRecord<byte[], byte[]> record) {
        Envelope.Builder builder = Envelope.builder(record.topic())
                .body(record.value())
                .nativeMessage(record)
                .position(position(record));
        Map<String, String> user = new HashMap<>();
        List<String> problems = new ArrayList<>(0);
        String correlationId = null;
        String replyTo = null;
        String springReplyTopic = null;
        byte[] springCorrelation = null;
        for (Header header : record.headers()) {
            String name = header.key();
            switch (name) {
                case Envelope.CONTENT_TYPE -> builder.contentType(own(header, problems));
                case Envelope.CORRELATION_ID -> correlationId = own(header, problems);
                case Envelope.REPLY_TO -> replyTo = own(header, problems);
                case SPRING_REPLY_TOPIC -> springReplyTopic = own(header, problems);
                case SPRING_CORRELATION_ID -> springCorrelation = header.value();
                case SPRING_REPLY_PARTITION -> {
                    if (replyPartition(header) == null) {
                        problems.add("header " + name + " is not a partition number (a 4-byte big-endian int >= 0; it has "
                                + length(header) + " bytes)");
                    }
                }
                default -> {
                    String text = text(header.value());
                    if (text != null) {
                        user.put(name, text);
                    } else {
                        log.debug("Header '{}' of {} is not UTF-8 ({} bytes): left out of the message's headers",
                                name, position(record), length(header));
                    }
                }
            }
        }
        if (correlationId == null && springCorrelation != null) {
            correlationId = springCorrelationText(springCorrelation);
        }
        return builder.correlationId(correlationId)
                .replyTo(replyTo != null ? replyTo : springReplyTopic)
                .headers(user)
                .problem(problems.isEmpty() ? null : String.join("; ", problems))
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

    /** Spring's {@code kafka_replyPartition}, a 4-byte big-endian int; {@code null} when absent or malformed. */
    static Integer replyPartition(Header header) {
        if (header == null || header.value() == null || header.value().length != 4) {
            return null;
        }
        int partition = ByteBuffer.wrap(header.value()).getInt();
        return partition < 0 ? null : partition;
    }

    private static String own(Header header, List<String> problems) {
        String text = text(header.value());
        if (text == null) {
            problems.add("header " + header.key() + " is not UTF-8 (" + length(header) + " bytes)");
        }
        return text;
    }

    private static int length(Header header) {
        return header.value() == null ? 0 : header.value().length;
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** The UTF-8 text of {@code bytes} ("" for null), or {@code null} when they are not UTF-8. */
    static String text(byte[] bytes) {
        if (bytes == null) {
            return "";
        }
        for (byte b : bytes) {
            if (b < 0) { // not ASCII: check strictly (new String(...) would replace bad bytes silently)
                try {
                    return StandardCharsets.UTF_8.newDecoder()
                            .onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT)
                            .decode(ByteBuffer.wrap(bytes)).toString();
                } catch (CharacterCodingException e) {
                    return null;
                }
            }
        }
        return new String(bytes, StandardCharsets.US_ASCII);
    }
}
