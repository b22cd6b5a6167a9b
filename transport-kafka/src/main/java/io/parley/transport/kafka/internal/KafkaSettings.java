package io.parley.transport.kafka.internal;

import io.parley.api.TlsOptions;
import io.parley.spi.BrokerAddress;
import io.parley.spi.TransportContext;
import io.parley.spi.TransportSettings;
import io.parley.transport.kafka.KafkaProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.Optional;
import java.util.Set;

/**
 * {@code kafka://host:9092[,host2:9092]} and the {@code kafka.*} properties, checked all at once.
 * Credentials (SASL, TLS key stores) travel as client properties, never in the URI, and are never logged.
 */
final class KafkaSettings {

    private static final Logger log = LoggerFactory.getLogger(KafkaSettings.class);
    /** Client settings that give Kafka's own SSL engine factory its key material: given, they win over BrokerOptions.tls(). */
    private static final Set<String> SSL_KEY_MATERIAL = Set.of("ssl.keystore.location", "ssl.keystore.key",
            "ssl.keystore.certificate.chain", "ssl.truststore.location", "ssl.truststore.certificates",
            "ssl.engine.factory.class");

    /** The broker's default {@code group.consumer.session.timeout.ms}, which rules with {@code group.protocol=consumer}. */
    private static final Duration CONSUMER_PROTOCOL_SESSION_TIMEOUT = Duration.ofSeconds(45);
    private static final Set<String> KEYS = Set.of(KafkaProperties.PARTITIONS, KafkaProperties.REPLICATION_FACTOR,
            KafkaProperties.CREATE_TOPICS, KafkaProperties.CONNECT_TIMEOUT_MS, KafkaProperties.REPLY_TOPIC_PREFIX,
            KafkaProperties.MAX_MESSAGE_BYTES, KafkaProperties.COMMIT_INTERVAL_MS);

    String bootstrap;
    /** The host of the URI, for the sentence that says what failed in a TLS handshake; null for several servers. */
    String host;
    final Map<String, Object> client = new HashMap<>();
    final Map<String, Object> producer = new HashMap<>();
    final Map<String, Object> consumer = new HashMap<>();
    int partitions = 1;
    Optional<Short> replicationFactor = Optional.empty();
    boolean createTopics = true;
    Duration connectTimeout = Duration.ofSeconds(15);
    String replyTopicPrefix = "parley.replies";
    int maxMessageBytes = 8 * 1024 * 1024;
    Duration commitInterval = Duration.ofMillis(200);
    /**
     * The consumers' session timeout: how long a dead group member keeps its partitions, so how long a
     * member joining after a crash may wait. Parley's default (classic protocol) is Kafka's default before
     * 3.0, 10 s, not today's 45 s: a service restarted by its supervisor then subscribes within seconds.
     */
    Duration sessionTimeout = Duration.ofSeconds(10);

    static KafkaSettings from(TransportContext context) {
        KafkaSettings settings = new KafkaSettings();
        List<String> problems = new ArrayList<>();
        settings.readUri(context.uri(), problems);
        settings.readProperties(context.options().properties(), problems);
        context.options().tls().ifPresent(settings::useTls);
        TransportSettings.throwIfAny("Kafka", context.redactedUri(), problems);
        return settings;
    }

    private void readUri(URI uri, List<String> problems) {
        BrokerAddress address = BrokerAddress.read(uri, 9092, "kafka://host:9092 (several: kafka://host1:9092,host2:9092)",
                problems);
        if (address.user().isPresent()) {
            problems.add("credentials do not go in a kafka:// URI; give SASL settings as kafka.client.* properties");
        }
        bootstrap = address.servers().stream().map(BrokerAddress.Server::toString).collect(Collectors.joining(","));
        host = address.servers().size() == 1 ? address.server().host() : null;
        address.noPath("Kafka", problems);
        address.noQuery("use the kafka.* properties", problems);
    }

    private void readProperties(Map<String, String> properties, List<String> problems) {
        TransportSettings.unknownKeys(properties, "kafka.", KEYS, List.of(KafkaProperties.CLIENT_PREFIX,
                KafkaProperties.PRODUCER_PREFIX, KafkaProperties.CONSUMER_PREFIX), "property", "", problems);
        for (Map.Entry<String, String> entry : properties.entrySet()) {
            String key = entry.getKey();
            if (key.startsWith(KafkaProperties.CLIENT_PREFIX)) {
                client.put(key.substring(KafkaProperties.CLIENT_PREFIX.length()), entry.getValue());
            } else if (key.startsWith(KafkaProperties.PRODUCER_PREFIX)) {
                producer.put(key.substring(KafkaProperties.PRODUCER_PREFIX.length()), entry.getValue());
            } else if (key.startsWith(KafkaProperties.CONSUMER_PREFIX)) {
                consumer.put(key.substring(KafkaProperties.CONSUMER_PREFIX.length()), entry.getValue());
            }
        }
        partitions = (int) TransportSettings.number(properties, KafkaProperties.PARTITIONS, partitions, 1, 10_000, problems);
        if (properties.containsKey(KafkaProperties.REPLICATION_FACTOR)) {
            replicationFactor = Optional.of((short) TransportSettings.number(properties, KafkaProperties.REPLICATION_FACTOR, 1, 1, Short.MAX_VALUE, problems));
        }
        createTopics = TransportSettings.flag(properties, KafkaProperties.CREATE_TOPICS, true, problems);
        connectTimeout = Duration.ofMillis(TransportSettings.number(properties, KafkaProperties.CONNECT_TIMEOUT_MS, connectTimeout.toMillis(),
                1, Integer.MAX_VALUE, problems));
        replyTopicPrefix = properties.getOrDefault(KafkaProperties.REPLY_TOPIC_PREFIX, replyTopicPrefix);
        commitInterval = Duration.ofMillis(TransportSettings.number(properties, KafkaProperties.COMMIT_INTERVAL_MS,
                commitInterval.toMillis(), 0, Integer.MAX_VALUE, problems));
        maxMessageBytes = (int) TransportSettings.number(properties, KafkaProperties.MAX_MESSAGE_BYTES, maxMessageBytes, 1024,
                Integer.MAX_VALUE, problems);
        if (consumerProtocol()) {
            sessionTimeout = CONSUMER_PROTOCOL_SESSION_TIMEOUT; // the broker decides; its default
        } else {
            String key = KafkaProperties.CONSUMER_PREFIX + "session.timeout.ms";
            sessionTimeout = Duration.ofMillis(TransportSettings.number(properties, key, sessionTimeout.toMillis(), 1,
                    Integer.MAX_VALUE, problems));
        }
    }

    /**
     * {@code BrokerOptions.tls()} turns TLS on for every client, whatever {@code kafka.client.security.protocol}
     * says (SASL stays SASL, over TLS). Kafka's clients take no {@code SSLContext}, so an engine factory of
     * Parley's gets the options' context through the client configs. Key material given as
     * {@code kafka.client.ssl.*} properties wins: then Kafka's own factory reads it, as without the options.
     */
    private void useTls(TlsOptions tls) {
        String protocol = String.valueOf(client.get("security.protocol")).strip().toUpperCase(Locale.ROOT);
        client.put("security.protocol", protocol.startsWith("SASL_") ? "SASL_SSL" : "SSL");
        List<String> own = SSL_KEY_MATERIAL.stream().filter(client::containsKey).sorted().toList();
        if (!own.isEmpty()) {
            log.warn("TLS for Kafka takes its keys and trust from the properties kafka.client.{}, not from the"
                    + " trust and client certificate of BrokerOptions.tls()", String.join(", kafka.client.", own));
            if (!tls.hostnameVerification()) {
                client.putIfAbsent("ssl.endpoint.identification.algorithm", "");
            }
            return;
        }
        client.put("ssl.engine.factory.class", TlsEngineFactory.class);
        client.put(TlsEngineFactory.OPTIONS, tls);
    }

    /** Whether the clients speak TLS (security.protocol SSL or SASL_SSL, from the options or the properties). */
    boolean tls() {
        String protocol = String.valueOf(client.get("security.protocol")).strip().toUpperCase(Locale.ROOT);
        return protocol.equals("SSL") || protocol.equals("SASL_SSL");
    }

    /** Whether the consumers use the new group protocol (KIP-848), chosen with kafka.consumer.group.protocol=consumer. */
    boolean consumerProtocol() {
        return "consumer".equalsIgnoreCase(String.valueOf(consumer.get("group.protocol")).strip());
    }

    /**
     * How long {@code subscribe} waits for its partitions: a dead member of the group (a crashed process
     * restarted at once) holds them until its session expires, then the group rebalances.
     */
    Duration subscribeTimeout() {
        return sessionTimeout.plus(connectTimeout);
    }
}
