package io.parley.internal;

import io.parley.api.Broker;
import io.parley.api.BrokerOptions;
import io.parley.api.Message;
import io.parley.api.PublishOptions;
import io.parley.api.RemoteHandlerException;
import io.parley.api.Reply;
import io.parley.api.RequestException;
import io.parley.api.RequestOptions;
import io.parley.api.SubscribeOptions;
import io.parley.api.codec.JsonCodec;
import io.parley.fakes.Await;
import io.parley.spi.Envelope;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Handlers, replies, many replies and concurrency of the core, on memory:// (one private bus per test). */
class DefaultBrokerTest {

    public record Order(String id, int quantity) {
    }

    private static final Duration DEADLINE = Duration.ofSeconds(10);
    private static final RequestOptions FIVE_SECONDS = RequestOptions.builder().timeout(Duration.ofSeconds(5))
            .throwOnTimeout().build();

    private static Broker connect(BrokerOptions.Builder options) {
        return Broker.connect("memory://" + UUID.randomUUID(), options.closeTimeout(Duration.ofSeconds(2)).build());
    }

    private static Broker connect() {
        return connect(BrokerOptions.builder());
    }

    @Test
    void replyReachesRequesterWithItsCorrelationId() {
        try (Broker broker = connect()) {
            AtomicReference<Message> received = new AtomicReference<>();
            broker.subscribe("greet", Message.class, message -> {
                received.set(message);
                return "Hello, " + message.body(String.class);
            });
            Message reply = broker.rpc().request("greet", "Ada",
                    RequestOptions.builder().timeout(Duration.ofSeconds(5)).header("tenant", "t-ü").build())
                    .orElseThrow();

            assertEquals("Hello, Ada", reply.body(String.class));
            assertEquals(JsonCodec.TEXT_PLAIN, reply.contentType());
            Message request = received.get();
            assertEquals("t-ü", request.header("tenant"));
            assertEquals(36, request.correlationId().length(), request.correlationId());
            assertEquals(request.correlationId(), reply.correlationId());
            assertNotNull(request.replyTo());
            Await.noPendingRequests(broker.rpc());
        }
    }

    @Test
    void recordsRoundTripAsJson() {
        try (Broker broker = connect()) {
            broker.subscribe("orders", Order.class, order -> new Order(order.id() + "-ok", order.quantity() * 2));
            Order reply = broker.rpc().request("orders", new Order("o-1", 3), Order.class, FIVE_SECONDS).orElseThrow();
            assertEquals(new Order("o-1-ok", 6), reply);
        }
    }

    @Test
    void nullResultSendsAnEmptyReply() {
        try (Broker broker = connect()) {
            broker.subscribe("void", String.class, body -> null);
            Message reply = broker.rpc().request("void", "x", FIVE_SECONDS).orElseThrow();
            assertEquals(0, reply.body().length);
            assertNull(reply.contentType());
            assertEquals(Optional.of(""), broker.rpc().request("void", "x", String.class, FIVE_SECONDS));
        }
    }

    @Test
    void replyObjectSetsHeaders() {
        try (Broker broker = connect()) {
            broker.subscribe("headers", String.class, body -> Reply.of(Map.of("n", 1)).withHeader("x-served-by", "test"));
            Message reply = broker.rpc().request("headers", "x", FIVE_SECONDS).orElseThrow();
            assertEquals("test", reply.header("x-served-by"));
            assertEquals(JsonCodec.APPLICATION_JSON, reply.contentType());
            assertEquals(Map.of("n", 1), reply.body(Object.class));
        }
    }

    @Test
    void completionStageResultIsAwaited() {
        try (Broker broker = connect()) {
            broker.subscribe("async", String.class, body -> CompletableFuture.supplyAsync(() -> "later " + body));
            assertEquals("later x", broker.rpc().request("async", "x", String.class, FIVE_SECONDS).orElseThrow());
        }
    }

    @Test
    void requestAsyncCompletesWithTheReply() throws Exception {
        try (Broker broker = connect()) {
            broker.subscribe("echo", String.class, body -> body);
            CompletableFuture<Message> future = broker.rpc().requestAsync("echo", "héllo ✓ 日本", FIVE_SECONDS);
            assertEquals("héllo ✓ 日本", future.get(5, TimeUnit.SECONDS).body(String.class));
            Await.noPendingRequests(broker.rpc());
        }
    }

    @Test
    void handlerExceptionIsRemoteHandlerExceptionWithoutItsTextByDefault() {
        try (Broker broker = connect()) {
            broker.subscribe("fail", String.class, body -> {
                throw new IllegalStateException("SELECT * FROM stock: out of stock");
            });
            RemoteHandlerException e = assertThrows(RemoteHandlerException.class, () -> broker.rpc().request("fail",
                    "x", RequestOptions.timeout(Duration.ofSeconds(20))));
            assertEquals(500, e.code());
            assertTrue(e.remoteMessage().matches("the handler failed \\(error id [0-9a-f]{8}\\)"), e.remoteMessage());
            assertFalse(e.getMessage().contains("SELECT") || e.getMessage().contains("IllegalStateException"),
                    "internals must not reach the caller: " + e.getMessage());
        }
    }

    @Test
    void handlerExceptionIsRemoteHandlerException() {
        try (Broker broker = connect(BrokerOptions.builder().errorDetails(true))) {
            broker.subscribe("fail", String.class, body -> {
                throw new IllegalStateException("out of stock\nsecond line");
            });
            long start = System.nanoTime();
            RemoteHandlerException e = assertThrows(RemoteHandlerException.class, () -> broker.rpc().request("fail",
                    "x", RequestOptions.timeout(Duration.ofSeconds(20))));
            assertTrue(System.nanoTime() - start < Duration.ofSeconds(5).toNanos(), "not at once");

            assertEquals(RequestException.Reason.REMOTE_ERROR, e.reason());
            assertEquals(500, e.code());
            assertEquals("IllegalStateException: out of stock second line", e.remoteMessage());
            assertTrue(e.getMessage().contains("out of stock"), e.getMessage());
            assertTrue(e.getMessage().contains("reason=REMOTE_ERROR"), e.getMessage());

            CompletableFuture<Message> future = broker.rpc().requestAsync("fail", "x", FIVE_SECONDS);
            ExecutionException async = assertThrows(ExecutionException.class, () -> future.get(5, TimeUnit.SECONDS));
            assertInstanceOf(RemoteHandlerException.class, async.getCause());
            Await.noPendingRequests(broker.rpc());
        }
    }

    @Test
    void undecodableBodyGivesCode400AndTheSubscriptionGoesOn() {
        try (Broker broker = connect()) {
            broker.subscribe("orders", Order.class, Order::id);
            RemoteHandlerException e = assertThrows(RemoteHandlerException.class,
                    () -> broker.rpc().request("orders", "not json", FIVE_SECONDS));
            assertEquals(400, e.code());
            assertTrue(e.remoteMessage().startsWith("the request could not be read or decoded (error id "),
                    e.remoteMessage());
            broker.subscribe("orders-detailed", Order.class, SubscribeOptions.builder().errorDetails(true).build(),
                    Order::id);
            e = assertThrows(RemoteHandlerException.class,
                    () -> broker.rpc().request("orders-detailed", "not json", FIVE_SECONDS));
            assertTrue(e.remoteMessage().contains(Order.class.getName()), e.remoteMessage());

            assertEquals("o-7", broker.rpc().request("orders", new Order("o-7", 1), String.class, FIVE_SECONDS)
                    .orElseThrow());
        }
    }

    @Test
    void handlerStreamGivesManyRepliesEndingOnTheSentinel() {
        try (Broker broker = connect()) {
            broker.subscribe("count", Integer.class, n -> Stream.iterate(1, i -> i <= n, i -> i + 1));
            long start = System.nanoTime();
            List<Integer> replies;
            try (Stream<Message> stream = broker.rpc().requestMany("count", 5,
                    RequestOptions.timeout(Duration.ofSeconds(20)))) {
                replies = stream.map(message -> message.body(Integer.class)).toList();
            }
            assertEquals(List.of(1, 2, 3, 4, 5), replies);
            assertTrue(System.nanoTime() - start < Duration.ofSeconds(10).toNanos(),
                    "the stream must end on the sentinel, not at the 20 s deadline");
            assertEquals(0, broker.rpc().pendingRequests());
        }
    }

    @Test
    void handlerIteratorGivesManyReplies() {
        try (Broker broker = connect()) {
            broker.subscribe("letters", String.class, body -> List.of("a", "b", "c").iterator());
            try (Stream<Message> stream = broker.rpc().requestMany("letters", "x", RequestOptions.timeout(Duration.ofSeconds(20)))) {
                assertEquals(List.of("a", "b", "c"), stream.map(Message::bodyAsString).toList());
            }
            assertEquals(0, broker.rpc().pendingRequests());
        }
    }

    @Test
    void requestManyEndsAfterMaxReplies() {
        try (Broker broker = connect()) {
            broker.subscribe("count", Integer.class, n -> Stream.iterate(1, i -> i <= n, i -> i + 1));
            List<Integer> replies = broker.rpc().requestMany("count", 10,
                    RequestOptions.builder().timeout(Duration.ofSeconds(20)).maxReplies(3).build())
                    .map(message -> message.body(Integer.class)).toList();
            assertEquals(List.of(1, 2, 3), replies);
            assertEquals(0, broker.rpc().pendingRequests(), "ending on the count must free the entry");
        }
    }

    @Test
    void requestManyKeepsEmptyRepliesWhenAsked() {
        try (Broker broker = connect()) {
            broker.subscribe("two", String.class, body -> Stream.of("a", "b"));
            List<Message> replies = broker.rpc().requestMany("two", "x", RequestOptions.builder()
                    .timeout(Duration.ofSeconds(20)).maxReplies(3).keepEmptyReplies().build()).toList();
            assertEquals(3, replies.size());
            assertEquals("a", replies.get(0).bodyAsString());
            assertEquals("b", replies.get(1).bodyAsString());
            assertEquals(0, replies.get(2).body().length, "the sentinel is delivered as an empty reply");
            assertNull(replies.get(2).contentType());
            assertEquals(0, broker.rpc().pendingRequests());
        }
    }

    @Test
    void requestManyEndsAfterAGapWithoutReplies() throws Exception {
        try (Broker broker = connect()) {
            CountDownLatch release = new CountDownLatch(1);
            broker.subscribe("one-then-silence", Message.class, message -> {
                message.reply("only");
                release.await(10, TimeUnit.SECONDS);
                return null;
            });
            long start = System.nanoTime();
            try (Stream<Message> stream = broker.rpc().requestMany("one-then-silence", "x", RequestOptions.builder()
                    .timeout(Duration.ofSeconds(20)).gap(Duration.ofMillis(500)).build())) {
                assertEquals(List.of("only"), stream.map(Message::bodyAsString).toList());
            } finally {
                release.countDown();
            }
            long elapsed = System.nanoTime() - start;
            assertTrue(elapsed >= Duration.ofMillis(500).toNanos(), "ended before the gap");
            assertTrue(elapsed < Duration.ofSeconds(10).toNanos(), "ended at the deadline, not on the gap");
            assertEquals(0, broker.rpc().pendingRequests());
        }
    }

    @Test
    void requestManyThrowsTheErrorReplyAfterEarlierReplies() {
        try (Broker broker = connect()) {
            broker.subscribe("partial", Message.class, SubscribeOptions.builder().errorDetails(true).build(), message -> {
                message.reply("first");
                throw new IllegalArgumentException("gave up");
            });
            try (Stream<Message> stream = broker.rpc().requestMany("partial", "x",
                    RequestOptions.timeout(Duration.ofSeconds(20)))) {
                Iterator<Message> replies = stream.iterator();
                assertEquals("first", replies.next().bodyAsString());
                RemoteHandlerException e = assertThrows(RemoteHandlerException.class, replies::hasNext);
                assertEquals("IllegalArgumentException: gave up", e.remoteMessage());
            }
            assertEquals(0, broker.rpc().pendingRequests());
        }
    }

    @Test
    void closingTheReplyStreamFreesTheEntry() {
        try (Broker broker = connect()) {
            broker.subscribe("silent", String.class, SubscribeOptions.builder().noReplies().build(), body -> null);
            Stream<Message> stream = broker.rpc().requestMany("silent", "x", RequestOptions.builder().noTimeout().build());
            assertEquals(1, broker.rpc().pendingRequests());
            stream.close();
            assertEquals(0, broker.rpc().pendingRequests());
        }
    }

    @Test
    void subscriptionConcurrencyIsNeverExceeded() throws Exception {
        try (Broker broker = connect()) {
            assertConcurrencyLimit(broker, SubscribeOptions.builder().concurrency(2).build(), 2);
        }
    }

    @Test
    void brokerHandlerConcurrencyAppliesWhenTheSubscriptionSetsNone() throws Exception {
        try (Broker broker = connect(BrokerOptions.builder().handlerConcurrency(3))) {
            assertConcurrencyLimit(broker, SubscribeOptions.defaults(), 3);
        }
    }

    /**
     * Sends 20 requests at once to a handler that blocks on a gate, opens the gate one permit at a
     * time, and checks that no more than {@code limit} handlers ever ran together, and that
     * {@code limit} did (so the limit is not trivially met by running one at a time).
     */
    private static void assertConcurrencyLimit(Broker broker, SubscribeOptions options, int limit) throws Exception {
        int total = 20;
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger maxInFlight = new AtomicInteger();
        AtomicInteger started = new AtomicInteger();
        Semaphore gate = new Semaphore(0);
        broker.subscribe("work", Integer.class, options, n -> {
            maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            started.incrementAndGet();
            try {
                if (!gate.tryAcquire(10, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the gate never opened");
                }
            } finally {
                inFlight.decrementAndGet();
            }
            return n;
        });
        List<CompletableFuture<Message>> futures = new ArrayList<>();
        for (int i = 0; i < total; i++) {
            futures.add(broker.rpc().requestAsync("work", i, RequestOptions.timeout(Duration.ofSeconds(30))));
        }
        for (int released = 0; released < total; released++) {
            int expected = Math.min(total, released + limit);
            Await.until(() -> started.get() >= expected, DEADLINE,
                    () -> started.get() + " handlers started, expected " + expected);
            assertTrue(maxInFlight.get() <= limit, maxInFlight.get() + " handlers ran at once, limit " + limit);
            gate.release();
        }
        for (int i = 0; i < total; i++) {
            assertEquals(i, futures.get(i).get(10, TimeUnit.SECONDS).body(Integer.class));
        }
        assertEquals(limit, maxInFlight.get(), "never more than the limit, and the limit reached");
    }

    @Test
    void publishWithReplyToDeliversTheAnswerToThatDestination() throws Exception {
        try (Broker broker = connect()) {
            BlockingQueue<Message> answers = new LinkedBlockingQueue<>();
            broker.subscribe("answers", Message.class, message -> {
                answers.add(message);
                return null;
            });
            broker.subscribe("questions", String.class, body -> "answer to " + body);
            broker.publish("questions", "q1", PublishOptions.builder().replyTo("answers").correlationId("cid-1")
                    .header("h", "v").build()).get(5, TimeUnit.SECONDS);

            Message answer = answers.poll(5, TimeUnit.SECONDS);
            assertNotNull(answer, "no answer arrived");
            assertEquals("answer to q1", answer.bodyAsString());
            assertEquals("cid-1", answer.correlationId());
            assertNull(answer.replyTo());
        }
    }

    @Test
    void publishedMessageWithoutReplyToCannotBeAnswered() throws Exception {
        try (Broker broker = connect()) {
            BlockingQueue<Object> seen = new LinkedBlockingQueue<>();
            broker.subscribe("events", Message.class, message -> {
                seen.add(message);
                try {
                    message.reply("nobody listens");
                } catch (IllegalStateException expected) {
                    seen.add(expected);
                }
                return "ignored";
            });
            broker.publish("events", Map.of("k", "v"), PublishOptions.builder().correlationId("c-9")
                    .header("h", "v").build()).get(5, TimeUnit.SECONDS);

            Message message = assertInstanceOf(Message.class, seen.poll(5, TimeUnit.SECONDS));
            assertNull(message.replyTo());
            assertEquals("c-9", message.correlationId());
            assertEquals("v", message.header("h"));
            assertEquals(Map.of("k", "v"), message.body(Object.class));
            assertInstanceOf(Envelope.class, message.unwrap(Envelope.class));
            assertThrows(IllegalArgumentException.class, () -> message.unwrap(String.class));
            assertInstanceOf(IllegalStateException.class, seen.poll(5, TimeUnit.SECONDS));
        }
    }

    @Test
    void closedSubscriberStopsReceiving() {
        try (Broker broker = connect()) {
            var subscriber = broker.subscribe("echo", String.class, body -> body);
            assertTrue(subscriber.isActive());
            assertEquals("echo", subscriber.destination());
            assertEquals("x", broker.rpc().request("echo", "x", String.class, FIVE_SECONDS).orElseThrow());
            subscriber.close();
            assertFalse(subscriber.isActive());
            RequestException e = assertThrows(RequestException.class,
                    () -> broker.rpc().request("echo", "x", FIVE_SECONDS));
            assertEquals(RequestException.Reason.NO_RESPONDERS, e.reason());
        }
    }
}
