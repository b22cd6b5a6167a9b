package io.parley.transport.rabbit.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.Recoverable;
import com.rabbitmq.client.RecoveryListener;
import com.rabbitmq.client.ShutdownSignalException;
import io.parley.api.ConfigurationException;
import io.parley.api.ConnectionException;
import io.parley.api.SubscribeOptions;
import io.parley.spi.InboundHandler;
import io.parley.spi.Transport;
import io.parley.spi.TransportContext;
import io.parley.spi.TransportSubscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One amqp-client connection with automatic recovery. Sends go round robin over a few
 * {@link SendChannel}s; each of them also consumes direct reply-to (the broker only routes a reply
 * to the channel that published the request), so many requests are in flight at once, matched by
 * correlation id in the core. Requests are mandatory: an unroutable one comes back as basic.return,
 * the no-responders signal. Each subscription has a channel of its own, manual acks after the
 * handler.
 */
final class RabbitTransport implements Transport {

    private static final Logger log = LoggerFactory.getLogger(RabbitTransport.class);
    static final String DIRECT_REPLY_TO = "amq.rabbitmq.reply-to";
    private static final AtomicInteger CONNECTIONS = new AtomicInteger();

    private final TransportContext context;
    private final String redactedUri;
    private final RabbitSettings settings;
    private final Connection connection;
    private final SendChannel[] senders;
    private final String replyAddress;
    private volatile boolean closing;
    /** Between a connection loss and the end of recovery (consumers included): sends fail fast. */
    private volatile boolean recovering;

    RabbitTransport(TransportContext context) {
        this.context = context;
        this.redactedUri = context.redactedUri();
        this.settings = RabbitSettings.from(context);
        this.connection = connect();
        try {
            if (!settings.exchange.isEmpty()) {
                checkExchange(settings.exchange);
            }
            this.replyAddress = settings.directReplyTo ? DIRECT_REPLY_TO : declareReplyQueue();
            this.senders = new SendChannel[settings.channels];
            for (int i = 0; i < senders.length; i++) {
                senders[i] = openSender();
            }
        } catch (IOException e) {
            closeQuietly();
            throw new ConnectionException("Could not set up channels on RabbitMQ at " + redactedUri + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly();
            throw e;
        }
        connection.addShutdownListener(this::onConnectionShutdown);
        if (connection instanceof Recoverable recoverable) {
            recoverable.addRecoveryListener(new RecoveryListener() {
                @Override
                public void handleRecovery(Recoverable recovered) {
                    recovering = false;
                    log.info("Reconnected to RabbitMQ at {}; channels and subscriptions restored", redactedUri);
                }

                @Override
                public void handleRecoveryStarted(Recoverable recovering) {
                    log.debug("Recovering the connection to RabbitMQ at {}", redactedUri);
                }
            });
        }
    }

    private Connection connect() {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setHost(settings.host);
        factory.setPort(settings.port);
        factory.setUsername(settings.user);
        factory.setPassword(settings.password);
        factory.setVirtualHost(settings.vhost);
        factory.setAutomaticRecoveryEnabled(true);
        factory.setTopologyRecoveryEnabled(true);
        factory.setNetworkRecoveryInterval(settings.recoveryIntervalMillis);
        factory.setConnectionTimeout(settings.connectTimeoutMillis);
        int id = CONNECTIONS.incrementAndGet();
        AtomicInteger threads = new AtomicInteger();
        ThreadFactory named = runnable -> {
            Thread thread = new Thread(runnable, "parley-rabbit-" + id + "-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
        factory.setThreadFactory(named);
        if (settings.tls) {
            try {
                factory.useSslProtocol(SSLContext.getDefault());
                factory.enableHostnameVerification();
            } catch (Exception e) {
                throw new ConfigurationException("Cannot set up TLS for " + redactedUri + ": " + e.getMessage(), e);
            }
        }
        try {
            return factory.newConnection(settings.connectionName);
        } catch (IOException | TimeoutException e) {
            throw new ConnectionException("Cannot connect to RabbitMQ at " + redactedUri + " (" + describe(e)
                    + "); check that RabbitMQ runs there, the vhost exists and the user may use it", e);
        }
    }

    private static String describe(Exception e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String text = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return text.contains("ACCESS_REFUSED") || root.getClass().getSimpleName().contains("Authentication")
                ? "the broker refused the user name or password" : text;
    }

    private void checkExchange(String exchange) throws IOException {
        Channel channel = connection.createChannel();
        try {
            channel.exchangeDeclarePassive(exchange);
            channel.close();
        } catch (IOException e) {
            throw new ConfigurationException("Exchange '" + exchange + "' (" + "rabbit.exchange) does not exist on "
                    + redactedUri + "; declare it, or use amq.topic / amq.direct", e);
        } catch (TimeoutException e) {
            throw new IOException(e);
        }
    }

    /** The at-least-once reply address: a queue of this connection that outlives a short outage. */
    private String declareReplyQueue() throws IOException {
        String queue = "parley.reply." + UUID.randomUUID();
        Channel channel = connection.createChannel();
        channel.queueDeclare(queue, false, false, false, Map.of("x-expires", 60_000));
        channel.basicConsume(queue, false, new DefaultConsumer(channel) {
            @Override
            public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) throws IOException {
                context.replies().onReply(RabbitMessages.envelope(queue, props, body, null));
                getChannel().basicAck(envelope.getDeliveryTag(), false);
            }
        });
        return queue;
    }

    private SendChannel openSender() throws IOException {
        Channel channel = connection.createChannel();
        SendChannel sender = new SendChannel(channel, settings.publisherConfirms);
        channel.addReturnListener(returned -> {
            String id = returned.getProperties().getCorrelationId();
            String replyTo = returned.getProperties().getReplyTo();
            // the broker rewrites direct reply-to into amq.rabbitmq.reply-to.<token> before returning
            if (replyTo != null && replyTo.startsWith(replyAddress) && id != null) {
                context.replies().onNoResponders(id);
            } else {
                sender.returned(returned.getProperties().getMessageId(), returned.getRoutingKey());
                log.warn("RabbitMQ returned a message sent to '{}' on exchange '{}': no queue is bound for it ({})",
                        returned.getRoutingKey(), returned.getExchange(), returned.getReplyText());
            }
        });
        channel.addShutdownListener(cause -> sender.failUnconfirmed(cause.getMessage()));
        if (settings.directReplyTo) {
            // direct reply-to: consumed no-ack, on the channel that publishes the requests, before any
            channel.basicConsume(DIRECT_REPLY_TO, true, new DefaultConsumer(channel) {
                @Override
                public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
                    context.replies().onReply(RabbitMessages.envelope(DIRECT_REPLY_TO, props, body, null));
                }
            });
        }
        return sender;
    }

    /**
     * The channel for a key: messages to one destination, and the replies to one requester, always
     * leave through the same channel, so RabbitMQ keeps their order; different keys spread out.
     */
    private SendChannel sender(String key) throws IOException {
        int index = Math.floorMod(key.hashCode(), senders.length);
        SendChannel sender = senders[index];
        if (!sender.channel.isOpen() && connection.isOpen() && !recovering) {
            // a channel-level error (e.g. an exchange deleted under us) closed it; recovery only
            // reopens channels after a connection loss, so replace it here
            synchronized (senders) {
                if (!senders[index].channel.isOpen()) {
                    log.warn("A send channel to RabbitMQ at {} was closed ({}); opening a new one", redactedUri,
                            senders[index].channel.getCloseReason());
                    senders[index] = openSender();
                }
                sender = senders[index];
            }
        }
        return sender;
    }

    @Override
    public CompletionStage<Void> publish(io.parley.spi.Envelope message) {
        String replyTo = message.replyTo();
        if (replyTo != null && !settings.exchange.isEmpty() && replyTo.indexOf('|') < 0) {
            // with a named exchange a destination is a routing key there: say so in FastStream's notation
            replyTo = replyTo + "|" + settings.exchange;
        }
        return send(settings.exchange, message.destination(), message, replyTo, true);
    }

    @Override
    public CompletionStage<Void> request(io.parley.spi.Envelope request) {
        return send(settings.exchange, request.destination(), request, replyAddress, false);
    }

    @Override
    public CompletionStage<Void> reply(io.parley.spi.Envelope request, io.parley.spi.Envelope reply) {
        // FastStream writes "routing_key|exchange" to have the reply published to an exchange
        String to = reply.destination();
        int bar = to.indexOf('|');
        String routingKey = bar < 0 ? to : to.substring(0, bar);
        String exchange = bar < 0 ? "" : to.substring(bar + 1);
        return send(exchange, routingKey, reply, null, false);
    }

    private CompletionStage<Void> send(String exchange, String routingKey, io.parley.spi.Envelope envelope,
                                       String replyTo, boolean confirm) {
        if (recovering) {
            // a request sent before the channel's direct reply-to consumer is back would close the channel
            return CompletableFuture.failedFuture(new ConnectionException("Cannot send to '" + routingKey
                    + "': the connection to RabbitMQ at " + redactedUri + " is recovering; retry shortly"));
        }
        try {
            AMQP.BasicProperties props = RabbitMessages.properties(envelope, replyTo, settings.persistent);
            boolean mandatory = replyTo != null || confirm; // replies are not: their requester may be gone
            return sender(routingKey).publish(exchange, routingKey, mandatory, props, envelope.body(), confirm);
        } catch (IOException | AlreadyClosedException e) {
            return CompletableFuture.failedFuture(new ConnectionException("Cannot send to '" + routingKey
                    + "' on RabbitMQ at " + redactedUri + " (" + e.getMessage() + "); the connection is recovering or closed", e));
        }
    }

    @Override
    public TransportSubscription subscribe(String destination, SubscribeOptions options, InboundHandler handler) {
        int concurrency = options.concurrency().orElse(context.options().handlerConcurrency());
        QueueSettings queue = QueueSettings.from(destination, options, settings.exchange, concurrency);
        try {
            return new RabbitSubscription(connection, queue, handler, settings.exchange);
        } catch (IOException e) {
            throw queue.failure(e, redactedUri);
        }
    }

    private void onConnectionShutdown(ShutdownSignalException cause) {
        if (closing || cause.isInitiatedByApplication()) {
            return;
        }
        recovering = true;
        log.warn("Lost the connection to RabbitMQ at {} ({}); recovering every {} ms", redactedUri,
                cause.getMessage(), settings.recoveryIntervalMillis);
        if (settings.directReplyTo) { // direct reply-to replies of requests already sent can no longer arrive
            context.replies().onConnectionLost("the connection to RabbitMQ at " + redactedUri
                    + " was lost, and with it the direct reply-to of the requests in flight");
        }
    }

    @Override
    public void close() {
        closing = true;
        closeQuietly();
    }

    private void closeQuietly() {
        try {
            connection.close(5_000);
        } catch (IOException | AlreadyClosedException e) {
            log.debug("Closing the RabbitMQ connection: {}", e.toString());
        }
    }

    List<SendChannel> senders() {
        return List.of(senders);
    }
}
