package io.parley.transport.kafka;

/**
 * Names of the Kafka transport's {@code BrokerOptions} properties. Every value is a string; times are
 * milliseconds. README.md of this module lists the defaults.
 */
public final class KafkaProperties {

    /** Prefix of Kafka client settings given to every client (producer, consumers, admin): {@code kafka.client.security.protocol=SASL_SSL}. */
    public static final String CLIENT_PREFIX = "kafka.client.";
    /** Prefix of settings for the producer only: {@code kafka.producer.compression.type=lz4}. */
    public static final String PRODUCER_PREFIX = "kafka.producer.";
    /** Prefix of settings for the consumers only: {@code kafka.consumer.auto.offset.reset=earliest}. */
    public static final String CONSUMER_PREFIX = "kafka.consumer.";
    /** Partitions of the topics Parley creates when missing; default 1. */
    public static final String PARTITIONS = "kafka.partitions";
    /** Replication factor of the topics Parley creates; default the broker's default. */
    public static final String REPLICATION_FACTOR = "kafka.replication-factor";
    /** {@code false}: never create topics (they must exist); default true. */
    public static final String CREATE_TOPICS = "kafka.create-topics";
    /**
     * How long opening or a topic creation may take, and how long a send waits for the broker (the topic's
     * metadata, room in the producer's buffer) on its send lane before it fails; default 15000.
     * A subscription waits for its partitions up to the consumers' session timeout (10000 by default,
     * {@code kafka.consumer.session.timeout.ms}) plus this: a crashed member of its group holds them until
     * its session expires.
     */
    public static final String CONNECT_TIMEOUT_MS = "kafka.connect-timeout-ms";
    /**
     * Largest record Parley sends and allows on the topics it creates (their {@code max.message.bytes},
     * the producer's {@code max.request.size}); default 8388608 (8 MiB).
     */
    public static final String MAX_MESSAGE_BYTES = "kafka.max-message-bytes";
    /**
     * How often a subscription commits the offsets of finished records; default 200. Shorter redelivers
     * less after a crash, longer costs the broker fewer commit requests.
     */
    public static final String COMMIT_INTERVAL_MS = "kafka.commit-interval-ms";
    /** Prefix of this connection's reply topic, {@code <prefix>.<random>}; default {@code parley.replies}. */
    public static final String REPLY_TOPIC_PREFIX = "kafka.reply-topic-prefix";

    private KafkaProperties() {
    }
}
