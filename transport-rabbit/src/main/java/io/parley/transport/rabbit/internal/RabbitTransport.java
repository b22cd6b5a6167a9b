package io.parley.transport.rabbit.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.BlockedListener;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.Recoverable;
import com.rabbitmq.client.RecoveryListener;
import com.rabbitmq.client.ShutdownSignalException;
import com.rabbitmq.client.SocketConfigurators;
import io.parley.api.BrokerOptions;
import io.parley.api.ConfigurationException;
import io.parley.api.ConnectionException;
import io.parley.api.MessagingException;
import io.parley.api.SubscribeOptions;
import io.parley.api.TlsOptions;
import io.parley.spi.InboundHandler;
import io.parley.spi.SendLanes;
import io.parley.spi.TlsSupport;
import io.parley.spi.Transport;
import io.parley.spi.TransportContext;
import io.parley.spi.TransportSubscription;
import io.parley.transport.rabbit.RabbitProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * One amqp-client connection with automatic recovery. Sends spread over a few {@link SendChannel}s
 * by routing key; each of them also consumes direct reply-to (the broker only routes a reply to the
 * channel that published the request), so many requests are in flight at once, matched by
 * correlation id in the core. Requests are mandatory: an unroutable one comes back as basic.return,
 * the no-responders signal. Each subscription has a channel of its own, manual acks after the
 * handler.
 *
 * <p>Sends never wait on the caller's thread: amqp-client's basicPublish blocks while the broker
 * blocks the connection (resource alarm), is frozen, or reads slower than we write. Each send channel
 * has its own lane ({@link SendLanes}, the same key picks the same lane and channel, so order per
 * destination holds), and sends fail at once while the connection is lost, recovering or blocked.
 */
final class RabbitTransport implements Transport {

    private static final Logger log = LoggerFactory.getLogger(RabbitTransport.class);
    static final String DIRECT_REPLY_TO = "amq.rabbitmq.reply-to";
    private static final AtomicInteger CONNECTIONS = new AtomicInteger();
    private static final Duration CLOSE_DRAIN = Duration.ofSeconds(5);
    private static final long BUFFER_WARNING_INTERVAL_NANOS = Duration.ofSeconds(10).toNanos();

    private final TransportContext context;
    private final String redactedUri;
    private final RabbitSettings settings;
    private final Connection connection;
    /** Requests and replies: no confirms (a confirm per request costs 15 % of throughput), direct reply-to. */
    private final SendChannel[] senders;
    /** Publishes: with confirms when rabbit.publisher-confirms (else the senders themselves). */
    private final SendChannel[] publishers;
    private final SendLanes lanes;
    private final String replyAddress;
    /** Replies addressed to an exchange (FastStream's "key|exchange"): a missing exchange closes only this channel. */
    private SendChannel exchangeReplies;
    private volatile boolean closing;
    /** Between a connection loss and the end of recovery (consumers included): sends fail fast. */
    private volatile boolean recovering;
    /** Why the broker blocks this connection's publishers (connection.blocked), or null. */
    private volatile String blocked;
    private final AtomicLong refusedSends = new AtomicLong();
    private final AtomicLong lastBufferWarning = new AtomicLong(System.nanoTime() - BUFFER_WARNING_INTERVAL_NANOS - 1);

    RabbitTransport(TransportContext context) {
        this.context = context;
        this.redactedUri = context.redactedUri();
        this.settings = RabbitSettings.from(context);
        int id = CONNECTIONS.incrementAndGet();
        this.connection = connect(id);
        try {
            if (!settings.exchange.isEmpty()) {
                checkExchange(settings.exchange);
            }
            this.replyAddress = settings.directReplyTo ? DIRECT_REPLY_TO : declareReplyQueue();
            this.senders = new SendChannel[settings.channels];
            for (int i = 0; i < senders.length; i++) {
                senders[i] = openSender(false);
            }
            if (settings.publisherConfirms) {
                this.publishers = new SendChannel[settings.channels];
                for (int i = 0; i < publishers.length; i++) {
                    publishers[i] = openSender(true);
                }
            } else {
                this.publishers = senders;
            }
        } catch (IOException e) {
            closeQuietly();
            throw new ConnectionException("Could not set up channels on RabbitMQ at " + redactedUri + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly();
            throw e;
        }
        // one lane per send channel: SendLanes and sender() pick by the same hash of the key
        this.lanes = new SendLanes("parley-rabbit-" + id + "-send", senders.length, settings.sendBuffer);
        connection.addShutdownListener(this::onConnectionShutdown);
        connection.addBlockedListener(new BlockedListener() {
            @Override
            public void handleBlocked(String reason) {
                blocked = reason;
                log.warn("RabbitMQ at {} blocks publishing ({}): sends fail until it lifts the alarm", redactedUri, reason);
            }

            @Override
            public void handleUnblocked() {
                blocked = null;
                log.info("RabbitMQ at {} accepts publishing again", redactedUri);
            }
        });
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

    private Connection connect(int id) {
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
        factory.setHandshakeTimeout(settings.connectTimeoutMillis);
        // channel.open, queue.declare...: amqp-client waits 10 minutes by default for a frozen broker
        factory.setChannelRpcTimeout(settings.connectTimeoutMillis);
        // amqp-client refuses inbound bodies over 64 MiB by closing the connection, and the message
        // would come back for ever: take whatever a broker can take (its max_message_size bounds it)
        factory.setMaxInboundMessageBodySize(RabbitSettings.LARGEST_MESSAGE_SIZE + 1); // the check is >=
        factory.setExceptionHandler(new RabbitExceptionHandler());
        AtomicInteger threads = new AtomicInteger();
        ThreadFactory named = runnable -> {
            Thread thread = new Thread(runnable, "parley-rabbit-" + id + "-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
        factory.setThreadFactory(named);
        AtomicReference<SSLSocket> tlsSocket = settings.tls ? useTls(factory, context.options()) : null;
        try {
            return factory.newConnection(settings.connectionName);
        } catch (IOException | TimeoutException e) {
            // the reset first: TlsSupport would read one inside an SSLException as a vague handshake failure
            throw refusedWithoutCertificate(e, tlsSocket)
                    .or(() -> TlsSupport.connectionFailure(e, settings.host, "RabbitMQ at " + redactedUri))
                    .orElseGet(() -> new ConnectionException("Cannot connect to RabbitMQ at " + redactedUri + " ("
                            + describe(e) + "); check that RabbitMQ runs there, the vhost exists and the user may use it", e));
        }
    }

    /**
     * TLS with the context of the options (the JVM's default one without them), host names verified
     * unless the options turn that off. Not {@code useSslProtocol}: it always turns amqp-client's own
     * host-name check on. Returns where the last TLS socket made is kept, to read its session when a
     * connect fails.
     */
    static AtomicReference<SSLSocket> useTls(ConnectionFactory factory, BrokerOptions options) {
        SSLContext tls = TlsSupport.context(options);
        SSLParameters parameters = TlsSupport.clientParameters(tls, TlsSupport.verifyHostname(options));
        AtomicReference<SSLSocket> last = new AtomicReference<>();
        factory.setSocketFactory(tls.getSocketFactory()); // makes amqp-client speak TLS
        factory.setSocketConfigurator(SocketConfigurators.defaultConfigurator().andThen(socket -> {
            SSLSocket ssl = (SSLSocket) socket;
            ssl.setSSLParameters(parameters);
            last.set(ssl);
        }));
        return last;
    }

    /**
     * In TLS 1.3 the broker checks the client's certificate only after its last handshake message, so a
     * broker that demands one and got none (RabbitMQ's {@code fail_if_no_peer_cert}) drops the connection
     * while the client finishes its handshake or sends the AMQP header: the client mostly sees a reset
     * instead of the certificate_required alert. Said so only when the broker dropped a connection that
     * was made, and this client showed no certificate: none in the finished TLS 1.3 session, or (the
     * handshake cut short) none in its TLS options.
     */
    private Optional<ConnectionException> refusedWithoutCertificate(Exception e, AtomicReference<SSLSocket> tlsSocket) {
        SSLSocket socket = tlsSocket == null ? null : tlsSocket.get();
        if (socket == null || !socket.isConnected() || !droppedByBroker(e)) {
            return Optional.empty();
        }
        SSLSession session = socket.getSession(); // closed: the session made, or one with the null cipher suite
        String what;
        if (!"SSL_NULL_WITH_NULL_NULL".equals(session.getCipherSuite())) {
            if (!TlsSupport.clientCertificateAskedButNotShown(session)) {
                return Optional.empty();
            }
            what = "closed the connection right after the TLS handshake, in which this client showed no certificate";
        } else {
            Boolean none = noClientCertificate(context.options());
            if (none == null) { // a user's SSLContext: whether it holds a key is unknown, so ask
                return Optional.of(new ConnectionException("Cannot connect to RabbitMQ at " + redactedUri + ": TLS: the"
                        + " broker at " + settings.host + " dropped the connection during the TLS handshake; if it"
                        + " requires a client certificate (mutual TLS), the SSLContext must hold one signed by a CA it"
                        + " trusts", e));
            }
            if (!none) {
                return Optional.empty();
            }
            what = "dropped the connection during the TLS handshake, and this client has no certificate to show";
        }
        return Optional.of(new ConnectionException("Cannot connect to RabbitMQ at " + redactedUri + " (the broker "
                + what + "): " + TlsSupport.missingClientCertificate(settings.host), e));
    }

    /**
     * Whether this client has no certificate to show: none in the TLS options' files, or (no options)
     * no key store for the JVM's default context; {@code null} (unknown) for a user's SSLContext.
     */
    private static Boolean noClientCertificate(BrokerOptions options) {
        if (options.tls().isEmpty()) {
            return System.getProperty("javax.net.ssl.keyStore") == null;
        }
        TlsOptions tls = options.tls().get();
        return tls.isUserContext() ? null : !tls.hasClientCertificate();
    }

    /** The broker dropped the socket (reset, broken pipe, end of stream) rather than answering in TLS or AMQP. */
    private static boolean droppedByBroker(Throwable failure) {
        Throwable root = failure;
        for (int i = 0; root.getCause() != null && root.getCause() != root && i < 20; i++) {
            if (root instanceof ShutdownSignalException signal && signal.getReason() != null) {
                return false; // connection.close: an AMQP refusal
            }
            root = root.getCause();
        }
        return root instanceof SocketException || root instanceof EOFException;
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
                context.replies().onReply(RabbitMessages.envelope(queue, props, body, null,
                        RabbitMessages.position(envelope.getDeliveryTag(), envelope.isRedeliver(), props)));
                getChannel().basicAck(envelope.getDeliveryTag(), false);
            }
        });
        return queue;
    }

    /** A send channel; the one for requests ({@code confirms} false) also consumes direct reply-to. */
    private SendChannel openSender(boolean confirms) throws IOException {
        Channel channel = connection.createChannel();
        SendChannel sender = new SendChannel(channel, confirms);
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
        if (settings.directReplyTo && !confirms) {
            // direct reply-to: consumed no-ack, on the channel that publishes the requests, before any
            channel.basicConsume(DIRECT_REPLY_TO, true, new DefaultConsumer(channel) {
                @Override
                public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
                    context.replies().onReply(RabbitMessages.envelope(DIRECT_REPLY_TO, props, body, null,
                            RabbitMessages.position(envelope.getDeliveryTag(), envelope.isRedeliver(), props)));
                }
            });
        }
        return sender;
    }

    /**
     * The channel for a key, on its lane's thread: messages to one destination, and the replies to one
     * requester, always leave through the same channel, so RabbitMQ keeps their order.
     */
    private SendChannel sender(String key) throws IOException {
        return channel(senders, key, false);
    }

    /** The channel a publish leaves through, for a key (confirmed ones apart from requests). */
    private SendChannel publisher(String key) throws IOException {
        return channel(publishers, key, publishers != senders);
    }

    private SendChannel channel(SendChannel[] channels, String key, boolean confirms) throws IOException {
        int index = Math.floorMod(key.hashCode(), channels.length);
        SendChannel sender = channels[index];
        if (!sender.channel.isOpen() && connection.isOpen() && !recovering) {
            // a channel-level error (e.g. an exchange deleted under us) closed it; recovery only
            // reopens channels after a connection loss, so replace it here
            synchronized (senders) {
                if (!channels[index].channel.isOpen()) {
                    log.warn("A send channel to RabbitMQ at {} was closed ({}); opening a new one", redactedUri,
                            channels[index].channel.getCloseReason());
                    channels[index] = openSender(confirms);
                }
                sender = channels[index];
            }
        }
        return sender;
    }

    /** The channel for replies to an exchange a peer named, opened when first needed and after a channel error. */
    private SendChannel exchangeReplies() throws IOException {
        synchronized (senders) {
            if (exchangeReplies == null || !exchangeReplies.channel.isOpen()) {
                Channel channel = connection.createChannel();
                channel.addShutdownListener(cause -> {
                    if (!cause.isHardError() && !cause.isInitiatedByApplication()) {
                        log.warn("RabbitMQ closed the channel for replies to exchanges at {} ({}): a reply-to named an"
                                + " exchange that does not exist?", redactedUri, cause.getMessage());
                    }
                });
                exchangeReplies = new SendChannel(channel, false);
            }
            return exchangeReplies;
        }
    }

    @Override
    public CompletionStage<Void> publish(io.parley.spi.Envelope message) {
        String replyTo = message.replyTo();
        if (replyTo != null && !settings.exchange.isEmpty() && replyTo.indexOf('|') < 0) {
            // with a named exchange a destination is a routing key there: say so in FastStream's notation
            replyTo = replyTo + "|" + settings.exchange;
        }
        // mandatory: an unroutable message is logged, and fails its confirm instead of vanishing
        return send(settings.exchange, message.destination(), message, replyTo, settings.persistent, true,
                settings.publisherConfirms, this::publisher);
    }

    @Override
    public CompletionStage<Void> request(io.parley.spi.Envelope request) {
        // transient: a request is worthless after its timeout; mandatory: unroutable is NO_RESPONDERS
        return send(settings.exchange, request.destination(), request, replyAddress, false, true, false, this::sender);
    }

    @Override
    public CompletionStage<Void> reply(io.parley.spi.Envelope request, io.parley.spi.Envelope reply) {
        // FastStream writes "routing_key|exchange" to have the reply published to an exchange. Replies
        // are transient, and not mandatory: their requester may be gone
        String to = reply.destination();
        int bar = to.indexOf('|');
        if (bar < 0 || bar == to.length() - 1) {
            return send("", bar < 0 ? to : to.substring(0, bar), reply, null, false, false, false, this::sender);
        }
        return send(to.substring(bar + 1), to.substring(0, bar), reply, null, false, false, false,
                key -> exchangeReplies());
    }

    /** The channel a lane sends on, for a routing key. */
    private interface ChannelFor {
        SendChannel get(String routingKey) throws IOException;
    }

    /**
     * Checks at once what makes a send fail, then hands it to the lane of its routing key, whose
     * thread publishes it on the channel of that key and completes the stage (with confirms: when
     * the broker confirmed it).
     */
    private CompletionStage<Void> send(String exchange, String routingKey, io.parley.spi.Envelope envelope,
                                       String replyTo, boolean persistent, boolean mandatory, boolean confirm,
                                       ChannelFor channelFor) {
        MessagingException refused = refusal(routingKey, envelope);
        if (refused != null) {
            return CompletableFuture.failedFuture(refused);
        }
        AMQP.BasicProperties props = RabbitMessages.properties(envelope, replyTo, persistent);
        CompletableFuture<CompletableFuture<Void>> queued = lanes.submit(routingKey, () -> {
            try {
                return channelFor.get(routingKey).publish(exchange, routingKey, mandatory, props, envelope.body(), confirm);
            } catch (IOException | AlreadyClosedException e) {
                throw new ConnectionException("Cannot send to '" + routingKey + "' on RabbitMQ at " + redactedUri + " ("
                        + e.getMessage() + "); the connection is recovering or closed", e);
            }
        });
        if (queued.isCompletedExceptionally() && !closing) {
            bufferFull();
        }
        return queued.thenCompose(Function.identity());
    }

    /**
     * A send failed because rabbit.send-buffer sends wait on its channel and none left for a while (the
     * broker stopped taking them): said in its stage, and here too (at most every 10 s), for whoever
     * does not look at the stages of publish.
     */
    private void bufferFull() {
        long refused = refusedSends.incrementAndGet();
        long now = System.nanoTime();
        long last = lastBufferWarning.get();
        if (now - last > BUFFER_WARNING_INTERVAL_NANOS && lastBufferWarning.compareAndSet(last, now)) {
            refusedSends.addAndGet(-refused);
            log.warn("Sends to RabbitMQ at {} fail ({} since the last such warning): {} sends wait on their channel"
                    + " ({}) and RabbitMQ stopped taking them; their stages fail with a ConnectionException",
                    redactedUri, refused, settings.sendBuffer, RabbitProperties.SEND_BUFFER);
        }
    }

    /** Why a send must fail at once, or null. */
    private MessagingException refusal(String routingKey, io.parley.spi.Envelope envelope) {
        if (envelope.body().length > settings.maxMessageSize) {
            // RabbitMQ would close the channel (and with it the replies of the requests it carries)
            return new MessagingException("Cannot send " + envelope.body().length + " bytes to '" + routingKey
                    + "': over rabbit.max-message-size (" + settings.maxMessageSize + " bytes, the broker's"
                    + " max_message_size); send a smaller body, or raise both");
        }
        if (recovering) {
            // a request sent before the channel's direct reply-to consumer is back would close the channel
            return new ConnectionException("Cannot send to '" + routingKey + "': the connection to RabbitMQ at "
                    + redactedUri + " is recovering; retry shortly");
        }
        String alarm = blocked;
        if (alarm != null) {
            return new ConnectionException("Cannot send to '" + routingKey + "': RabbitMQ at " + redactedUri
                    + " blocks publishing (" + alarm + "); retry once the broker has memory or disk to spare again");
        }
        return null;
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
        blocked = null; // the next connection starts unblocked
        // a dropped socket is "connection error" with the IOException as its cause: say which
        String why = cause.getCause() != null && cause.getReason() == null
                ? cause.getMessage() + ": " + cause.getCause() : cause.getMessage();
        log.warn("Lost the connection to RabbitMQ at {} ({}); recovering every {} ms", redactedUri,
                RabbitExceptionHandler.redact(why), settings.recoveryIntervalMillis);
        if (settings.directReplyTo) { // direct reply-to replies of requests already sent can no longer arrive
            context.replies().onConnectionLost("the connection to RabbitMQ at " + redactedUri
                    + " was lost, and with it the direct reply-to of the requests in flight");
        }
    }

    @Override
    public void close() {
        closing = true;
        lanes.close(CLOSE_DRAIN); // replies of the last handlers leave first
        closeQuietly();
    }

    private void closeQuietly() {
        try {
            connection.close(5_000);
        } catch (IOException | AlreadyClosedException e) {
            log.debug("Closing the RabbitMQ connection: {}", e.toString());
        }
    }
}
