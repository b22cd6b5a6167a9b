package io.parley.benchmarks;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.springframework.kafka.core.DefaultKafkaConsumerFactory;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.KafkaMessageListenerContainer;
import org.springframework.kafka.listener.MessageListener;
import org.springframework.kafka.requestreply.ReplyingKafkaTemplate;
import org.springframework.kafka.support.KafkaHeaders;

/**
 * Spring Kafka as an expert would set it up for latency: ReplyingKafkaTemplate with its own reply
 * topic (linger.ms=0, short fetch wait, assignment awaited), and a listener container whose listener
 * echoes through a KafkaTemplate to {@code kafka_replyTopic} with {@code kafka_correlationId} copied,
 * which is what {@code @SendTo} does, minus the annotation machinery.
 */
final class SpringKafkaEcho extends EchoCase {

    private final String bootstrap;

    SpringKafkaEcho(String uri) {
        super("kafka", Kind.SPRING, "spring-kafka 4.1 ReplyingKafkaTemplate + listener container");
        this.bootstrap = Uris.kafkaBootstrap(uri);
    }

    @Override
    EchoClient open() throws Exception {
        String requests = Uris.fresh("bench-spring");
        String replies = requests + ".replies";
        KafkaSupport.createTopics(bootstrap, requests, replies);
        DefaultKafkaProducerFactory<String, String> producers = new DefaultKafkaProducerFactory<>(KafkaSupport.producer(bootstrap));

        KafkaTemplate<String, String> replier = new KafkaTemplate<>(producers);
        ContainerProperties serverProps = new ContainerProperties(requests);
        serverProps.setMessageListener((MessageListener<String, String>) request -> {
            Header topic = request.headers().lastHeader(KafkaHeaders.REPLY_TOPIC);
            ProducerRecord<String, String> reply = new ProducerRecord<>(
                    new String(topic.value(), java.nio.charset.StandardCharsets.UTF_8), request.value());
            reply.headers().add(request.headers().lastHeader(KafkaHeaders.CORRELATION_ID));
            replier.send(reply);
        });
        KafkaMessageListenerContainer<String, String> server = new KafkaMessageListenerContainer<>(
                new DefaultKafkaConsumerFactory<>(KafkaSupport.consumer(bootstrap, requests + ".server")), serverProps);
        server.start();

        ContainerProperties replyProps = new ContainerProperties(replies);
        KafkaMessageListenerContainer<String, String> replyContainer = new KafkaMessageListenerContainer<>(
                new DefaultKafkaConsumerFactory<>(KafkaSupport.consumer(bootstrap, replies + ".client")), replyProps);
        ReplyingKafkaTemplate<String, String, String> template = new ReplyingKafkaTemplate<>(producers, replyContainer);
        template.setDefaultReplyTimeout(Duration.ofSeconds(10));
        template.setSharedReplyTopic(false);
        template.start();
        if (!template.waitForAssignment(Duration.ofSeconds(60))) {
            throw new IllegalStateException("the reply container was not assigned within 60 s");
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (server.getAssignedPartitions() == null || server.getAssignedPartitions().isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the request container was not assigned within 60 s");
            }
            java.util.concurrent.locks.LockSupport.parkNanos(10_000_000); // poll the broker every 10 ms
        }

        return new EchoClient() {
            @Override
            public CompletableFuture<String> callAsync(String body) {
                return template.sendAndReceive(new ProducerRecord<>(requests, body)).thenApply(ConsumerRecord::value);
            }

            @Override
            public void close() {
                template.stop();
                server.stop();
                producers.destroy();
            }
        };
    }
}
