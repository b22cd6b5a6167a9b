package io.parley.transport.kafka;

import io.parley.api.Broker;
import io.parley.api.BrokerOptions;
import io.parley.api.Message;
import io.parley.api.MessagingException;
import io.parley.api.RequestException;
import io.parley.api.RequestOptions;
import io.parley.api.SubscribeOptions;
import io.parley.tck.BrokerControl;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the kit's fault rules (10.01-10.03) do not cover, on the same private broker and in one
 * outage: a message published while the broker is down is sent once it is back (within
 * kafka.connect-timeout-ms, here 60 s) and delivered; sends to a topic never used before return at
 * once during the outage, end typed (the topic cannot be created within a 3 s connect timeout), and
 * work once the broker is back, on the same Broker.
 */
class KafkaOutageIT {

    private static final Duration SLACK = Duration.ofSeconds(1);
    private static final int CONNECT_TIMEOUT_MS = 3_000;

    @Test
    void sendsDuringAnOutageReturnAtOnceEndTypedOrArriveAfterIt() throws Exception {
        KafkaBroker kafka = KafkaBroker.controlled();
        BrokerControl control = kafka.control();
        BrokerOptions options = BrokerOptions.builder()
                .property(KafkaProperties.CONNECT_TIMEOUT_MS, Integer.toString(CONNECT_TIMEOUT_MS)).build();
        BrokerOptions patient = BrokerOptions.builder().property(KafkaProperties.CONNECT_TIMEOUT_MS, "60000").build();
        String known = "outage.kept." + UUID.randomUUID();
        String fresh = "outage.new." + UUID.randomUUID();
        LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();
        try (Broker subscriber = Broker.connect(kafka.uri()); Broker keeper = Broker.connect(kafka.uri(), patient);
             Broker sender = Broker.connect(kafka.uri(), options)) {
            subscriber.subscribe(known, String.class, SubscribeOptions.group("kept"), body -> {
                received.add(body);
                return null;
            });
            keeper.publish(known, "before").get(10, TimeUnit.SECONDS);
            assertEquals("before", received.poll(10, TimeUnit.SECONDS));

            CompletableFuture<Void> kept;
            control.kill();
            try {
                long start = System.nanoTime();
                kept = keeper.publish(known, "during");
                CompletableFuture<Message> request = sender.rpc().requestAsync(fresh, "during",
                        RequestOptions.timeout(Duration.ofSeconds(2)));
                CompletableFuture<Void> publish = sender.publish(fresh, "during");
                assertTrue(System.nanoTime() - start < SLACK.toNanos(), "publish and requestAsync returned at once");

                ExecutionException failed = assertThrows(ExecutionException.class,
                        () -> request.get(2_000 + SLACK.toMillis(), TimeUnit.MILLISECONDS));
                assertInstanceOf(RequestException.class, failed.getCause(), "the request ended typed within its timeout");
                failed = assertThrows(ExecutionException.class,
                        () -> publish.get(CONNECT_TIMEOUT_MS + 5_000, TimeUnit.MILLISECONDS));
                MessagingException cause = assertInstanceOf(MessagingException.class, failed.getCause());
                assertTrue(cause.getMessage().contains(fresh), "the failure names the topic: " + cause.getMessage());
            } finally {
                control.restart(); // same ports and data
            }

            kept.get(60, TimeUnit.SECONDS); // sent once the broker was back
            String next = received.poll(60, TimeUnit.SECONDS);
            while ("before".equals(next)) { // at least once: its commit may not have reached the broker before it died
                next = received.poll(60, TimeUnit.SECONDS);
            }
            assertEquals("during", next, "the message published during the outage arrives");

            subscriber.subscribe(fresh, String.class, body -> "re:" + body);
            Message reply = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (reply == null && System.nanoTime() < deadline) {
                try {
                    reply = sender.rpc().request(fresh, "after", RequestOptions.timeout(Duration.ofSeconds(2))).orElse(null);
                } catch (RequestException e) {
                    // still recovering: a typed failure, try again
                }
            }
            assertNotNull(reply, "the same Broker requests on the new topic once the broker is back");
            assertEquals("re:after", reply.bodyAsString());
        }
    }
}
