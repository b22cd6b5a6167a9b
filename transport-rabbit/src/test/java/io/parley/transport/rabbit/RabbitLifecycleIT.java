package io.parley.transport.rabbit;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.parley.api.Broker;
import io.parley.api.BrokerOptions;
import io.parley.api.ConfigurationException;
import io.parley.api.ConnectionException;
import io.parley.api.Message;
import io.parley.api.MessagingException;
import io.parley.api.RequestException;
import io.parley.api.RequestOptions;
import io.parley.api.SubscribeOptions;
import io.parley.api.Subscriber;
import io.parley.tck.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Typed failures a user can hit, the defaults that keep messages, the optional modes, and no threads left behind. */
class RabbitLifecycleIT {

    private final String queue = "parley-it.lifecycle." + UUID.randomUUID();

    @AfterEach
    void deleteQueue() {
        RabbitTestSupport.deleteQueues(RabbitTestSupport.URI, List.of(queue, queue + ".workers"));
    }

    @Test
    void unreachableBrokerIsConnectionExceptionWithoutThePassword() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        ConnectionException e = assertThrows(ConnectionException.class,
                () -> Broker.connect("amqp://alice:s3cret-pw@127.0.0.1:" + port + "/"));
        assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
        assertFalse(e.getMessage().contains("s3cret-pw"), e.getMessage());
    }

    @Test
    void badPropertiesAreListedTogether() {
        BrokerOptions options = BrokerOptions.builder().property(RabbitProperties.CHANNELS, "many")
                .property(RabbitProperties.REPLY_MODE, "carrier-pigeon").property("rabbit.chanels", "2")
                .property(RabbitProperties.MAX_MESSAGE_SIZE, "1000000000").build();
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> Broker.connect(RabbitTestSupport.URI, options));
        assertEquals(4, e.problems().size(), e.problems().toString());
    }

    @Test
    void aGroupQueueKeepsItsMessagesWhileNoMemberRuns() throws Exception {
        try (Broker broker = Broker.connect(RabbitTestSupport.URI)) {
            Subscriber first = broker.subscribe(queue, String.class, SubscribeOptions.group("workers"), body -> null);
            first.close(); // its last consumer gone: by default the queue stays
            // confirmed by default: the broker has it; unroutable (no queue) would fail this future
            broker.publish(queue, "waited").get(5, TimeUnit.SECONDS);
            List<String> got = new CopyOnWriteArrayList<>();
            broker.subscribe(queue, String.class, SubscribeOptions.group("workers"), body -> {
                got.add(body);
                return null;
            });
            Await.until("the next member gets what was published while none ran", Duration.ofSeconds(5),
                    () -> got.contains("waited"));
        }
    }

    @Test
    void closingASubscriberReturnsWhatItHadNotStartedToTheQueue() throws Exception {
        int messages = 10;
        try (Broker broker = Broker.connect(RabbitTestSupport.URI)) {
            List<String> got = new CopyOnWriteArrayList<>();
            CountDownLatch holding = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            // one handler at a time, but RabbitMQ hands out ten: nine wait in this process
            SubscribeOptions slow = SubscribeOptions.builder().group("workers").concurrency(1)
                    .property(RabbitProperties.QUEUE_PREFETCH, "10").build();
            Subscriber first = broker.subscribe(queue, String.class, slow, body -> {
                got.add(body);
                holding.countDown();
                release.await(10, TimeUnit.SECONDS);
                return null;
            });
            for (int i = 0; i < messages; i++) {
                broker.publish(queue, "m" + i).get(5, TimeUnit.SECONDS);
            }
            assertTrue(holding.await(5, TimeUnit.SECONDS));
            Thread closing = new Thread(first::close); // waits for the running handler
            closing.start();
            Await.until("the subscriber stopped", Duration.ofSeconds(5), () -> !first.isActive());
            release.countDown();
            closing.join(10_000);
            broker.subscribe(queue, String.class, SubscribeOptions.group("workers"), body -> {
                got.add(body);
                return null;
            });
            Await.until("every message is handled once the next member runs", Duration.ofSeconds(10),
                    () -> got.size() >= messages);
            assertEquals(messages, Set.copyOf(got).size(), "none lost, none twice: " + got);
        }
    }

    @Test
    void aFailedMessageIsDeadLetteredOnceWhenTheQueueSaysWhere() throws Exception {
        String dead = queue + ".dead";
        try (Broker broker = Broker.connect(RabbitTestSupport.URI)) {
            List<Message> deadLetters = new CopyOnWriteArrayList<>();
            broker.subscribe(dead, Message.class, message -> {
                deadLetters.add(message);
                return null;
            });
            SubscribeOptions deadLettering = SubscribeOptions.builder()
                    .property(RabbitProperties.QUEUE_ARGUMENT_PREFIX + "x-dead-letter-exchange", "")
                    .property(RabbitProperties.QUEUE_ARGUMENT_PREFIX + "x-dead-letter-routing-key", dead).build();
            List<String> attempts = new CopyOnWriteArrayList<>();
            broker.subscribe(queue, String.class, deadLettering, body -> {
                attempts.add(body);
                throw new IllegalStateException("cannot bill " + body);
            });
            broker.publish(queue, "order-1").get(5, TimeUnit.SECONDS);
            Await.until("the failed message reaches the dead-letter queue", Duration.ofSeconds(5),
                    () -> deadLetters.size() == 1);
            assertEquals("order-1", deadLetters.get(0).bodyAsString());
            // RabbitMQ's x-death header (an array of tables) arrives as text
            assertTrue(deadLetters.get(0).headers().get("x-death").contains("reason=rejected"),
                    deadLetters.get(0).headers().toString());
            assertEquals(List.of("order-1"), attempts, "rejected without requeue: handled once");
        } finally {
            RabbitTestSupport.deleteQueues(RabbitTestSupport.URI, List.of(dead));
        }
    }

    @Test
    void queueDeclaredWithOtherSettingsIsConfigurationException() {
        try (Broker broker = Broker.connect(RabbitTestSupport.URI)) {
            broker.subscribe(queue, String.class, body -> body);
            SubscribeOptions other = SubscribeOptions.builder().property(RabbitProperties.QUEUE_ARGUMENT_PREFIX + "x-max-length", "5").build();
            ConfigurationException e = assertThrows(ConfigurationException.class,
                    () -> broker.subscribe(queue, String.class, other, body -> body));
            assertTrue(e.getMessage().contains("other settings"), e.getMessage());
            // the first subscription still works
            assertEquals(Optional.of("x"), broker.rpc().request(queue, "x", String.class, RequestOptions.timeout(Duration.ofSeconds(5))));
        }
    }

    @Test
    void aQueueMadeNonDurableElsewhereSaysWhichPropertiesMatchIt() throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(RabbitTestSupport.URI);
        try (Connection plain = factory.newConnection("parley-it-plain");
             Broker broker = Broker.connect(RabbitTestSupport.URI)) {
            Channel channel = plain.createChannel();
            channel.queueDeclare(queue, false, false, false, null); // as FastStream declares by default
            ConfigurationException e = assertThrows(ConfigurationException.class,
                    () -> broker.subscribe(queue, String.class, body -> body));
            assertTrue(e.getMessage().contains("durable=true") && e.getMessage().contains(RabbitProperties.QUEUE_DURABLE),
                    e.getMessage());
            broker.subscribe(queue, String.class, SubscribeOptions.builder().property(RabbitProperties.QUEUE_DURABLE, "false")
                    .build(), body -> "got " + body);
            assertEquals(Optional.of("got x"), broker.rpc().request(queue, "x", String.class,
                    RequestOptions.timeout(Duration.ofSeconds(5))));
        }
    }

    @Test
    void publishFailsWhenUnroutableAndCompletesWithoutConfirmsWhenAsked() throws Exception {
        try (Broker broker = Broker.connect(RabbitTestSupport.URI);
             Broker unconfirmed = Broker.connect(RabbitTestSupport.URI, BrokerOptions.builder()
                     .property(RabbitProperties.PUBLISHER_CONFIRMS, "false").build())) {
            broker.subscribe(queue, String.class, body -> null);
            broker.publish(queue, "kept").get(5, TimeUnit.SECONDS);
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> broker.publish(queue + ".nobody", "lost").get(5, TimeUnit.SECONDS));
            assertInstanceOf(MessagingException.class, e.getCause());
            assertTrue(e.getCause().getMessage().contains("no queue is bound"), e.getCause().getMessage());
            // without confirms the future only says the message was written (the broker drops it, with a WARN here)
            unconfirmed.publish(queue + ".nobody", "lost").get(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void aBodyOverTheMaximumFailsAtOnceAndTheConnectionGoesOn() throws Exception {
        BrokerOptions small = BrokerOptions.builder().property(RabbitProperties.MAX_MESSAGE_SIZE, "1024").build();
        try (Broker broker = Broker.connect(RabbitTestSupport.URI, small)) {
            broker.subscribe(queue, byte[].class, body -> body.length);
            CompletableFuture<Void> sent = broker.publish(queue, new byte[1025]);
            ExecutionException e = assertThrows(ExecutionException.class, () -> sent.get(1, TimeUnit.SECONDS));
            assertInstanceOf(MessagingException.class, e.getCause());
            assertTrue(e.getCause().getMessage().contains(RabbitProperties.MAX_MESSAGE_SIZE), e.getCause().getMessage());
            RequestException failed = assertThrows(RequestException.class, () -> broker.rpc().request(queue, new byte[2048],
                    RequestOptions.builder().timeout(Duration.ofSeconds(5)).throwOnTimeout().build()));
            assertEquals(RequestException.Reason.SEND_FAILED, failed.reason());
            assertEquals(Optional.of(1024), broker.rpc().request(queue, new byte[1024], Integer.class,
                    RequestOptions.timeout(Duration.ofSeconds(5))));
        }
    }

    @Test
    void replyQueueModeAnswersRequests() {
        BrokerOptions replyQueue = BrokerOptions.builder().property(RabbitProperties.REPLY_MODE, "queue").build();
        try (Broker server = Broker.connect(RabbitTestSupport.URI);
             Broker client = Broker.connect(RabbitTestSupport.URI, replyQueue)) {
            server.subscribe(queue, String.class, body -> "got " + body);
            assertEquals(Optional.of("got a"), client.rpc().request(queue, "a", String.class, RequestOptions.timeout(Duration.ofSeconds(5))));
            assertEquals(Optional.of("got b"), client.rpc().request(queue, "b", String.class, RequestOptions.timeout(Duration.ofSeconds(5))));
            assertEquals(0, client.rpc().pendingRequests());
        }
    }

    @Test
    void closeLeavesNoThreads() throws Exception {
        Set<Thread> before = Set.copyOf(Thread.getAllStackTraces().keySet());
        for (int i = 0; i < 3; i++) {
            try (Broker broker = Broker.connect(RabbitTestSupport.URI)) {
                broker.subscribe(queue, String.class, body -> body);
                broker.rpc().request(queue, "x", RequestOptions.timeout(Duration.ofSeconds(5))).orElseThrow();
                broker.publish(queue, "y").get(5, TimeUnit.SECONDS);
            }
        }
        Await.until("every thread started by the brokers ends after close", Duration.ofSeconds(10),
                () -> Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.isAlive() && !before.contains(t)
                        && !t.getName().startsWith("ForkJoinPool.commonPool")));
    }
}
