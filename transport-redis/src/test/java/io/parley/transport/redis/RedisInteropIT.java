package io.parley.transport.redis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.parley.api.Broker;
import io.parley.api.Message;
import io.parley.api.RemoteHandlerException;
import io.parley.api.RequestOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.BinaryJedisPubSub;
import redis.clients.jedis.Jedis;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A plain jedis client playing a Python peer: it writes and reads the envelopes by hand (from the
 * format description, not with Parley's codec), and does RPC the peers' way (a fresh reply channel
 * per request, replies with PUBLISH on reply_to).
 */
class RedisInteropIT {

    private static final byte[] MAGIC = {(byte) 0x89, 0x42, 0x49, 0x4E, 0x0D, 0x0A, 0x1A, 0x0A};
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TEXT = "Grüße 世界";

    private final List<AutoCloseable> resources = new ArrayList<>();
    private final String prefix = "parley-it.interop." + UUID.randomUUID().toString().substring(0, 8) + ".";

    @AfterEach
    void cleanUp() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    private Broker connect() {
        Broker broker = Broker.connect(RedisTestSupport.URI);
        resources.add(broker);
        return broker;
    }

    // ---- the peer's envelope, written and read by hand

    static byte[] fastStreamBinary(Map<String, String> headers, byte[] data) {
        ByteArrayOutputStream block = new ByteArrayOutputStream();
        block.write(headers.size() >> 8);
        block.write(headers.size());
        headers.forEach((key, value) -> {
            for (String part : new String[]{key, value}) {
                byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
                block.write(bytes.length >> 8);
                block.write(bytes.length);
                block.writeBytes(bytes);
            }
        });
        byte[] headerBytes = block.toByteArray();
        return ByteBuffer.allocate(18 + headerBytes.length + data.length).put(MAGIC).putShort((short) 1).putInt(18)
                .putInt(18 + headerBytes.length).put(headerBytes).put(data).array();
    }

    record Parsed(Map<String, String> headers, byte[] data) {
    }

    static Parsed parseFastStreamBinary(byte[] raw) {
        ByteBuffer in = ByteBuffer.wrap(raw);
        byte[] magic = new byte[8];
        in.get(magic);
        assertEquals(new String(MAGIC, StandardCharsets.ISO_8859_1), new String(magic, StandardCharsets.ISO_8859_1));
        assertEquals(1, in.getShort());
        int headersOffset = in.getInt();
        int dataOffset = in.getInt();
        in.position(headersOffset);
        int count = in.getShort();
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            byte[] key = new byte[in.getShort()];
            in.get(key);
            byte[] value = new byte[in.getShort()];
            in.get(value);
            headers.put(new String(key, StandardCharsets.UTF_8), new String(value, StandardCharsets.UTF_8));
        }
        assertEquals(dataOffset, in.position());
        byte[] data = new byte[raw.length - dataOffset];
        in.get(data);
        return new Parsed(headers, data);
    }

    /** SUBSCRIBE on a connection of the peer's own; returns once Redis confirmed it. */
    private void peerSubscribe(String channel, Consumer<byte[]> onMessage) throws Exception {
        Jedis jedis = new Jedis(URI.create(RedisTestSupport.URI));
        CountDownLatch subscribed = new CountDownLatch(1);
        BinaryJedisPubSub listener = new BinaryJedisPubSub() {
            @Override
            public void onSubscribe(byte[] channel, int count) {
                subscribed.countDown();
            }

            @Override
            public void onMessage(byte[] channel, byte[] message) {
                onMessage.accept(message);
            }
        };
        Thread thread = new Thread(() -> {
            try {
                jedis.subscribe(listener, channel.getBytes(StandardCharsets.UTF_8));
            } catch (RuntimeException closed) {
                // the test ended
            }
        }, "peer-" + channel);
        thread.setDaemon(true);
        thread.start();
        resources.add(() -> {
            listener.unsubscribe();
            thread.join(2_000);
            jedis.close();
        });
        assertTrue(subscribed.await(5, TimeUnit.SECONDS), "the peer subscribed");
    }

    private static void peerPublish(String channel, byte[] message) {
        try (Jedis jedis = new Jedis(URI.create(RedisTestSupport.URI))) {
            jedis.publish(channel.getBytes(StandardCharsets.UTF_8), message);
        }
    }

    // ---- peer requester, Parley responder

    @Test
    void fastStreamBinaryRequestGetsABinaryReplyWithItsCorrelationId() throws Exception {
        String service = prefix + "svc";
        connect().subscribe(service, String.class, body -> "re:" + body);
        String inbox = prefix + "inbox-" + UUID.randomUUID();
        BlockingQueue<byte[]> replies = new LinkedBlockingQueue<>();
        peerSubscribe(inbox, replies::add);

        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("correlation_id", "peer-cid-1");
        headers.put("content-type", "text/plain");
        headers.put("reply_to", inbox);
        peerPublish(service, fastStreamBinary(headers, TEXT.getBytes(StandardCharsets.UTF_8)));

        byte[] raw = replies.poll(10, TimeUnit.SECONDS);
        assertNotNull(raw, "the Parley handler replied on reply_to");
        Parsed reply = parseFastStreamBinary(raw);
        assertEquals("peer-cid-1", reply.headers().get("correlation_id"));
        assertEquals("text/plain", reply.headers().get("content-type"));
        assertEquals("re:" + TEXT, new String(reply.data(), StandardCharsets.UTF_8));
    }

    @Test
    void propanJsonRequestGetsAPropanJsonReply() throws Exception {
        String service = prefix + "propan";
        connect().subscribe(service, Map.class, body -> Map.of("sum", ((Number) body.get("a")).intValue() + 1));
        String inbox = prefix + "inbox-" + UUID.randomUUID();
        BlockingQueue<byte[]> replies = new LinkedBlockingQueue<>();
        peerSubscribe(inbox, replies::add);

        String request = JSON.writeValueAsString(Map.of("data", "{\"a\": 41}",
                "headers", Map.of("content-type", "application/json"), "reply_to", inbox));
        peerPublish(service, request.getBytes(StandardCharsets.UTF_8));

        byte[] raw = replies.poll(10, TimeUnit.SECONDS);
        assertNotNull(raw, "the Parley handler replied on reply_to");
        JsonNode reply = JSON.readTree(raw); // a JSON envelope, as Propan reads it
        assertEquals("application/json", reply.path("headers").path("content-type").asText());
        assertEquals(42, JSON.readTree(reply.path("data").asText()).path("sum").asInt());
    }

    @Test
    void propanBytesKeepAnEmptyContentTypeBothWays() throws Exception {
        String service = prefix + "propan-bytes";
        List<String> contentTypes = new java.util.concurrent.CopyOnWriteArrayList<>();
        connect().subscribe(service, Message.class, message -> {
            contentTypes.add(String.valueOf(message.contentType()));
            return message.body(byte[].class); // bytes back: no content type
        });
        String inbox = prefix + "inbox-" + UUID.randomUUID();
        BlockingQueue<byte[]> replies = new LinkedBlockingQueue<>();
        peerSubscribe(inbox, replies::add);

        // what Propan writes for a bytes body: an empty content type
        String request = JSON.writeValueAsString(Map.of("data", "raw bytes",
                "headers", Map.of("content-type", ""), "reply_to", inbox));
        peerPublish(service, request.getBytes(StandardCharsets.UTF_8));

        byte[] raw = replies.poll(10, TimeUnit.SECONDS);
        assertNotNull(raw, "the Parley handler replied on reply_to");
        assertEquals(List.of("null"), contentTypes, "an empty content type is bytes to Parley");
        JsonNode reply = JSON.readTree(raw);
        assertEquals("raw bytes", reply.path("data").asText());
        assertTrue(reply.path("headers").has("content-type"), "Propan reads bytes only with the key: " + reply);
        assertEquals("", reply.path("headers").path("content-type").asText());
    }

    @Test
    void fastStreamJsonRequestGetsAFastStreamJsonReply() throws Exception {
        String service = prefix + "fs05";
        connect().subscribe(service, String.class, body -> body.toUpperCase());
        String inbox = prefix + "inbox-" + UUID.randomUUID();
        BlockingQueue<byte[]> replies = new LinkedBlockingQueue<>();
        peerSubscribe(inbox, replies::add);

        String request = JSON.writeValueAsString(Map.of("data", TEXT, "headers",
                Map.of("correlation_id", "fs-cid", "content-type", "text/plain", "reply_to", inbox)));
        peerPublish(service, request.getBytes(StandardCharsets.UTF_8));

        byte[] raw = replies.poll(10, TimeUnit.SECONDS);
        assertNotNull(raw);
        JsonNode reply = JSON.readTree(raw);
        assertEquals(TEXT.toUpperCase(), reply.path("data").asText());
        assertEquals("fs-cid", reply.path("headers").path("correlation_id").asText());
    }

    @Test
    void fastStreamStreamRequestIsAnsweredByAParleyGroupMember() throws Exception {
        String key = prefix + "stream";
        resources.add(() -> RedisTestSupport.deleteKeys(key));
        connect().subscribe("stream:" + key, String.class, io.parley.api.SubscribeOptions.group("svc"),
                body -> "stream:" + body);
        String inbox = prefix + "inbox-" + UUID.randomUUID();
        BlockingQueue<byte[]> replies = new LinkedBlockingQueue<>();
        peerSubscribe(inbox, replies::add);

        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("correlation_id", "stream-cid");
        headers.put("content-type", "text/plain");
        headers.put("reply_to", inbox);
        try (Jedis jedis = new Jedis(URI.create(RedisTestSupport.URI))) {
            jedis.xadd(key.getBytes(StandardCharsets.UTF_8), redis.clients.jedis.params.XAddParams.xAddParams(),
                    Map.of("__data__".getBytes(StandardCharsets.UTF_8),
                            fastStreamBinary(headers, TEXT.getBytes(StandardCharsets.UTF_8))));
        }
        byte[] raw = replies.poll(10, TimeUnit.SECONDS);
        assertNotNull(raw, "the Parley group member replied on reply_to");
        Parsed reply = parseFastStreamBinary(raw);
        assertEquals("stream-cid", reply.headers().get("correlation_id"));
        assertEquals("stream:" + TEXT, new String(reply.data(), StandardCharsets.UTF_8));
    }

    @Test
    void parleyPublishToAListIsAFastStreamEnvelopeForAPeer() throws Exception {
        String key = prefix + "list";
        resources.add(() -> RedisTestSupport.deleteKeys(key));
        connect().publish("list:" + key, Map.of("n", 1), io.parley.api.PublishOptions.builder()
                .header("tenant", "acme").correlationId("list-cid").build()).get(5, TimeUnit.SECONDS);
        try (Jedis jedis = new Jedis(URI.create(RedisTestSupport.URI))) {
            var popped = jedis.blpop(5.0, key.getBytes(StandardCharsets.UTF_8));
            assertNotNull(popped, "the element is in the list");
            Parsed message = parseFastStreamBinary(popped.getValue());
            assertEquals("list-cid", message.headers().get("correlation_id"));
            assertEquals("application/json", message.headers().get("content-type"));
            assertEquals("acme", message.headers().get("tenant"));
            assertEquals(1, JSON.readTree(message.data()).path("n").asInt());
        }
    }

    // ---- Parley requester, peer responder

    @Test
    void parleyRequestIsAnsweredByAFastStreamStylePeer() throws Exception {
        String service = prefix + "peer-binary";
        List<Parsed> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        peerSubscribe(service, raw -> {
            Parsed request = parseFastStreamBinary(raw);
            seen.add(request);
            Map<String, String> headers = new LinkedHashMap<>();
            headers.put("correlation_id", request.headers().get("correlation_id"));
            headers.put("content-type", "text/plain");
            peerPublish(request.headers().get("reply_to"), fastStreamBinary(headers,
                    ("peer:" + new String(request.data(), StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8)));
        });
        Message reply = connect().rpc().request(service, TEXT, RequestOptions.timeout(Duration.ofSeconds(10)))
                .orElseThrow();
        assertEquals("peer:" + TEXT, reply.bodyAsString());
        assertEquals("text/plain", seen.get(0).headers().get("content-type"));
    }

    @Test
    void parleyRequestIsAnsweredByAPropanPeerThatDropsTheCorrelationId() throws Exception {
        String service = prefix + "peer-propan";
        peerSubscribe(service, raw -> {
            Parsed request = parseFastStreamBinary(raw);
            try {
                // Propan's reply: JSON, no correlation id, published on reply_to
                peerPublish(request.headers().get("reply_to"), JSON.writeValueAsBytes(Map.of("data", "pong",
                        "headers", Map.of("content-type", "text/plain"), "reply_to", "")));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Message reply = connect().rpc().request(service, "ping", RequestOptions.timeout(Duration.ofSeconds(10)))
                .orElseThrow();
        assertEquals("pong", reply.bodyAsString());
    }

    @Test
    void aPeerReplyThatCannotBeReadFailsTheRequestAtOnce() throws Exception {
        String service = prefix + "peer-broken";
        peerSubscribe(service, raw -> {
            Parsed request = parseFastStreamBinary(raw);
            byte[] whole = fastStreamBinary(Map.of("correlation_id", request.headers().get("correlation_id")),
                    "late".getBytes(StandardCharsets.UTF_8));
            peerPublish(request.headers().get("reply_to"), java.util.Arrays.copyOf(whole, 20)); // cut short
        });
        long start = System.nanoTime();
        RemoteHandlerException e = assertThrows(RemoteHandlerException.class, () -> connect().rpc().request(service,
                "ping", RequestOptions.timeout(Duration.ofSeconds(10))));
        assertEquals(502, e.code(), e.getMessage());
        assertTrue(e.getMessage().contains("could not be read"), e.getMessage());
        assertTrue(Duration.ofNanos(System.nanoTime() - start).toMillis() < 5_000, "failed at once, not at its timeout");
    }
}
