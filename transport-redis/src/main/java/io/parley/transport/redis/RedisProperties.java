package io.parley.transport.redis;

/**
 * Names of the Redis transport's settings, given as {@link io.parley.api.BrokerOptions#properties()}.
 * Every value is a string; the README lists defaults and meanings. An unknown {@code redis.*}
 * property is a {@link io.parley.api.ConfigurationException}, so that a typo does not go unnoticed.
 */
public final class RedisProperties {

    /** Envelope written: {@code faststream-binary} (default), {@code faststream-json} or {@code propan-json}. */
    public static final String ENVELOPE = "redis.envelope";
    /** Most pooled command connections (publish, push, add, ack, claim): default 32. */
    public static final String POOL_SIZE = "redis.pool-size";
    /**
     * Threads that send (publish, request, reply) so that no caller waits on Redis: default 4. A
     * destination's messages all go through one of them, in order.
     */
    public static final String SEND_LANES = "redis.send-lanes";
    /** Sends that may wait on one send thread while Redis is slow or away; beyond it a send fails at once: default 10000. */
    public static final String SEND_QUEUE = "redis.send-queue";
    /** Connect and command timeout in milliseconds: default 2000. */
    public static final String TIMEOUT_MS = "redis.timeout-ms";
    /** Longest pause between reconnection attempts of a subscription, in milliseconds: default 2000. */
    public static final String RECONNECT_MAX_BACKOFF_MS = "redis.reconnect-max-backoff-ms";
    /** How often subscribed connections are PINGed; three unanswered intervals break the connection: default 5000. */
    public static final String KEEPALIVE_MS = "redis.keepalive-ms";
    /** How long a group member's claim on a channel message lives, in milliseconds: default 60000. */
    public static final String CHANNEL_CLAIM_TTL_MS = "redis.channel.claim-ttl-ms";
    /** Idle time after which a stream entry another consumer read but never acknowledged is claimed: default 20000. */
    public static final String STREAM_CLAIM_IDLE_MS = "redis.stream.claim-idle-ms";
    /** Approximate maximum length a stream is trimmed to on each add; 0 (default) never trims. */
    public static final String STREAM_MAXLEN = "redis.stream.maxlen";

    private RedisProperties() {
    }
}
