package io.parley.api;

import io.parley.internal.DefaultBroker;

import java.util.concurrent.CompletableFuture;

/**
 * A connection to a message broker: subscribe handlers, publish messages, make requests.
 *
 * <pre>{@code
 * try (Broker broker = Broker.connect("memory://")) {
 *     broker.subscribe("greet", String.class, name -> "Hello, " + name);
 *     Optional<Message> reply = broker.rpc().request("greet", "Ada");
 * }
 * }</pre>
 *
 * The transport is found at run time from the URI scheme ({@code memory://}, {@code nats://},
 * {@code amqp://}, {@code redis://}, {@code kafka://}) among the transport jars on the class path,
 * or named with {@link BrokerOptions.Builder#transport(String)} or the system property
 * {@value BrokerOptions#TRANSPORT_PROPERTY}. Thread-safe.
 */
public interface Broker extends AutoCloseable {

    /**
     * Connects with default options.
     *
     * @throws TransportNotFoundException   no transport handles the scheme
     * @throws AmbiguousTransportException  several transports claim it
     * @throws ConnectionException          the broker cannot be reached
     */
    static Broker connect(String uri) {
        return connect(uri, BrokerOptions.defaults());
    }

    /** Connects with the given options; see {@link #connect(String)}. */
    static Broker connect(String uri, BrokerOptions options) {
        return DefaultBroker.connect(uri, options);
    }

    /**
     * Subscribes a handler to a destination. Each message's body is decoded into {@code type}
     * ({@link Message} gives the whole message); when the message carries a reply-to, the handler's
     * return value is sent back with the correlation id copied (see {@link Handler}).
     */
    default <T> Subscriber subscribe(String destination, Class<T> type, Handler<? super T> handler) {
        return subscribe(destination, type, SubscribeOptions.defaults(), handler);
    }

    <T> Subscriber subscribe(String destination, Class<T> type, SubscribeOptions options, Handler<? super T> handler);

    /** Publishes a message, fire and forget; the future completes when the transport has sent it. */
    default CompletableFuture<Void> publish(String destination, Object body) {
        return publish(destination, body, PublishOptions.defaults());
    }

    /** Publishes with headers, correlation id or reply-to (the non-blocking request). */
    CompletableFuture<Void> publish(String destination, Object body, PublishOptions options);

    /** The request/reply client of this connection. */
    RpcClient rpc();

    /** The name of the transport in use, e.g. {@code "memory"} or {@code "nats"}. */
    String transportName();

    /**
     * Stops the subscriptions (running handlers get {@link BrokerOptions#closeTimeout()} to finish),
     * fails every pending request at once with reason {@link RequestException.Reason#CLOSED} and
     * closes the connection. Idempotent. Using the broker afterwards throws {@link BrokerClosedException}.
     * A thread interrupted before or during the wait for handlers stops waiting, still closes
     * everything, and keeps its interrupt flag.
     */
    @Override
    void close();
}
