package io.parley.transport.kafka;

import io.parley.api.Broker;
import io.parley.api.Message;
import io.parley.api.RemoteHandlerException;
import io.parley.api.RequestOptions;
import io.parley.api.SubscribeOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Records that failed (unreadable, or their handler threw) are committed past and never delivered
 * again: not to the same subscription, and not to the next member of the group after it closed. An
 * unreadable reply fails its request at once.
 */
class KafkaBadInputIT {

    @Test
    void failedRecordsAreCommittedAndNeverDeliveredAgain() throws Exception {
        String uri = KafkaBroker.sharedUri();
        String topic = "parley-it.bad-input." + UUID.randomUUID();
        String group = "bad-input";
        KafkaRawSender raw = new KafkaRawSender(uri);
        List<String> first = new CopyOnWriteArrayList<>();
        LinkedBlockingQueue<String> done = new LinkedBlockingQueue<>();
        String answers = topic + ".answers";
        LinkedBlockingQueue<Message> errors = new LinkedBlockingQueue<>();
        try (Broker publisher = Broker.connect(uri)) {
            publisher.subscribe(answers, Message.class, message -> {
                errors.add(message);
                return null;
            });
            try (Broker member = Broker.connect(uri)) {
                member.subscribe(topic, String.class, SubscribeOptions.group(group), body -> {
                    first.add(body);
                    if (body.equals("throws")) {
                        throw new IllegalStateException("handler failure on purpose");
                    }
                    done.add(body);
                    return null;
                });
                raw.send(KafkaRawSender.CONTENT_TYPE_NOT_UTF8, topic, answers, "bad-1");
                publisher.publish(topic, "throws").get(10, TimeUnit.SECONDS);
                publisher.publish(topic, "good").get(10, TimeUnit.SECONDS);
                assertEquals("good", done.poll(10, TimeUnit.SECONDS));
                assertEquals(List.of("throws", "good"), first, "the unreadable record never reached the handler");
                Message error = errors.poll(10, TimeUnit.SECONDS);
                assertEquals("bad-1", error == null ? null : error.correlationId(), "the unreadable record was answered");
                assertEquals("400", error.headers().get("Nats-Service-Error-Code"));
            } // closing commits what is done, the failed records included

            List<String> second = new CopyOnWriteArrayList<>();
            try (Broker next = Broker.connect(uri)) {
                next.subscribe(topic, String.class, SubscribeOptions.group(group), body -> {
                    second.add(body);
                    done.add(body);
                    return null;
                });
                publisher.publish(topic, "after").get(10, TimeUnit.SECONDS);
                assertEquals("after", done.poll(30, TimeUnit.SECONDS));
                assertEquals(List.of("after"), second, "the next member of the group starts after the failed records");
            }
        } finally {
            raw.close();
        }
    }

    /** A foreign responder's reply whose content-type is not UTF-8 fails its request at once (502), not at its timeout. */
    @Test
    void anUnreadableReplyFailsItsRequestAtOnce() throws Exception {
        String uri = KafkaBroker.sharedUri();
        String bootstrap = URI.create(uri).getAuthority();
        String topic = "parley-it.unreadable-reply." + UUID.randomUUID();
        try (Broker requester = Broker.connect(uri);
             KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                     ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                     ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                     ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class));
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                     ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                     ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class))) {
            CompletableFuture<Message> reply = requester.rpc().requestAsync(topic, "question",
                    RequestOptions.timeout(Duration.ofSeconds(30)));
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            ConsumerRecord<byte[], byte[]> request = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            while (request == null && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                    request = record;
                }
            }
            assertNotNull(request, "the request reached the topic");
            ProducerRecord<byte[], byte[]> answer = new ProducerRecord<>(
                    new String(request.headers().lastHeader("reply_to").value(), StandardCharsets.UTF_8),
                    "an answer".getBytes(StandardCharsets.UTF_8));
            answer.headers().add("content-type", new byte[] {(byte) 0xFF, (byte) 0xFE});
            answer.headers().add("correlation_id", request.headers().lastHeader("correlation_id").value());
            long sent = System.nanoTime();
            producer.send(answer).get(10, TimeUnit.SECONDS);

            ExecutionException failed = assertThrows(ExecutionException.class, () -> reply.get(10, TimeUnit.SECONDS));
            RemoteHandlerException error = assertInstanceOf(RemoteHandlerException.class, failed.getCause());
            assertEquals(502, error.code());
            assertTrue(error.remoteMessage().contains("content-type"), error.remoteMessage());
            assertTrue(System.nanoTime() - sent < Duration.ofSeconds(10).toNanos(), "failed at once, not at its timeout");
        }
    }
}
