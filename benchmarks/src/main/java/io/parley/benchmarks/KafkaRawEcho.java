package io.parley.benchmarks;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;

/**
 * kafka-clients by hand: a request topic and a reply topic, a {@code correlation_id} header, linger.ms=0,
 * a responder poll loop that produces each echo, and a reply consumer (assigned, read from its end)
 * that completes the matching future.
 */
final class KafkaRawEcho extends EchoCase {

    private static final String CORRELATION = "correlation_id";

    private final String bootstrap;

    KafkaRawEcho(String uri) {
        super("kafka", Kind.RAW, "kafka-clients, request + reply topics, correlation header");
        this.bootstrap = Uris.kafkaBootstrap(uri);
    }

    @Override
    EchoClient open() throws Exception {
        String requests = Uris.fresh("bench-raw");
        String replies = requests + ".replies";
        KafkaSupport.createTopics(bootstrap, requests, replies);
        AtomicBoolean running = new AtomicBoolean(true);

        KafkaProducer<String, String> serverProducer = new KafkaProducer<>(KafkaSupport.producer(bootstrap));
        CountDownLatch serverAssigned = new CountDownLatch(1);
        Thread server = new Thread(() -> {
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(KafkaSupport.consumer(bootstrap, requests + ".server"))) {
                consumer.subscribe(List.of(requests), new ConsumerRebalanceListener() {
                    @Override
                    public void onPartitionsRevoked(java.util.Collection<TopicPartition> partitions) {
                    }

                    @Override
                    public void onPartitionsAssigned(java.util.Collection<TopicPartition> partitions) {
                        if (!partitions.isEmpty()) {
                            serverAssigned.countDown();
                        }
                    }
                });
                while (running.get()) {
                    for (ConsumerRecord<String, String> request : consumer.poll(Duration.ofMillis(100))) {
                        ProducerRecord<String, String> reply = new ProducerRecord<>(replies, request.value());
                        reply.headers().add(request.headers().lastHeader(CORRELATION));
                        serverProducer.send(reply);
                    }
                }
            }
        }, "bench-kafka-raw-server");

        Map<String, CompletableFuture<String>> pending = new ConcurrentHashMap<>();
        CountDownLatch replyReady = new CountDownLatch(1);
        Thread replyReader = new Thread(() -> {
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(KafkaSupport.consumer(bootstrap, replies + ".client"))) {
                TopicPartition partition = new TopicPartition(replies, 0);
                consumer.assign(List.of(partition));
                consumer.seekToEnd(List.of(partition));
                consumer.position(partition); // resolve the end now: no reply can be skipped after this
                replyReady.countDown();
                while (running.get()) {
                    for (ConsumerRecord<String, String> reply : consumer.poll(Duration.ofMillis(100))) {
                        Header id = reply.headers().lastHeader(CORRELATION);
                        CompletableFuture<String> future = id == null ? null
                                : pending.remove(new String(id.value(), StandardCharsets.UTF_8));
                        if (future != null) {
                            future.complete(reply.value());
                        }
                    }
                }
            }
        }, "bench-kafka-raw-replies");
        server.setDaemon(true);
        replyReader.setDaemon(true);
        server.start();
        replyReader.start();
        if (!serverAssigned.await(60, TimeUnit.SECONDS) || !replyReady.await(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("Kafka consumers not assigned within 60 s");
        }
        KafkaProducer<String, String> producer = new KafkaProducer<>(KafkaSupport.producer(bootstrap));
        AtomicLong ids = new AtomicLong();

        return new EchoClient() {
            @Override
            public CompletableFuture<String> callAsync(String body) {
                String id = Long.toString(ids.incrementAndGet());
                CompletableFuture<String> future = new CompletableFuture<>();
                pending.put(id, future);
                ProducerRecord<String, String> request = new ProducerRecord<>(requests, body);
                request.headers().add(CORRELATION, id.getBytes(StandardCharsets.UTF_8));
                producer.send(request, (metadata, error) -> {
                    if (error != null && pending.remove(id) != null) {
                        future.completeExceptionally(error);
                    }
                });
                return future;
            }

            @Override
            public void close() throws Exception {
                running.set(false);
                server.join(5_000);
                replyReader.join(5_000);
                producer.close();
                serverProducer.close();
            }
        };
    }
}
