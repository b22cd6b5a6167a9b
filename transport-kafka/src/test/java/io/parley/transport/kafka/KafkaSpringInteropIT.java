package io.parley.transport.kafka;

import io.parley.api.Broker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
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
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * A Spring Kafka ReplyingKafkaTemplate client, written with plain kafka-clients in Spring's header
 * format (kafka_replyTopic, 16-byte kafka_correlationId, 4-byte kafka_replyPartition), gets its
 * answer from a Parley handler: on its topic and partition, with its correlation bytes echoed.
 */
class KafkaSpringInteropIT {

    @Test
    void springStyleRequestIsAnsweredOnItsReplyTopicAndPartition() throws Exception {
        String uri = KafkaBroker.sharedUri();
        String bootstrap = URI.create(uri).getAuthority();
        String requests = "parley-it.spring." + UUID.randomUUID();
        String replies = requests + ".replies";
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            admin.createTopics(List.of(new NewTopic(replies, 2, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        TopicPartition replyPartition = new TopicPartition(replies, 1);
        try (Broker parley = Broker.connect(uri);
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                     ProducerConfig.LINGER_MS_CONFIG, 0, ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class,
                     ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class));
             KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                     ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                     ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class))) {
            parley.subscribe(requests, String.class, name -> "Hello, " + name);
            consumer.assign(List.of(replyPartition));
            consumer.seekToEnd(List.of(replyPartition));
            consumer.position(replyPartition);

            UUID id = UUID.randomUUID();
            byte[] correlation = ByteBuffer.allocate(16).putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits()).array();
            ProducerRecord<byte[], byte[]> request = new ProducerRecord<>(requests, "Ada".getBytes(StandardCharsets.UTF_8));
            request.headers().add("kafka_replyTopic", replies.getBytes(StandardCharsets.UTF_8));
            request.headers().add("kafka_replyPartition", ByteBuffer.allocate(4).putInt(1).array());
            request.headers().add("kafka_correlationId", correlation);
            producer.send(request).get(10, TimeUnit.SECONDS);

            ConsumerRecord<byte[], byte[]> reply = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            while (reply == null && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    reply = record;
                }
            }
            assertNotNull(reply, "no reply on " + replyPartition + " within 15 s");
            assertEquals("Hello, Ada", new String(reply.value(), StandardCharsets.UTF_8));
            assertArrayEquals(correlation, reply.headers().lastHeader("kafka_correlationId").value(),
                    "the correlation bytes are echoed");
        }
    }
}
