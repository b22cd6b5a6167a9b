package io.parley.transport.rabbit;

import io.parley.tck.Await;
import io.parley.api.Broker;
import io.parley.api.BrokerOptions;
import io.parley.api.ConfigurationException;
import io.parley.api.ConnectionException;
import io.parley.api.MessagingException;
import io.parley.api.RequestOptions;
import io.parley.api.SubscribeOptions;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Typed failures a user can hit, the optional modes, and no threads left behind. */
class RabbitLifecycleIT {

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
    void wrongPasswordIsConnectionExceptionThatSaysSo() {
        URI shared = URI.create(RabbitTestSupport.URI);
        String wrong = "amqp://guest:not-the-password@" + shared.getHost() + ":" + shared.getPort();
        ConnectionException e = assertThrows(ConnectionException.class, () -> Broker.connect(wrong));
        assertTrue(e.getMessage().contains("refused the user name or password"), e.getMessage());
        assertFalse(e.getMessage().contains("not-the-password"), e.getMessage());
    }

    @Test
    void badPropertiesAreListedTogether() {
        BrokerOptions options = BrokerOptions.builder().property(RabbitProperties.CHANNELS, "many")
                .property(RabbitProperties.REPLY_MODE, "carrier-pigeon").property("rabbit.chanels", "2").build();
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> Broker.connect(RabbitTestSupport.URI, options));
        assertEquals(3, e.problems().size(), e.problems().toString());
    }

    @Test
    void queueDeclaredWithOtherSettingsIsConfigurationException() {
        String queue = "parley-it.precondition." + UUID.randomUUID();
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
    void publisherConfirmsCompleteWhenTheBrokerHasTheMessageAndFailWhenUnroutable() throws Exception {
        String queue = "parley-it.confirms." + UUID.randomUUID();
        BrokerOptions confirms = BrokerOptions.builder().property(RabbitProperties.PUBLISHER_CONFIRMS, "true").build();
        try (Broker broker = Broker.connect(RabbitTestSupport.URI, confirms)) {
            broker.subscribe(queue, String.class, body -> null);
            broker.publish(queue, "kept").get(5, TimeUnit.SECONDS);
            ExecutionException e = assertThrows(ExecutionException.class,
                    () -> broker.publish(queue + ".nobody", "lost").get(5, TimeUnit.SECONDS));
            assertInstanceOf(MessagingException.class, e.getCause());
            assertTrue(e.getCause().getMessage().contains("no queue is bound"), e.getCause().getMessage());
        }
    }

    @Test
    void replyQueueModeAnswersRequests() {
        String queue = "parley-it.reply-queue." + UUID.randomUUID();
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
        String queue = "parley-it.lifecycle." + UUID.randomUUID();
        for (int i = 0; i < 3; i++) {
            try (Broker broker = Broker.connect(RabbitTestSupport.URI)) {
                broker.subscribe(queue, String.class, body -> body);
                broker.rpc().request(queue, "x", RequestOptions.timeout(Duration.ofSeconds(5))).orElseThrow();
            }
        }
        Await.until("every thread started by the brokers ends after close", Duration.ofSeconds(10),
                () -> Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.isAlive() && !before.contains(t)
                        && !t.getName().startsWith("ForkJoinPool.commonPool")));
    }
}
