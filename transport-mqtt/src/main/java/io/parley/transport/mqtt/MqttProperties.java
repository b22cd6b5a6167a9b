package io.parley.transport.mqtt;

/**
 * The MQTT transport's settings, given as {@link io.parley.api.BrokerOptions.Builder#property(String, String)}
 * (and, for {@link #QOS}, also per subscription with
 * {@link io.parley.api.SubscribeOptions.Builder#property(String, String)}). A misspelt key under
 * {@code mqtt.} is a {@link io.parley.api.ConfigurationException}; keys of other transports are ignored.
 */
public final class MqttProperties {

    /** Quality of service of what this connection publishes and subscribes: 0, 1 (default) or 2. */
    public static final String QOS = "mqtt.qos";

    /** How long {@code Broker.connect} waits for the broker's CONNACK, in milliseconds (10000). */
    public static final String CONNECT_TIMEOUT_MS = "mqtt.connect-timeout-ms";

    /** MQTT keep-alive in seconds (30): a broker that stops answering is detected within 1.5 times it. */
    public static final String KEEP_ALIVE_S = "mqtt.keep-alive-s";

    /**
     * Start of the connection's reply topic, to which the client id is added ({@code parley/reply/}):
     * requests carry it as their MQTT 5 Response Topic. Change it when the broker's ACLs want another tree.
     */
    public static final String REPLY_TOPIC_PREFIX = "mqtt.reply-topic-prefix";

    /**
     * Most QoS 1 and 2 publishes of this connection waiting for the broker's acknowledgement (default:
     * the broker's Receive Maximum, Mosquitto's {@code max_inflight_messages}, 20 by default). Further
     * publishes wait in the transport's send queue, never fail for it.
     */
    public static final String MAX_IN_FLIGHT = "mqtt.max-in-flight";

    /** Messages received for one subscription and not yet handed to its handler (10000). */
    public static final String SUBSCRIPTION_BUFFER = "mqtt.subscription-buffer";

    /** Longest pause between two reconnect attempts after the connection was lost, in milliseconds (1000). */
    public static final String RECONNECT_MAX_DELAY_MS = "mqtt.reconnect-max-delay-ms";

    private MqttProperties() {
    }
}
