package io.parley.transport.redis;

import io.parley.api.Broker;
import io.parley.api.Message;
import io.parley.api.RequestException;
import io.parley.api.RequestOptions;
import io.parley.api.SubscribeOptions;
import io.parley.spi.Envelope;
import io.parley.tck.Await;
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
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Unreadable messages never stop a subscription: they reach the core, which answers those whose
 * reply-to and correlation id can still be read (400) and fails the rest; on a stream they are
 * acknowledged, never claimed again. "No responders" is told at once where Redis knows it.
 */
class RedisBadInputAndNoRespondersIT {

    private final String name = "parley-it.bad." + UUID.randomUUID().toString().substring(0, 8);
    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
        RedisTestSupport.deleteKeys(name + "*");
        RedisTestSupport.deleteKeys("parley:*:g:" + name + "*");
    }

    private Broker connect() {
        Broker broker = Broker.connect(RedisTestSupport.URI);
        resources.add(broker);
        return broker;
    }

    @ParameterizedTest
    @ValueSource(strings = {"channel:", "list:", "stream:"})
    void unreadableMessagesAreAnsweredOnceWhenTheyCanBeAndConsumingGoesOn(String kind) throws Exception {
        String destination = kind + name;
        String answers = kind + name + ".answers";
        AtomicInteger handled = new AtomicInteger();
        connect().subscribe(destination, String.class, SubscribeOptions.group("g"), body -> {
            handled.incrementAndGet();
            return "ok:" + body;
        });
        Broker client = connect();
        Map<String, List<Message>> answered = new ConcurrentHashMap<>();
        client.subscribe(answers, Message.class, message -> {
            answered.computeIfAbsent(String.valueOf(message.correlationId()), id -> new CopyOnWriteArrayList<>())
                    .add(message);
            return null;
        });
        RedisRawSender raw = new RedisRawSender(RedisTestSupport.URI, kind);
        List<String> due = new ArrayList<>();
        for (String poison : raw.poisons()) {
            String correlationId = "bad-" + due.size() + "-" + poison.length();
            if (raw.send(poison, destination, answers, correlationId)) {
                due.add(correlationId);
            }
            assertEquals("ok:next", client.rpc().request(destination, "next", RequestOptions.timeout(Duration.ofSeconds(5)))
                    .orElseThrow(() -> new AssertionError("no answer after " + poison)).bodyAsString());
        }
        assertEquals(3, due.size(), "poisons whose reply-to and correlation id survive: " + due);
        Await.until("every answerable poison got its error reply", Duration.ofSeconds(5),
                () -> answered.keySet().containsAll(due));
        for (String id : due) {
            Message error = answered.get(id).get(0);
            assertEquals("400", error.headers().get(Envelope.ERROR_CODE), error.headers().toString());
        }
        // the garbage and the empty message are bare payloads, a String handler takes them; the rest never reach it
        int expected = raw.poisons().size() + 2;
        Await.until("the handler ran for the requests, the garbage and the empty message only",
                Duration.ofSeconds(5), () -> handled.get() >= expected);
        assertEquals(expected, handled.get());
        if (kind.equals("stream:")) {
            try (Jedis jedis = new Jedis(URI.create(RedisTestSupport.URI))) {
                byte[] key = name.getBytes(StandardCharsets.UTF_8);
                Await.until("every entry, unreadable ones too, is acknowledged", Duration.ofSeconds(5), () -> {
                    List<?> summary = (List<?>) jedis.sendCommand(Protocol.Command.XPENDING, key, "g".getBytes());
                    return (Long) summary.get(0) == 0;
                });
            }
        }
        answered.forEach((id, got) -> assertEquals(1, got.size(), id + " was answered " + got.size() + " times"));
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
