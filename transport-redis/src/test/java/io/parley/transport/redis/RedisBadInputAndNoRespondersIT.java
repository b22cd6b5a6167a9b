package io.parley.transport.redis;

import io.parley.tck.Await;
import io.parley.api.Broker;
import io.parley.api.Message;
import io.parley.api.RequestException;
import io.parley.api.RequestOptions;
import io.parley.api.SubscribeOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Unreadable messages never stop a subscription; "no responders" is told at once where Redis knows it. */
class RedisBadInputAndNoRespondersIT {

    /** Starts like a FastStream binary envelope, then nonsense: the reader cannot recover it. */
    private static final byte[] BROKEN = {(byte) 0x89, 0x42, 0x49, 0x4E, 0x0D, 0x0A, 0x1A, 0x0A, 0, 1, 0, 0, 0, 18,
            0x7F, 0x7F, 0x7F, 0x7F, 0, 9};

    private final String name = "parley-it.bad." + UUID.randomUUID().toString().substring(0, 8);
    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
        try (Jedis jedis = new Jedis(URI.create(RedisTestSupport.URI))) {
            jedis.del(name);
        }
    }

    private Broker connect() {
        Broker broker = Broker.connect(RedisTestSupport.URI);
        resources.add(broker);
        return broker;
    }

    @ParameterizedTest
    @ValueSource(strings = {"channel:", "list:", "stream:"})
    void anUnreadableMessageIsDroppedAndConsumingGoesOn(String kind) throws Exception {
        String destination = kind + name;
        connect().subscribe(destination, String.class, SubscribeOptions.group("g"), body -> "ok:" + body);
        try (Jedis raw = new Jedis(URI.create(RedisTestSupport.URI))) {
            byte[] key = name.getBytes(StandardCharsets.UTF_8);
            switch (kind) {
                case "channel:" -> assertEquals(1, raw.publish(key, BROKEN));
                case "list:" -> raw.rpush(key, BROKEN);
                default -> {
                    raw.xadd(key, redis.clients.jedis.params.XAddParams.xAddParams(),
                            Map.of("__data__".getBytes(StandardCharsets.UTF_8), BROKEN));
                    raw.xadd(key, redis.clients.jedis.params.XAddParams.xAddParams(),
                            Map.of("other".getBytes(StandardCharsets.UTF_8), BROKEN)); // not a Parley/FastStream entry
                }
            }
            Optional<Message> reply = connect().rpc().request(destination, "next", RequestOptions.timeout(Duration.ofSeconds(10)));
            assertEquals("ok:next", reply.orElseThrow().bodyAsString());
            if (kind.equals("stream:")) {
                Await.until("the unreadable entries are acknowledged", Duration.ofSeconds(5), () -> {
                    List<?> summary = (List<?>) raw.sendCommand(Protocol.Command.XPENDING, key, "g".getBytes());
                    return (Long) summary.get(0) == 0;
                });
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "channel:"})
    void aChannelWithoutSubscribersIsReportedAtOnce(String kind) {
        long start = System.nanoTime();
        RequestException e = assertThrows(RequestException.class, () -> connect().rpc().request(kind + name, "anyone?",
                RequestOptions.builder().timeout(Duration.ofSeconds(30)).throwOnTimeout().build()));
        assertEquals(RequestException.Reason.NO_RESPONDERS, e.reason());
        assertTrue(Duration.ofNanos(System.nanoTime() - start).toMillis() < 1_000, e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"list:", "stream:"})
    void aListOrStreamCannotTellAndTheRequestTimesOut(String kind) {
        Duration timeout = Duration.ofMillis(300);
        long start = System.nanoTime();
        RequestException e = assertThrows(RequestException.class, () -> connect().rpc().request(kind + name, "anyone?",
                RequestOptions.builder().timeout(timeout).throwOnTimeout().build()));
        assertEquals(RequestException.Reason.TIMEOUT, e.reason());
        assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(timeout) >= 0);
    }
}
