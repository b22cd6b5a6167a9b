package io.parley.transport.mqtt.internal;

import io.parley.api.BrokerOptions;
import io.parley.api.ConfigurationException;
import io.parley.api.SubscribeOptions;
import io.parley.spi.BrokerAddress;
import io.parley.spi.TransportSettings;
import io.parley.transport.mqtt.MqttProperties;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** What an {@code mqtt://} or {@code mqtts://} URI and the {@code mqtt.*} properties say, read once. */
record MqttSettings(List<BrokerAddress.Server> servers, boolean tls, Optional<String> user, Optional<String> password,
                    int qos, Duration connectTimeout, int keepAliveSeconds, String replyTopicPrefix, int maxInFlight,
                    int subscriptionBuffer, Duration reconnectMaxDelay) {

    static final int PLAIN_PORT = 1883;
    static final int TLS_PORT = 8883;
    private static final String EXAMPLE = "mqtt://host:1883 or mqtts://user:password@host:8883";
    private static final Set<String> KNOWN = Set.of(MqttProperties.QOS, MqttProperties.CONNECT_TIMEOUT_MS,
            MqttProperties.KEEP_ALIVE_S, MqttProperties.REPLY_TOPIC_PREFIX, MqttProperties.MAX_IN_FLIGHT,
            MqttProperties.SUBSCRIPTION_BUFFER, MqttProperties.RECONNECT_MAX_DELAY_MS);
    private static final Set<String> KNOWN_PER_SUBSCRIPTION = Set.of(MqttProperties.QOS);

    /** Reads everything, and throws one {@link ConfigurationException} listing every problem. */
    static MqttSettings read(URI uri, String redactedUri, BrokerOptions options) {
        List<String> problems = new ArrayList<>();
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        boolean tlsScheme = scheme.equals("mqtts");
        if (!tlsScheme && !scheme.equals("mqtt")) {
            problems.add("the scheme must be mqtt or mqtts, not '" + scheme + "'");
        }
        BrokerAddress address = BrokerAddress.read(uri, tlsScheme ? TLS_PORT : PLAIN_PORT, EXAMPLE, problems);
        address.noPath("MQTT", problems);
        address.noQuery("give settings as BrokerOptions properties (" + MqttProperties.QOS + ", ...)", problems);
        Map<String, String> properties = options.properties();
        TransportSettings.unknownKeys(properties, "mqtt.", KNOWN, List.of(), "property", "", problems);
        int qos = (int) TransportSettings.number(properties, MqttProperties.QOS, 1, 0, 2, problems);
        long connectMs = TransportSettings.number(properties, MqttProperties.CONNECT_TIMEOUT_MS, 10_000, 100,
                600_000, problems);
        int keepAlive = (int) TransportSettings.number(properties, MqttProperties.KEEP_ALIVE_S, 30, 0, 65_535, problems);
        String prefix = properties.getOrDefault(MqttProperties.REPLY_TOPIC_PREFIX, "parley/reply/");
        if (prefix.isEmpty() || prefix.indexOf('+') >= 0 || prefix.indexOf('#') >= 0 || prefix.startsWith("$")
                || prefix.indexOf('\u0000') >= 0) {
            problems.add(MqttProperties.REPLY_TOPIC_PREFIX + " must be the start of a topic name without wildcards"
                    + " ('+', '#') that does not start with '$', not '" + prefix + "'");
        }
        int maxInFlight = (int) TransportSettings.number(properties, MqttProperties.MAX_IN_FLIGHT, 0, 1, 65_535,
                problems);
        int buffer = (int) TransportSettings.number(properties, MqttProperties.SUBSCRIPTION_BUFFER, 10_000, 1,
                10_000_000, problems);
        long reconnectMs = TransportSettings.number(properties, MqttProperties.RECONNECT_MAX_DELAY_MS, 1_000, 10,
                600_000, problems);
        TransportSettings.throwIfAny("MQTT", redactedUri, problems);
        return new MqttSettings(address.servers(), tlsScheme || options.tls().isPresent(), address.user(),
                address.password(), qos, Duration.ofMillis(connectMs), keepAlive, prefix, maxInFlight, buffer,
                Duration.ofMillis(reconnectMs));
    }

    /** The QoS of one subscription: its own {@code mqtt.qos}, else the connection's. */
    int subscriptionQos(SubscribeOptions options) {
        List<String> problems = new ArrayList<>();
        Map<String, String> properties = options.properties();
        TransportSettings.unknownKeys(properties, "mqtt.", KNOWN_PER_SUBSCRIPTION, List.of(), "subscription property",
                "connection settings go in BrokerOptions", problems);
        int subscriptionQos = (int) TransportSettings.number(properties, MqttProperties.QOS, qos, 0, 2, problems);
        if (!problems.isEmpty()) {
            throw ConfigurationException.of("MQTT subscription properties", problems);
        }
        return subscriptionQos;
    }

    /** Paho's URIs of the servers, in the URI's order. */
    String[] pahoUris() {
        return servers.stream().map(server -> (tls ? "ssl://" : "tcp://") + server).toArray(String[]::new);
    }

    /** Never shows the password. */
    @Override
    public String toString() {
        return "MqttSettings[servers=" + servers + ", tls=" + tls + ", user=" + user.isPresent() + ", qos=" + qos + "]";
    }
}
