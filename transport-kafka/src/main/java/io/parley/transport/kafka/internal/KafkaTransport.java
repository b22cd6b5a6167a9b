package io.parley.transport.kafka.internal;

import io.parley.api.ConfigurationException;
import io.parley.api.ConnectionException;
import io.parley.api.MessagingException;
import io.parley.api.SubscribeOptions;
import io.parley.spi.Envelope;
import io.parley.spi.InboundHandler;
import io.parley.spi.SendLanes;
import io.parley.spi.TlsSupport;
import io.parley.spi.Transport;
import io.parley.spi.TransportContext;
import io.parley.spi.TransportSubscription;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One producer (linger.ms=0: a request/reply has two produce hops and Kafka 4's default 5 ms linger
 * would add to both), one admin client, and a reply topic of this connection,
 * {@code parley.replies.<random>} with one partition, read by a consumer that is assigned the
 * partition directly (no group, so no rebalance) and positioned at its end before the first request
 * can be sent: no reply is missed. A topic per connection needs no partition bookkeeping between
 * requesters and survives a broker restart (replies wait in the topic); it costs a topic per
 * connection, deleted at close.
 *
 * <p>A caller of Parley never waits on the broker, and {@code producer.send} would block its caller for
 * topic metadata or buffer space while the broker is away (kafka-clients 4 even forgets the metadata
 * of every topic when it cannot reach any broker, to bootstrap again). So the producer runs with
 * {@code max.block.ms=0}: {@code send} then never waits, and reports at once, synchronously, when it
 * would have had to. Such a send, and one to a topic that must be created first, goes to
 * {@link SendLanes}, keyed by topic, whose thread waits (up to {@code kafka.connect-timeout-ms}) for
 * the metadata or the room, and the sends of that topic queue behind it. Every other send leaves from
 * the caller's thread: no hand-off, and a burst is taken at the producer's speed. Either way one
 * topic's records keep their order, so the replies to one request do too.
 */
final class KafkaTransport implements Transport {

    private static final Logger log = LoggerFactory.getLogger(KafkaTransport.class);
    private static final AtomicInteger CONNECTIONS = new AtomicInteger();
    /** Threads that make the sends: a topic whose sends block holds back only the topics of its lane. */
    private static final int SEND_LANES = 4;
    /** Sends that may wait on one lane: beyond that the broker does not keep up, and a send fails at once. */
    private static final int SEND_QUEUE = 16_384;
    /**
     * After a send to a topic waited for the broker and failed (topic creation or metadata timed out),
     * the sends queued behind it for that topic fail at once during this time instead of each waiting as long.
     */
    private static final long UNAVAILABLE_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** The code of the error reply that stands for a reply that could not be read (a bad gateway's, as on NATS). */

    private final TransportContext context;
    private final String redactedUri;
    private final KafkaSettings settings;
    private final int id = CONNECTIONS.incrementAndGet();
    private final Admin admin;
    private final KafkaProducer<byte[], byte[]> producer;
    private final SendLanes lanes;
    private final String replyTopic;
    private final Set<String> knownTopics = ConcurrentHashMap.newKeySet();
    private final Map<String, Unavailable> unavailable = new ConcurrentHashMap<>();
    /** Per topic, the sends waiting on its lane (absent: none); the topic's next sends queue behind them. */
    private final Map<String, Integer> onLane = new ConcurrentHashMap<>();
    private final ReplyReader replies;

    private record Unavailable(long untilNanos, MessagingException failure) {
    }

    KafkaTransport(TransportContext context) {
        this.context = context;
        this.redactedUri = context.redactedUri();
        this.settings = KafkaSettings.from(context);
        this.admin = client(() -> Admin.create(adminProperties()));
        try {
            admin.describeCluster().nodes().get(settings.connectTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            admin.close(Duration.ZERO);
            throw connectFailure(e instanceof ExecutionException ? e.getCause() : e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            admin.close(Duration.ZERO);
            throw new ConnectionException("Interrupted while connecting to Kafka at " + redactedUri, e);
        }
        this.replyTopic = settings.replyTopicPrefix + "." + UUID.randomUUID();
        KafkaProducer<byte[], byte[]> created = null;
        try {
            created = client(() -> new KafkaProducer<>(producerProperties()));
            this.producer = created;
            createTopic(replyTopic, 1, Map.of("retention.ms", "3600000"));
            this.replies = new ReplyReader();
        } catch (RuntimeException e) {
            if (created != null) {
                created.close(Duration.ZERO);
            }
            admin.close(Duration.ZERO);
            throw e;
        }
        this.lanes = new SendLanes("parley-kafka-" + id + "-send", SEND_LANES, SEND_QUEUE);
    }

    /** A client the Kafka library refused to build is a configuration problem (kafka.client.* and the like). */
    private <T> T client(java.util.function.Supplier<T> create) {
        try {
            return create.get();
        } catch (KafkaException | IllegalArgumentException e) {
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            String message = String.valueOf(root.getMessage());
            boolean jaas = message.contains("JAAS"); // its parser quotes tokens of sasl.jaas.config, which holds the password
            message = "The Kafka client for " + redactedUri + " refused its settings: "
                    + (jaas ? message.replaceAll("'[^']*'", "'***'") : message)
                    + " (check the kafka.client.*, kafka.producer.* and kafka.consumer.* properties)";
            throw jaas ? new ConfigurationException(message) : new ConfigurationException(message, e);
        }
    }

    private ConnectionException connectFailure(Throwable cause) {
        // a failed TLS handshake is an SslAuthenticationException (fatal, so at once); say what failed in it
        Optional<ConnectionException> tls = TlsSupport.connectionFailure(cause, settings.host, redactedUri);
        if (tls.isPresent()) {
            return tls.get();
        }
        if (cause instanceof SslAuthenticationException) {
            return new ConnectionException("Cannot connect to " + redactedUri + ": TLS: the handshake with the broker"
                    + " failed (" + cause.getMessage() + ")", cause);
        }
        if (cause instanceof AuthenticationException) {
            return new ConnectionException("Kafka at " + redactedUri + " refused the login: " + cause.getMessage()
                    + "; check the user and password (kafka.client.sasl.jaas.config), kafka.client.sasl.mechanism and"
                    + " kafka.client.security.protocol", cause);
        }
        return new ConnectionException("Cannot reach Kafka at " + redactedUri + (settings.tls() ? " over TLS" : "")
                + " within " + settings.connectTimeout.toMillis() + " ms; check that the broker runs"
                // a plain listener closes a TLS connection without a word, and the client retries until its timeout
                + (settings.tls() ? ", that this port is its SSL listener," : "") + " and the kafka.client.*"
                + " security settings", cause);
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
        properties.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, settings.maxMessageBytes);
        properties.putAll(settings.producer);
        properties.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 0); // send never waits: the lanes do (see the class comment)
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
            // classic: the session timeout is the client's to choose (the consumer protocol takes the broker's, 45 s)
            properties.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
            if (!settings.consumerProtocol()) {
                properties.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) settings.sessionTimeout.toMillis());
                properties.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG,
                        (int) Math.min(3_000, settings.sessionTimeout.toMillis() / 3));
            }
        }
        properties.putAll(settings.consumer);
        properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        return properties;
    }

    /** Creates {@code topic} unless known or disabled; waits for the broker (on a send lane, or in subscribe). */
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
            if (e.getCause() instanceof AuthenticationException) {
                throw connectFailure(e.getCause());
            }
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
        String topic = message.destination();
        return send(topic, true, KafkaRecords.record(message, topic, null, message.replyTo()));
    }

    @Override
    public CompletionStage<Void> request(Envelope request) {
        String topic = request.destination();
        return send(topic, true, KafkaRecords.record(request, topic, null, replyTopic));
    }

    @Override
    public CompletionStage<Void> reply(Envelope request, Envelope reply) {
        String topic = reply.destination();
        if (request.nativeMessage() instanceof ConsumerRecord<?, ?> record) {
            Header springTopic = record.headers().lastHeader(KafkaRecords.SPRING_REPLY_TOPIC);
            if (springTopic != null && topic.equals(KafkaRecords.text(springTopic.value()))) {
                // a Spring ReplyingKafkaTemplate: its partition if it named one, its correlation bytes echoed
                Integer partition = KafkaRecords.replyPartition(record.headers().lastHeader(KafkaRecords.SPRING_REPLY_PARTITION));
                Header correlation = record.headers().lastHeader(KafkaRecords.SPRING_CORRELATION_ID);
                ProducerRecord<byte[], byte[]> out = KafkaRecords.record(reply, topic, partition, null);
                if (correlation != null && correlation.value() != null) {
                    out.headers().add(KafkaRecords.SPRING_CORRELATION_ID, correlation.value());
                }
                return send(topic, false, out);
            }
        }
        // reply topics belong to their requesters: never created here
        return send(topic, false, KafkaRecords.record(reply, topic, null, null));
    }

    /**
     * Sends from the caller's thread when the producer can take the record at once, else hands it to its
     * topic's lane; returns at once either way. The stage completes when Kafka acknowledged the record.
     */
    private CompletableFuture<Void> send(String topic, boolean create, ProducerRecord<byte[], byte[]> record) {
        long size = KafkaRecords.size(record);
        if (size > settings.maxMessageBytes) { // refused here, at once, rather than by the producer
            return CompletableFuture.failedFuture(new MessagingException("A record of " + size + " bytes for '" + topic
                    + "' is over kafka.max-message-bytes (" + settings.maxMessageBytes + " bytes): it was not sent; send a"
                    + " smaller body, or raise kafka.max-message-bytes (the producer's max.request.size and the"
                    + " max.message.bytes of the topics Parley creates; existing topics keep theirs)"));
        }
        boolean needsTopic = create && settings.createTopics && !knownTopics.contains(topic);
        if (!needsTopic && !onLane.containsKey(topic)) { // nothing of this topic waits: it may not overtake anything
            CompletableFuture<Void> sent = produce(topic, record);
            if (sent != null) {
                return sent;
            }
        }
        onLane.merge(topic, 1, Integer::sum); // from here, the topic's sends queue behind this one
        AtomicBoolean ran = new AtomicBoolean();
        CompletableFuture<CompletableFuture<Void>> queued = lanes.submit(topic, () -> {
            ran.set(true);
            try {
                return sendWaiting(topic, create, record);
            } finally {
                leftLane(topic);
            }
        });
        if (queued.isCompletedExceptionally() && !ran.get()) { // refused: the lane is full, or closed
            leftLane(topic);
        }
        return queued.thenCompose(sent -> sent);
    }

    private void leftLane(String topic) {
        onLane.computeIfPresent(topic, (key, count) -> count == 1 ? null : count - 1);
    }

    /**
     * On a lane thread: creates the topic if needed, then waits (up to kafka.connect-timeout-ms) until the
     * producer takes the record, which needs the topic's metadata and room in its buffer.
     */
    private CompletableFuture<Void> sendWaiting(String topic, boolean create, ProducerRecord<byte[], byte[]> record) {
        Unavailable recent = unavailable.get(topic);
        if (recent != null) {
            if (System.nanoTime() - recent.untilNanos < 0) {
                return CompletableFuture.failedFuture(new MessagingException(recent.failure.getMessage(), recent.failure.getCause()));
            }
            unavailable.remove(topic, recent);
        }
        long deadline = System.nanoTime() + settings.connectTimeout.toNanos();
        try {
            if (create) {
                ensureTopic(topic);
            }
            long pauseMillis = 2;
            while (true) {
                if (record.partition() != null) {
                    Integer partitions = partitionsOf(topic);
                    if (partitions != null && record.partition() >= partitions) {
                        return CompletableFuture.failedFuture(new MessagingException("The reply names partition "
                                + record.partition() + " of topic '" + topic + "', which has " + partitions
                                + " partition(s): it was not sent"));
                    }
                }
                CompletableFuture<Void> sent = produce(topic, record);
                if (sent != null) {
                    return sent;
                }
                if (System.nanoTime() - deadline > 0) {
                    return CompletableFuture.failedFuture(unavailable(topic, new MessagingException("Kafka at "
                            + redactedUri + " gave no metadata for topic '" + topic + "', or the producer no room for the"
                            + " record, within " + settings.connectTimeout.toMillis() + " ms: it was not sent (is the"
                            + " broker reachable, does the topic exist?)")));
                }
                Thread.sleep(pauseMillis); // the producer fetches the metadata meanwhile; a retry back-off, not a synchronisation
                pauseMillis = Math.min(100, pauseMillis * 2);
            }
        } catch (ConnectionException e) {
            return CompletableFuture.failedFuture(unavailable(topic, e));
        } catch (KafkaException e) { // refused metadata (authorisation), closed producer...
            return CompletableFuture.failedFuture(sendFailure(topic, e));
        } catch (InterruptedException e) { // the transport closes
            Thread.currentThread().interrupt();
            return CompletableFuture.failedFuture(new MessagingException("The transport closed before the record for '"
                    + topic + "' could be sent", e));
        }
    }

    /** The topic's partition count if the producer knows it now, else {@code null} (it is fetched meanwhile). */
    private Integer partitionsOf(String topic) {
        try {
            return producer.partitionsFor(topic).size();
        } catch (org.apache.kafka.common.errors.TimeoutException notYet) {
            return null;
        }
    }

    /**
     * {@code producer.send}, which never waits ({@code max.block.ms=0}): {@code null} when the producer
     * could not take the record at once (no metadata for the topic yet, or a full buffer).
     */
    private CompletableFuture<Void> produce(String topic, ProducerRecord<byte[], byte[]> record) {
        CompletableFuture<Void> sent = new CompletableFuture<>();
        AtomicBoolean returned = new AtomicBoolean();
        AtomicBoolean wouldWait = new AtomicBoolean();
        try {
            producer.send(record, (metadata, error) -> {
                if (error == null) {
                    sent.complete(null);
                } else if (!returned.get() && error instanceof org.apache.kafka.common.errors.TimeoutException) {
                    wouldWait.set(true); // reported during send(): it would have had to wait (metadata, buffer)
                } else {
                    sent.completeExceptionally(sendFailure(topic, error));
                }
            });
        } catch (KafkaException | IllegalStateException e) { // closed, interrupted...
            sent.completeExceptionally(sendFailure(topic, e));
        }
        returned.set(true);
        return wouldWait.get() ? null : sent;
    }

    private MessagingException unavailable(String topic, MessagingException failure) {
        unavailable.put(topic, new Unavailable(System.nanoTime() + UNAVAILABLE_NANOS, failure));
        return failure;
    }

    private MessagingException sendFailure(String topic, Throwable error) {
        if (error instanceof AuthenticationException) {
            return connectFailure(error);
        }
        return new MessagingException("Kafka at " + redactedUri + " did not take the record for '" + topic + "': "
                + error.getMessage(), error);
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
        return client(() -> new KafkaSubscription(destination, group, options.group().isEmpty(), handler,
                consumerProperties(group, "parley-" + id + "-" + destination), settings.subscribeTimeout(),
                settings.connectTimeout, settings.commitInterval, redactedUri));
    }

    @Override
    public void close() {
        lanes.close(Duration.ofSeconds(5)); // the sends handed over before close leave first
        producer.close(Duration.ofSeconds(5));
        replies.close();
        try {
            admin.deleteTopics(List.of(replyTopic)).all().get(2, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            log.debug("Could not delete the reply topic {}: {}", replyTopic, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        admin.close(Duration.ofSeconds(2));
    }

    /** Reads the reply topic from its end and hands each reply to the core. */
    private final class ReplyReader implements Runnable {
        private final KafkaConsumer<byte[], byte[]> consumer =
                client(() -> new KafkaConsumer<>(consumerProperties(null, "parley-" + id + "-replies")));
        private final Thread thread = new Thread(this, "parley-kafka-" + id + "-replies");
        private final CountDownLatch positioned = new CountDownLatch(1);
        private final PollRetry retry = new PollRetry(log, "Reading the replies of " + redactedUri);
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
                try {
                    consumer.assign(List.of(partition));
                    consumer.seekToEnd(List.of(partition));
                    consumer.position(partition, settings.connectTimeout); // the end, fixed before any request leaves
                } catch (WakeupException e) {
                    throw e;
                } catch (RuntimeException e) {
                    failure = e;
                    return;
                } finally {
                    positioned.countDown();
                }
                while (running) {
                    try {
                        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                            deliver(record);
                        }
                        retry.succeeded();
                    } catch (WakeupException e) {
                        throw e;
                    } catch (RuntimeException e) { // the broker is away, or refuses: replies wait in the topic
                        if (!running || !retry.failed(e)) {
                            return;
                        }
                    }
                }
            } catch (WakeupException e) {
                // closing
            } finally {
                consumer.close(CloseOptions.timeout(Duration.ofSeconds(2)));
            }
        }

        private void deliver(ConsumerRecord<byte[], byte[]> record) {
            // an unreadable reply keeps its problem: the core fails its request at once (code 502)
            context.replies().onReply(KafkaRecords.envelope(record));
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
