package io.parley.transport.redis;

import io.parley.tck.RawSender;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.params.XAddParams;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Puts on Redis, with plain jedis, what Parley never writes (rule 10.06): garbage, broken FastStream
 * binary envelopes, JSON envelopes of the wrong shape, a header value that is not UTF-8, an empty
 * message, and on a stream an entry without the {@code __data__} field. Envelopes are written by
 * hand, as a buggy peer would.
 */
final class RedisRawSender implements RawSender {

    private static final byte[] MAGIC = {(byte) 0x89, 0x42, 0x49, 0x4E, 0x0D, 0x0A, 0x1A, 0x0A};

    static final String GARBAGE = "garbage bytes";
    static final String CUT_IN_HEADERS = "a FastStream binary envelope cut inside its headers (after reply_to)";
    static final String CUT_BEFORE_HEADERS = "a FastStream binary envelope cut before its headers";
    static final String HEADER_NOT_UTF8 = "a header value that is not UTF-8";
    static final String JSON_DATA_NUMBER = "a FastStream JSON envelope whose data is a number";
    static final String JSON_HEADERS_LIST = "a Propan JSON envelope whose headers are a list";
    static final String EMPTY = "an empty message";
    static final String NO_DATA_FIELD = "a stream entry without the __data__ field";

    private final URI uri;
    private final String kind;

    /** @param kind the destination prefix of the kit run: {@code ""}, {@code "list:"} or {@code "stream:"} */
    RedisRawSender(String uri, String kind) {
        this.uri = URI.create(uri);
        this.kind = kind;
    }

    @Override
    public List<String> poisons() {
        List<String> poisons = new ArrayList<>(List.of(GARBAGE, CUT_IN_HEADERS, CUT_BEFORE_HEADERS, HEADER_NOT_UTF8,
                JSON_DATA_NUMBER, JSON_HEADERS_LIST, EMPTY));
        if (kind.equals("stream:")) {
            poisons.add(NO_DATA_FIELD);
        }
        return poisons;
    }

    @Override
    public boolean send(String poison, String destination, String replyTo, String correlationId) {
        byte[] routing = header("correlation_id", correlationId, "content-type", "application/json",
                "reply_to", replyTo);
        byte[] message;
        boolean answerable;
        switch (poison) {
            case GARBAGE -> {
                message = new byte[]{0x00, (byte) 0xFF, (byte) 0xFE, 0x7B, (byte) 0xC3, 0x28, 0x0A, (byte) 0x89, 0x42};
                answerable = false;
            }
            case CUT_IN_HEADERS -> {
                byte[] whole = binary(concat(routing, header("x-trace", "t".repeat(40))), "{\"id\":\"x\"}");
                message = Arrays.copyOf(whole, whole.length - 30); // into the x-trace value
                answerable = true;
            }
            case CUT_BEFORE_HEADERS -> {
                message = Arrays.copyOf(binary(routing, "{\"id\":\"x\"}"), 15);
                answerable = false;
            }
            case HEADER_NOT_UTF8 -> {
                byte[] bad = pair("x-name".getBytes(StandardCharsets.UTF_8), new byte[]{'a', (byte) 0xC3, 0x28, (byte) 0xFF});
                message = binary(concat(routing, bad), "{\"id\":\"x\",\"quantity\":1}");
                answerable = true;
            }
            case JSON_DATA_NUMBER -> {
                message = ("{\"data\": 42, \"headers\": {\"correlation_id\": \"" + correlationId
                        + "\", \"reply_to\": \"" + replyTo + "\"}}").getBytes(StandardCharsets.UTF_8);
                answerable = true;
            }
            case JSON_HEADERS_LIST -> {
                message = ("{\"data\": \"{}\", \"headers\": [\"content-type\", \"application/json\"], \"reply_to\": \""
                        + replyTo + "\"}").getBytes(StandardCharsets.UTF_8);
                answerable = false; // Propan carries no correlation id, and the headers cannot be read
            }
            case EMPTY -> {
                message = new byte[0];
                answerable = false;
            }
            case NO_DATA_FIELD -> {
                message = null;
                answerable = false;
            }
            default -> throw new IllegalArgumentException("unknown poison " + poison);
        }
        put(destination, message);
        return answerable;
    }

    private void put(String destination, byte[] message) {
        try (Jedis jedis = new Jedis(uri)) {
            if (destination.startsWith("list:")) {
                jedis.rpush(key(destination, "list:"), message);
            } else if (destination.startsWith("stream:")) {
                byte[] field = message == null ? "other".getBytes(StandardCharsets.UTF_8)
                        : "__data__".getBytes(StandardCharsets.UTF_8);
                jedis.xadd(key(destination, "stream:"), XAddParams.xAddParams(),
                        Map.of(field, message == null ? "not a Parley entry".getBytes(StandardCharsets.UTF_8) : message));
            } else {
                long receivers = jedis.publish(key(destination, "channel:"), message);
                if (receivers == 0) {
                    throw new IllegalStateException("nobody subscribes to " + destination);
                }
            }
        }
    }

    private static byte[] key(String destination, String prefix) {
        String name = destination.startsWith(prefix) ? destination.substring(prefix.length()) : destination;
        return name.getBytes(StandardCharsets.UTF_8);
    }

    /** A FastStream binary envelope around a header block (count first) and a payload. */
    private static byte[] binary(byte[] pairs, String payload) {
        int count = countPairs(pairs);
        byte[] data = payload.getBytes(StandardCharsets.UTF_8);
        int dataOffset = 18 + 2 + pairs.length;
        return ByteBuffer.allocate(dataOffset + data.length).put(MAGIC).putShort((short) 1).putInt(18)
                .putInt(dataOffset).putShort((short) count).put(pairs).put(data).array();
    }

    private static byte[] header(String... keysAndValues) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            out.writeBytes(pair(keysAndValues[i].getBytes(StandardCharsets.UTF_8),
                    keysAndValues[i + 1].getBytes(StandardCharsets.UTF_8)));
        }
        return out.toByteArray();
    }

    private static byte[] pair(byte[] key, byte[] value) {
        return ByteBuffer.allocate(4 + key.length + value.length).putShort((short) key.length).put(key)
                .putShort((short) value.length).put(value).array();
    }

    private static int countPairs(byte[] pairs) {
        ByteBuffer in = ByteBuffer.wrap(pairs);
        int count = 0;
        while (in.hasRemaining()) {
            for (int part = 0; part < 2; part++) { // key, then value
                int length = Short.toUnsignedInt(in.getShort());
                in.position(in.position() + length);
            }
            count++;
        }
        return count;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] both = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }
}
