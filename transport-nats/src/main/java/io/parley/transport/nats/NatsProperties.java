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
    /**
     * Path of a credentials file ({@code .creds}: a user JWT and its NKey seed, as {@code nsc} writes
     * it), read at every connect and reconnect, instead of a user, password or token.
     */
    public static final String CREDENTIALS = "nats.credentials";
    /**
     * Path of a file that holds a user's NKey seed ({@code SU...}, bare or as {@code nsc} armours it):
     * NKey authentication, or JWT authentication with {@link #JWT}; read when the broker connects.
     */
    public static final String NKEY = "nats.nkey";
    /** Path of a file that holds a user JWT, for JWT authentication with the seed of {@link #NKEY}; read when the broker connects. */
    public static final String JWT = "nats.jwt";
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
