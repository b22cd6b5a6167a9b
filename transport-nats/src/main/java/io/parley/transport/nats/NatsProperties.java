package io.parley.transport.nats;

/**
 * Names of the NATS transport's {@code BrokerOptions} properties. Every value is a string; times are
 * milliseconds. README.md of this module lists the defaults.
 */
public final class NatsProperties {

    /** User name, instead of (or overriding) the one in the URI. */
    public static final String USER = "nats.user";
    /** Password for {@link #USER}. */
    public static final String PASSWORD = "nats.password";
    /** Authentication token, instead of user and password. */
    public static final String TOKEN = "nats.token";
    /** Connection name shown by the server's monitoring ({@code connz}); default {@code parley}. */
    public static final String CONNECTION_NAME = "nats.connection-name";
    /** How long the first connect, and each flush that confirms a subscription, may take; default 5000. */
    public static final String CONNECT_TIMEOUT_MS = "nats.connect-timeout-ms";
    /** Wait between reconnect attempts; default 250. */
    public static final String RECONNECT_WAIT_MS = "nats.reconnect-wait-ms";
    /** Reconnect attempts per server after a connection loss; -1 (default) for no limit. */
    public static final String MAX_RECONNECTS = "nats.max-reconnects";
    /** Bytes of outgoing messages buffered while reconnecting; default 8388608 (8 MiB). */
    public static final String RECONNECT_BUFFER_BYTES = "nats.reconnect-buffer-bytes";

    private NatsProperties() {
    }
}
