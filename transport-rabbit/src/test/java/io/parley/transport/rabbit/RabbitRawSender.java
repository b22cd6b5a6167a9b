package io.parley.transport.rabbit;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.impl.ContentHeaderPropertyWriter;
import com.rabbitmq.client.impl.LongStringHelper;
import io.parley.tck.RawSender;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Bad input for rule 10.06, written with amqp-client straight to the broker: header values of every
 * AMQP field type, bytes that are not UTF-8 where AMQP has strings (amqp-client only writes UTF-8, so
 * those properties are encoded here byte by byte), a reply-to naming an exchange that does not exist,
 * a body over amqp-client's own 64 MiB inbound default. Every message carries a well-formed order as
 * its body, so what the transport can read is answered as usual and only the poison itself can fail.
 */
final class RabbitRawSender implements RawSender {

    private static final byte[] NOT_UTF8 = {'b', 'a', 'd', (byte) 0xC3, (byte) 0x28, (byte) 0xFF};
    private static final String ORDER = "{\"id\":\"raw\",\"quantity\":1,\"items\":[],\"prices\":{}}";

    private static final String ODD_TYPES = "header values of every AMQP field type (byte array, nested table,"
            + " field array, decimal, timestamp, void, numbers, boolean)";
    private static final String HEADER_NOT_UTF8 = "a header value (long string) that is not UTF-8";
    private static final String BYTES_NOT_UTF8 = "a header value (byte array) that is not UTF-8";
    private static final String NESTED_NOT_UTF8 = "a header value that is not UTF-8 inside a nested table and array";
    private static final String NAME_NOT_UTF8 = "a header name that is not UTF-8";
    private static final String CONTENT_TYPE_NOT_UTF8 = "a content type that is not UTF-8";
    private static final String CONTENT_TYPE_LONG = "a content type of 255 bytes";
    private static final String CORRELATION_ID_NOT_UTF8 = "a correlation id that is not UTF-8";
    private static final String REPLY_TO_NOT_UTF8 = "a reply-to that is not UTF-8";
    private static final String REPLY_TO_NO_EXCHANGE = "a reply-to naming an exchange that does not exist";
    private static final String HUGE_BODY = "a 65 MiB body (over amqp-client's own 64 MiB inbound default)";

    private final String uri;
    private final String exchange;

    /** @param exchange the exchange Parley publishes to ("" for the default exchange) */
    RabbitRawSender(String uri, String exchange) {
        this.uri = uri;
        this.exchange = exchange;
    }

    @Override
    public List<String> poisons() {
        return List.of(ODD_TYPES, HEADER_NOT_UTF8, BYTES_NOT_UTF8, NESTED_NOT_UTF8, NAME_NOT_UTF8, CONTENT_TYPE_NOT_UTF8,
                CONTENT_TYPE_LONG, CORRELATION_ID_NOT_UTF8, REPLY_TO_NOT_UTF8, REPLY_TO_NO_EXCHANGE, HUGE_BODY);
    }

    @Override
    public boolean send(String poison, String destination, String replyTo, String correlationId) throws Exception {
        // on a named exchange a Parley destination is a routing key there, and so is its reply-to
        String parleyReplyTo = replyTo == null || exchange.isEmpty() ? replyTo : replyTo + "|" + exchange;
        byte[] order = ORDER.getBytes(StandardCharsets.UTF_8);
        AMQP.BasicProperties.Builder normal = new AMQP.BasicProperties.Builder().contentType("application/json")
                .correlationId(correlationId).replyTo(parleyReplyTo);
        return switch (poison) {
            case ODD_TYPES -> publish(destination, normal.headers(oddTypes()).build(), order, true);
            case HEADER_NOT_UTF8 -> publish(destination, normal.headers(Map.of("x-bad",
                    LongStringHelper.asLongString(NOT_UTF8))).build(), order, true);
            case BYTES_NOT_UTF8 -> publish(destination, normal.headers(Map.of("x-bad", NOT_UTF8)).build(), order, true);
            case NESTED_NOT_UTF8 -> publish(destination, normal.headers(Map.of("x-death", List.of(Map.of("reason",
                    LongStringHelper.asLongString(NOT_UTF8))))).build(), order, true);
            case NAME_NOT_UTF8 -> publish(destination, raw().contentType(utf8("application/json"))
                    .correlationId(utf8(correlationId)).replyTo(utf8(parleyReplyTo)).header(NOT_UTF8, utf8("value")), order, true);
            case CONTENT_TYPE_NOT_UTF8 -> publish(destination, raw().contentType(NOT_UTF8).correlationId(utf8(correlationId))
                    .replyTo(utf8(parleyReplyTo)), order, true);
            case CONTENT_TYPE_LONG -> publish(destination, normal.contentType("application/" + "x".repeat(243)).build(),
                    order, true);
            // the core answers with what it read (U+FFFD), so the requester cannot match the answer
            case CORRELATION_ID_NOT_UTF8 -> publish(destination, raw().contentType(utf8("application/json"))
                    .correlationId(NOT_UTF8).replyTo(utf8(parleyReplyTo)), order, false);
            case REPLY_TO_NOT_UTF8 -> publish(destination, raw().contentType(utf8("application/json"))
                    .correlationId(utf8(correlationId)).replyTo(NOT_UTF8), order, false);
            // FastStream's "routing_key|exchange": the answer goes to an exchange RabbitMQ does not have
            case REPLY_TO_NO_EXCHANGE -> publish(destination, normal.replyTo(replyTo + "|parley-no-such-exchange").build(),
                    order, false);
            case HUGE_BODY -> publish(destination, normal.build(), padded(65 * 1024 * 1024), true);
            default -> throw new IllegalArgumentException("unknown poison " + poison);
        };
    }

    /** Publishes with confirms, so that the message is on the broker when the kit goes on. */
    private boolean publish(String destination, AMQP.BasicProperties properties, byte[] body, boolean answerable)
            throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(uri);
        try (Connection connection = factory.newConnection("parley-it-raw-sender")) {
            Channel channel = connection.createChannel();
            channel.confirmSelect();
            channel.basicPublish(exchange, destination, true, properties, body);
            channel.waitForConfirmsOrDie(10_000);
        }
        return answerable;
    }

    private static Map<String, Object> oddTypes() {
        Map<String, Object> nested = new LinkedHashMap<>();
        nested.put("count", 3L);
        nested.put("reason", "rejected");
        Map<String, Object> headers = new HashMap<>();
        headers.put("x-bytes", "bytes".getBytes(StandardCharsets.UTF_8));
        headers.put("x-table", nested);
        headers.put("x-death", List.of(nested, Map.of("queue", "elsewhere"))); // what dead-lettering writes
        headers.put("x-decimal", new BigDecimal("12.345"));
        headers.put("x-timestamp", new Date(1_700_000_000_000L));
        headers.put("x-void", null);
        headers.put("x-int", 42);
        headers.put("x-long", 1L << 40);
        headers.put("x-short", (short) 7);
        headers.put("x-byte", (byte) -1);
        headers.put("x-double", 2.5d);
        headers.put("x-float", 1.5f);
        headers.put("x-boolean", true);
        return headers;
    }

    private static byte[] padded(int size) {
        byte[] body = new byte[size];
        java.util.Arrays.fill(body, (byte) ' '); // JSON allows any whitespace after the value
        byte[] order = ORDER.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(order, 0, body, 0, order.length);
        return body;
    }

    private static byte[] utf8(String text) {
        return text == null ? null : text.getBytes(StandardCharsets.UTF_8);
    }

    private static RawProperties raw() {
        return new RawProperties();
    }

    /**
     * Basic properties written byte by byte (AMQP 0-9-1 section 4.2.6.1: a flag word, then the present
     * fields in order), for the strings amqp-client would only write as UTF-8. Carries content_type,
     * headers (long string values), correlation_id and reply_to.
     */
    private static final class RawProperties extends AMQP.BasicProperties {
        private byte[] contentType;
        private final Map<byte[], byte[]> headers = new LinkedHashMap<>();
        private byte[] correlationId;
        private byte[] replyTo;

        RawProperties contentType(byte[] value) {
            contentType = value;
            return this;
        }

        RawProperties header(byte[] name, byte[] value) {
            headers.put(name, value);
            return this;
        }

        RawProperties correlationId(byte[] value) {
            correlationId = value;
            return this;
        }

        RawProperties replyTo(byte[] value) {
            replyTo = value;
            return this;
        }

        @Override
        public void writePropertiesTo(ContentHeaderPropertyWriter writer) throws IOException {
            int flags = (contentType != null ? 1 << 15 : 0) | (!headers.isEmpty() ? 1 << 13 : 0)
                    | (correlationId != null ? 1 << 10 : 0) | (replyTo != null ? 1 << 9 : 0);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeShort(flags);
            if (contentType != null) {
                shortString(out, contentType);
            }
            if (!headers.isEmpty()) {
                ByteArrayOutputStream table = new ByteArrayOutputStream();
                DataOutputStream entries = new DataOutputStream(table);
                for (Map.Entry<byte[], byte[]> header : headers.entrySet()) {
                    shortString(entries, header.getKey());
                    entries.writeByte('S');
                    entries.writeInt(header.getValue().length);
                    entries.write(header.getValue());
                }
                out.writeInt(table.size());
                table.writeTo(out);
            }
            if (correlationId != null) {
                shortString(out, correlationId);
            }
            if (replyTo != null) {
                shortString(out, replyTo);
            }
            for (byte b : bytes.toByteArray()) {
                writer.writeOctet(b & 0xFF);
            }
        }

        private static void shortString(DataOutputStream out, byte[] value) throws IOException {
            if (value.length > 255) {
                throw new UncheckedIOException(new IOException("a short string has at most 255 bytes"));
            }
            out.writeByte(value.length);
            out.write(value);
        }

        @Override
        public Map<String, Object> getHeaders() {
            return null; // only what writePropertiesTo writes goes on the wire
        }
    }
}
