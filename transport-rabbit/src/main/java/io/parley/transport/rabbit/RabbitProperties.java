package io.parley.transport.rabbit;

/**
 * Names of the RabbitMQ transport's properties: {@code BROKER_*} go in {@code BrokerOptions.property},
 * {@code QUEUE_*} in {@code SubscribeOptions.Builder.property}. Every value is a string; times are
 * milliseconds. README.md of this module lists the defaults.
 */
public final class RabbitProperties {

    /** {@code direct} (default): direct reply-to, at most once; {@code queue}: a reply queue of this connection. */
    public static final String REPLY_MODE = "rabbit.reply-mode";
    /** Channels that send (each with its own reply consumer); default 4. */
    public static final String CHANNELS = "rabbit.channels";
    /**
     * {@code true} (default): a publish completes when the broker confirmed it, and fails when RabbitMQ
     * returned it unroutable or nacked it; {@code false}: once it is written to the connection.
     */
    public static final String PUBLISHER_CONFIRMS = "rabbit.publisher-confirms";
    /**
     * {@code true} (default): published messages are persistent (delivery mode 2), so a durable queue
     * keeps them over a broker restart. Requests and replies are always transient: they are worthless
     * after their timeout.
     */
    public static final String PERSISTENT = "rabbit.persistent";
    /**
     * Exchange that messages and requests are published to, routing key = destination; default the
     * default exchange (""), where a destination is a queue. With a named exchange (it must exist,
     * e.g. {@code amq.topic}), each subscription binds a queue of its own group to it.
     */
    public static final String EXCHANGE = "rabbit.exchange";
    /** Wait between recovery attempts after a connection loss; default 1000. */
    public static final String RECOVERY_INTERVAL_MS = "rabbit.recovery-interval-ms";
    /**
     * How long the first connect, and every operation that waits for the broker's answer (opening a
     * channel, declaring a queue in {@code subscribe}), may take; default 10000.
     */
    public static final String CONNECT_TIMEOUT_MS = "rabbit.connect-timeout-ms";
    /**
     * The largest body sent, in bytes; default 134217728 (128 MiB, RabbitMQ 3.x's {@code max_message_size}).
     * A larger body fails its send at once, before RabbitMQ would close the channel for it; set it to
     * the broker's {@code max_message_size} (RabbitMQ 4 defaults to 16 MiB). Bodies are received up to
     * 512 MiB, the most any broker takes.
     */
    public static final String MAX_MESSAGE_SIZE = "rabbit.max-message-size";
    /**
     * Sends that may wait for the broker on each send channel (they wait on a thread of the transport,
     * never on the caller's); beyond it a send fails at once. Default 10000.
     */
    public static final String SEND_BUFFER = "rabbit.send-buffer";
    /** Connection name shown in the management UI; default {@code parley}. */
    public static final String CONNECTION_NAME = "rabbit.connection-name";

    /**
     * Subscription: declare the queue durable, so that it and its persistent messages survive a broker
     * restart; default true.
     */
    public static final String QUEUE_DURABLE = "rabbit.queue.durable";
    /**
     * Subscription: delete the queue when its last consumer leaves (and with it every message that
     * arrives while no member runs); default false.
     */
    public static final String QUEUE_AUTO_DELETE = "rabbit.queue.auto-delete";
    /** Subscription: exclusive to this connection; default false. */
    public static final String QUEUE_EXCLUSIVE = "rabbit.queue.exclusive";
    /** Subscription: {@code false} to consume a queue that exists without declaring it; default true. */
    public static final String QUEUE_DECLARE = "rabbit.queue.declare";
    /** Subscription: prefix of queue arguments, e.g. {@code rabbit.queue.argument.x-dead-letter-exchange}. */
    public static final String QUEUE_ARGUMENT_PREFIX = "rabbit.queue.argument.";
    /** Subscription, with {@link #EXCHANGE} set: the binding key (topic patterns work); default the destination. */
    public static final String QUEUE_BINDING_KEY = "rabbit.queue.binding-key";
    /** Subscription: unacknowledged messages the broker hands out; default the subscription's concurrency. */
    public static final String QUEUE_PREFETCH = "rabbit.queue.prefetch";

    private RabbitProperties() {
    }
}
