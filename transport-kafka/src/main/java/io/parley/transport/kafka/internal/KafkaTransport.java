package io.parley.transport.kafka.internal;

import io.parley.api.ConfigurationException;
import io.parley.api.ConnectionException;
import io.parley.api.MessagingException;
import io.parley.api.SubscribeOptions;
import io.parley.spi.Envelope;
import io.parley.spi.InboundHandler;
import io.parley.spi.Transport;
import io.parley.spi.TransportContext;
import io.parley.spi.TransportSubscription;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One producer (linger.ms=0: a request/reply has two produce hops and Kafka 4's default 5 ms linger
 * would add to both), one admin client, and a reply topic of this connection,
 * {@code parley.replies.<random>} with one partition, read by a consumer that is assigned the
 * partition directly (no group, so no rebalance) and positioned at its end before the first request
 * can be sent: no reply is missed. A topic per connection needs no partition bookkeeping between
 * requesters and survives a broker restart (replies wait in the topic); it costs a topic per
 * connection, deleted at close.
 */
final class KafkaTransport implements Transport {

    private static final Logger log = LoggerFactory.getLogger(KafkaTransport.class);
    private static final AtomicInteger CONNECTIONS = new AtomicInteger();

    private final TransportContext context;
    private final String redactedUri;
    private final KafkaSettings settings;
    private final int id = CONNECTIONS.incrementAndGet();
    private final Admin admin;
    private final KafkaProducer<byte[], byte[]> producer;
    private final String replyTopic;
    private final Set<String> knownTopics = ConcurrentHashMap.newKeySet();
    private final ReplyReader replies;

    KafkaTransport(TransportContext context) {
        this.context = context;
        this.redactedUri = context.redactedUri();
        this.settings = KafkaSettings.from(context);
        this.admin = Admin.create(adminProperties());
        try {
            admin.describeCluster().nodes().get(settings.connectTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            admin.close(Duration.ZERO);
            throw new ConnectionException("Cannot reach Kafka at " + redactedUri + " within "
                    + settings.connectTimeout.toMillis() + " ms; check that the broker runs and the kafka.client.*"
                    + " security settings", e instanceof ExecutionException ? e.getCause() : e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            admin.close(Duration.ZERO);
            throw new ConnectionException("Interrupted while connecting to Kafka at " + redactedUri, e);
        }
        this.producer = new KafkaProducer<>(producerProperties());
        this.replyTopic = settings.replyTopicPrefix + "." + UUID.randomUUID();
        try {
            createTopic(replyTopic, 1, Map.of("retention.ms", "3600000"));
            this.replies = new ReplyReader();
        } catch (RuntimeException e) {
            producer.close(Duration.ZERO);
            admin.close(Duration.ZERO);
            throw e;
        }
    }

    private Map<String, Object> common() {
        Map<String, Object> properties = new HashMap<>(settings.client);
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrap);
        return properties;
    }

    private Map<String, Object> adminProperties() {
        Map<String, Object> properties = common();
        properties.put(AdminClientConfig.CLIENT_ID_CONFIG, "parley-" + id + "-admin");
        properties.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) settings.connectTimeout.toMillis());
        properties.putIfAbsent(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(settings.connectTimeout.toMillis(), 30_000));
        return properties;
    }

    private Map<String, Object> producerProperties() {
        Map<String, Object> properties = common();
        properties.put(ProducerConfig.CLIENT_ID_CONFIG, "parley-" + id + "-producer");
        properties.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        properties.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) settings.connectTimeout.toMillis());
        properties.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, settings.maxMessageBytes);
        properties.putAll(settings.producer);
        properties.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        properties.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        return properties;
    }

    /** Consumer settings for a subscription or the reply reader; {@code group} may be null (assigned, no group). */
    Map<String, Object> consumerProperties(String group, String clientId) {
        Map<String, Object> properties = common();
        properties.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        properties.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 20);
        if (group != null) {
            properties.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        }
        properties.putAll(settings.consumer);
        properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        return properties;
    }

    /** Creates {@code topic} unless known or disabled; the first send or subscribe to a topic waits for it. */
    private void ensureTopic(String topic) {
        if (!settings.createTopics || knownTopics.contains(topic)) {
            return;
        }
        createTopic(topic, settings.partitions, Map.of());
    }

    private void createTopic(String topic, int partitions, Map<String, String> configs) {
        Map<String, String> all = new HashMap<>(configs);
        all.put("max.message.bytes", Integer.toString(settings.maxMessageBytes)); // Kafka's default is about 1 MB
        NewTopic newTopic = new NewTopic(topic, Optional.of(partitions), settings.replicationFactor).configs(all);
        try {
            admin.createTopics(List.of(newTopic)).all().get(settings.connectTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new ConnectionException("Cannot create topic '" + topic + "' on Kafka at " + redactedUri + ": "
                        + e.getCause().getMessage() + " (set kafka.create-topics=false to use existing topics only)", e.getCause());
            }
        } catch (TimeoutException e) {
            throw new ConnectionException("Kafka at " + redactedUri + " did not create topic '" + topic + "' within "
                    + settings.connectTimeout.toMillis() + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConnectionException("Interrupted while creating topic '" + topic + "'", e);
        }
        knownTopics.add(topic);
    }

    @Override
    public CompletionStage<Void> publish(Envelope message) {
        return send(message.destination(), () -> KafkaRecords.record(message, message.destination(), null, message.replyTo()));
    }

    @Override
    public CompletionStage<Void> request(Envelope request) {
        return send(request.destination(), () -> KafkaRecords.record(request, request.destination(), null, replyTopic));
    }

    @Override
    public CompletionStage<Void> reply(Envelope request, Envelope reply) {
        if (request.nativeMessage() instanceof ConsumerRecord<?, ?> record
                && record.headers().lastHeader(KafkaRecords.SPRING_REPLY_TOPIC) != null) {
            // a Spring ReplyingKafkaTemplate: its topic, its partition if it named one, its correlation bytes echoed
            Header partition = record.headers().lastHeader(KafkaRecords.SPRING_REPLY_PARTITION);
            Header correlation = record.headers().lastHeader(KafkaRecords.SPRING_CORRELATION_ID);
            return sendRecord(reply.destination(), () -> {
                ProducerRecord<byte[], byte[]> out = KafkaRecords.record(reply, reply.destination(),
                        partition == null ? null : KafkaRecords.replyPartition(partition.value()), null);
                if (correlation != null) {
                    out.headers().add(KafkaRecords.SPRING_CORRELATION_ID, correlation.value());
                }
                return out;
            });
        }
        // reply topics belong to their requesters: never created here
        return sendRecord(reply.destination(), () -> KafkaRecords.record(reply, reply.destination(), null, null));
    }

    private CompletionStage<Void> send(String topic, java.util.function.Supplier<ProducerRecord<byte[], byte[]>> record) {
        try {
            ensureTopic(topic);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return sendRecord(topic, record);
    }

    private CompletionStage<Void> sendRecord(String topic, java.util.function.Supplier<ProducerRecord<byte[], byte[]>> record) {
        CompletableFuture<Void> sent = new CompletableFuture<>();
        try {
            producer.send(record.get(), (metadata, error) -> {
                if (error == null) {
                    sent.complete(null);
                } else {
                    sent.completeExceptionally(new MessagingException("Kafka did not take the record for '" + topic
                            + "': " + error.getMessage(), error));
                }
            });
        } catch (KafkaException | IllegalStateException e) { // closed, metadata timeout, too large...
            sent.completeExceptionally(new MessagingException("Cannot send to '" + topic + "' on Kafka at "
                    + redactedUri + ": " + e.getMessage(), e));
        }
        return sent;
    }

    @Override
    public TransportSubscription subscribe(String destination, SubscribeOptions options, InboundHandler handler) {
        for (String key : options.properties().keySet()) {
            if (key.startsWith("kafka.")) {
                throw new ConfigurationException("The Kafka transport has no subscription property " + key
                        + "; consumer settings go on the broker as kafka.consumer.* properties");
            }
        }
        ensureTopic(destination);
        // without a group, a subscriber of its own: a fresh group id gets every message (fan-out)
        String group = options.group().orElse("parley-" + UUID.randomUUID());
        return new KafkaSubscription(destination, group, options.group().isEmpty(), handler,
                consumerProperties(group, "parley-" + id + "-" + destination), settings.connectTimeout,
                settings.commitInterval, redactedUri);
    }

    @Override
    public void close() {
        replies.close();
        producer.close(Duration.ofSeconds(5));
        try {
            admin.deleteTopics(List.of(replyTopic)).all().get(5, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            log.debug("Could not delete the reply topic {}: {}", replyTopic, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        admin.close(Duration.ofSeconds(5));
    }

    /** Reads the reply topic from its end and hands each reply to the core. */
    private final class ReplyReader implements Runnable {
        private final KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(consumerProperties(null, "parley-" + id + "-replies"));
        private final Thread thread = new Thread(this, "parley-kafka-" + id + "-replies");
        private final CountDownLatch positioned = new CountDownLatch(1);
        private volatile boolean running = true;
        private volatile RuntimeException failure;

        ReplyReader() {
            thread.setDaemon(true);
            thread.start();
            try {
                if (!positioned.await(settings.connectTimeout.toMillis(), TimeUnit.MILLISECONDS) || failure != null) {
                    close();
                    throw new ConnectionException("The reply consumer of " + redactedUri + " could not start reading "
                            + replyTopic + " within " + settings.connectTimeout.toMillis() + " ms", failure);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                close();
                throw new ConnectionException("Interrupted while starting the reply consumer", e);
            }
        }

        @Override
        public void run() {
            try {
                TopicPartition partition = new TopicPartition(replyTopic, 0);
                consumer.assign(List.of(partition));
                consumer.seekToEnd(List.of(partition));
                consumer.position(partition, settings.connectTimeout); // the end, fixed before any request leaves
                positioned.countDown();
                while (running) {
                    for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                        context.replies().onReply(KafkaRecords.envelope(record));
                    }
                }
            } catch (WakeupException e) {
                // closing
            } catch (RuntimeException e) {
                failure = e;
                positioned.countDown();
                if (running) {
                    log.error("The reply consumer of {} stopped: {}", redactedUri, e.toString(), e);
                }
            } finally {
                consumer.close(Duration.ofSeconds(2));
            }
        }

        void close() {
            running = false;
            consumer.wakeup();
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
