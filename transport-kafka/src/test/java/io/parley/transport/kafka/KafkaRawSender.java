package io.parley.transport.kafka;

import io.parley.tck.RawSender;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Records that Parley never writes, put on the broker with plain kafka-clients (rule 10.06): headers
 * that are not UTF-8, a tombstone, a record with only a key, a huge header, Spring reply headers that
 * are malformed or name a partition that does not exist. Sent as requests to a subscription, or as
 * replies to a requester's reply topic (then without reply-to).
 */
final class KafkaRawSender implements RawSender {

    static final String CONTENT_TYPE_NOT_UTF8 = "content-type header that is not UTF-8";
    static final String CORRELATION_ID_NOT_UTF8 = "correlation_id header that is not UTF-8";
    static final String REPLY_TO_NOT_UTF8 = "reply_to header that is not UTF-8";
    static final String USER_HEADER_NOT_UTF8 = "a user header that is not UTF-8 (left out of the headers, the message is handled)";
    static final String TOMBSTONE = "a null value (tombstone) with a reply-to";
    static final String ONLY_A_KEY = "a record with only a key: no value, no headers";
    static final String HUGE_HEADER = "a 1 MiB header value";
    static final String SPRING_PARTITION_NOT_4_BYTES = "a Spring kafka_replyPartition of 2 bytes";
    static final String SPRING_PARTITION_MISSING = "a Spring kafka_replyPartition the reply topic does not have";
    static final String SPRING_ODD_CORRELATION = "a Spring kafka_correlationId of 5 bytes and no correlation_id";

    private static final byte[] NOT_UTF8 = {(byte) 0xC3, (byte) 0x28, (byte) 0xFF, (byte) 0xFE};
    private static final byte[] ORDER = "{\"id\":\"raw\",\"quantity\":1,\"items\":[],\"prices\":{}}".getBytes(StandardCharsets.UTF_8);

    private final String bootstrap;
    private KafkaProducer<byte[], byte[]> producer;

    KafkaRawSender(String uri) {
        this.bootstrap = URI.create(uri).getAuthority();
    }

    @Override
    public List<String> poisons() {
        return List.of(CONTENT_TYPE_NOT_UTF8, CORRELATION_ID_NOT_UTF8, REPLY_TO_NOT_UTF8, USER_HEADER_NOT_UTF8, TOMBSTONE,
                ONLY_A_KEY, HUGE_HEADER, SPRING_PARTITION_NOT_4_BYTES, SPRING_PARTITION_MISSING, SPRING_ODD_CORRELATION);
    }

    @Override
    public boolean send(String poison, String destination, String replyTo, String correlationId) throws Exception {
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(destination, ORDER);
        boolean answerable = true;
        switch (poison) {
            case CONTENT_TYPE_NOT_UTF8 -> parley(record, NOT_UTF8, utf8(correlationId), utf8(replyTo));
            case CORRELATION_ID_NOT_UTF8 -> {
                parley(record, utf8("application/json"), NOT_UTF8, utf8(replyTo));
                answerable = false; // the reply cannot carry the id the kit waits for
            }
            case REPLY_TO_NOT_UTF8 -> {
                parley(record, utf8("application/json"), utf8(correlationId), NOT_UTF8);
                answerable = false;
            }
            case USER_HEADER_NOT_UTF8 -> {
                parley(record, utf8("application/json"), utf8(correlationId), utf8(replyTo));
                add(record, "x-binary", NOT_UTF8);
            }
            case TOMBSTONE -> {
                record = new ProducerRecord<>(destination, null);
                parley(record, utf8(""), utf8(correlationId), utf8(replyTo));
            }
            case ONLY_A_KEY -> {
                record = new ProducerRecord<>(destination, utf8("a key"), null);
                answerable = false;
            }
            case HUGE_HEADER -> {
                parley(record, utf8("application/json"), utf8(correlationId), utf8(replyTo));
                add(record, "x-huge", utf8("x".repeat(1024 * 1024)));
            }
            case SPRING_PARTITION_NOT_4_BYTES -> {
                parley(record, utf8("application/json"), utf8(correlationId), null);
                add(record, "kafka_replyTopic", utf8(replyTo));
                add(record, "kafka_replyPartition", new byte[] {0, 1});
            }
            case SPRING_PARTITION_MISSING -> {
                parley(record, utf8("application/json"), utf8(correlationId), null);
                add(record, "kafka_replyTopic", utf8(replyTo));
                add(record, "kafka_replyPartition", ByteBuffer.allocate(4).putInt(7).array());
                answerable = false; // a valid request whose reply cannot be sent: nothing comes back
            }
            case SPRING_ODD_CORRELATION -> {
                parley(record, utf8("application/json"), null, null);
                add(record, "kafka_replyTopic", utf8(replyTo));
                add(record, "kafka_correlationId", new byte[] {1, 2, 3, 4, 5});
                answerable = false; // answered, but under the hex of those bytes, not the kit's id
            }
            default -> throw new IllegalArgumentException("unknown poison " + poison);
        }
        producer().send(record).get(30, TimeUnit.SECONDS);
        return answerable;
    }

    /** Parley's three headers; a null one is left out. */
    private static void parley(ProducerRecord<byte[], byte[]> record, byte[] contentType, byte[] correlationId, byte[] replyTo) {
        add(record, "content-type", contentType);
        add(record, "correlation_id", correlationId);
        add(record, "reply_to", replyTo);
    }

    private static void add(ProducerRecord<byte[], byte[]> record, String name, byte[] value) {
        if (value != null) {
            record.headers().add(name, value);
        }
    }

    /** UTF-8 bytes, or null for null (a poison sent as a reply has no reply-to). */
    private static byte[] utf8(String text) {
        return text == null ? null : text.getBytes(StandardCharsets.UTF_8);
    }

    private synchronized KafkaProducer<byte[], byte[]> producer() {
        if (producer == null) {
            producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                    ProducerConfig.LINGER_MS_CONFIG, 0, ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 4 * 1024 * 1024,
                    ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                    ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class));
        }
        return producer;
    }

    /** Closes the producer, if one was made. */
    synchronized void close() {
        if (producer != null) {
            producer.close();
            producer = null;
        }
    }
}
