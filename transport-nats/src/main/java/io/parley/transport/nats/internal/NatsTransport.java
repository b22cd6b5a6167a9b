package io.parley.transport.nats.internal;

import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.Consumer;
import io.nats.client.Dispatcher;
import io.nats.client.ErrorListener;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.impl.NatsMessage;
import io.parley.api.ConfigurationException;
import io.parley.api.ConnectionException;
import io.parley.api.MessagingException;
import io.parley.api.SubscribeOptions;
import io.parley.spi.Envelope;
import io.parley.spi.InboundHandler;
import io.parley.spi.Transport;
import io.parley.spi.TransportContext;
import io.parley.spi.TransportSubscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;

/**
 * One jnats connection. Requests get the reply subject {@code <inbox>.<correlation id>} under one
 * wildcard subscription made at open, so replies (several per request for request-many) and the
 * server's no-responders status (503) map back to their request without a subscription per request.
 * Each Parley subscription has its own dispatcher thread, so a handler at its concurrency limit
 * holds back only its own subscription.
 */
final class NatsTransport implements Transport {

    private static final Logger log = LoggerFactory.getLogger(NatsTransport.class);
    private static final int NO_RESPONDERS = 503;

    private final TransportContext context;
    private final String redactedUri;
    private final NatsSettings settings;
    private final Connection connection;
    private final String replyPrefix;

    NatsTransport(TransportContext context) {
        this.context = context;
        this.redactedUri = context.redactedUri();
        this.settings = NatsSettings.from(context);
        this.connection = connect();
        this.replyPrefix = connection.createInbox() + ".";
        Dispatcher replies = connection.createDispatcher(this::onReply);
        replies.subscribe(replyPrefix + "*");
        try {
            awaitServer("the reply subscription");
        } catch (RuntimeException e) {
            closeQuietly();
            throw e;
        }
    }

    private Connection connect() {
        Options.Builder options = new Options.Builder()
                .servers(settings.servers.toArray(String[]::new))
                .connectionName(settings.connectionName)
                .connectionTimeout(settings.connectTimeout)
                .reconnectWait(settings.reconnectWait)
                .maxReconnects(settings.maxReconnects)
                .reconnectBufferSize(settings.reconnectBufferBytes)
                .connectionListener(new ConnectionEvents())
                .errorListener(new Errors());
        if (settings.token != null) {
            options.token(settings.token);
        } else if (settings.user != null) {
            options.userInfo(settings.user.toCharArray(), settings.password);
        }
        try {
            return Nats.connect(options.build());
        } catch (IOException e) {
            throw new ConnectionException("Cannot connect to NATS at " + redactedUri + " (" + e.getMessage()
                    + "); check that nats-server runs there and accepts these credentials", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConnectionException("Interrupted while connecting to NATS at " + redactedUri, e);
        }
    }

    @Override
    public CompletionStage<Void> publish(Envelope message) {
        return send(message, message.replyTo(), false);
    }

    @Override
    public CompletionStage<Void> request(Envelope request) {
        String id = request.correlationId();
        if (id == null || !isSubjectToken(id)) {
            return CompletableFuture.failedFuture(new MessagingException("Correlation id '" + id
                    + "' cannot be a NATS subject token (no '.', '*', '>' or white space)"));
        }
        return send(request, replyPrefix + id, false);
    }

    @Override
    public CompletionStage<Void> reply(Envelope request, Envelope reply) {
        // the end of a streamed answer carries no headers, as NATS request-many expects
        return send(reply, null, reply.isEndOfStream());
    }

    private CompletionStage<Void> send(Envelope envelope, String replyTo, boolean bare) {
        try {
            long maxPayload = connection.getMaxPayload();
            if (maxPayload > 0 && envelope.body().length > maxPayload) {
                return CompletableFuture.failedFuture(new MessagingException("A message of " + envelope.body().length
                        + " bytes to '" + envelope.destination() + "' is larger than the NATS server's max_payload ("
                        + maxPayload + " bytes); send less or raise max_payload in the server's configuration"));
            }
            NatsMessage message = NatsMessages.toNats(envelope, replyTo, bare);
            connection.publish(message);
            return CompletableFuture.completedFuture(null);
        } catch (IllegalStateException e) { // closed, or the reconnect buffer is full
            return CompletableFuture.failedFuture(new ConnectionException("Cannot send to '" + envelope.destination()
                    + "': the NATS connection to " + redactedUri + " is " + connection.getStatus() + " (" + e.getMessage() + ")", e));
        } catch (IllegalArgumentException e) { // a subject or header NATS refuses, or too large for the server
            return CompletableFuture.failedFuture(new MessagingException("Cannot send to '" + envelope.destination()
                    + "' over NATS: " + e.getMessage(), e));
        }
    }

    @Override
    public TransportSubscription subscribe(String destination, SubscribeOptions options, InboundHandler handler) {
        for (String key : options.properties().keySet()) {
            if (key.startsWith("nats.")) {
                throw new ConfigurationException("The NATS transport has no subscription property " + key
                        + "; subscriptions take no nats.* properties");
            }
        }
        Dispatcher dispatcher = connection.createDispatcher(message -> deliver(destination, handler, message));
        try {
            if (options.group().isPresent()) {
                dispatcher.subscribe(destination, options.group().get());
            } else {
                dispatcher.subscribe(destination);
            }
            awaitServer("the subscription to '" + destination + "'");
        } catch (IllegalArgumentException e) {
            connection.closeDispatcher(dispatcher);
            throw new ConfigurationException("Cannot subscribe to '" + destination + "' on NATS: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            connection.closeDispatcher(dispatcher);
            throw e;
        }
        return () -> {
            if (connection.getStatus() != Connection.Status.CLOSED) {
                connection.closeDispatcher(dispatcher);
            }
        };
    }

    private void deliver(String destination, InboundHandler handler, Message message) {
        if (message.isStatusMessage()) {
            return;
        }
        try {
            // core NATS has no acknowledgement: the stage only matters to the core, which logs failures
            handler.onMessage(NatsMessages.fromNats(message, null));
        } catch (RuntimeException e) { // never let one message end the dispatcher
            log.warn("A message on '{}' could not be handed to its handler: {}", destination, e.toString());
        }
    }

    private void onReply(Message message) {
        String subject = message.getSubject();
        if (!subject.startsWith(replyPrefix)) {
            return;
        }
        String correlationId = subject.substring(replyPrefix.length());
        if (message.isStatusMessage()) {
            if (message.getStatus().getCode() == NO_RESPONDERS) {
                context.replies().onNoResponders(correlationId);
            } else {
                log.debug("Ignored status {} on reply subject for correlation id {}", message.getStatus(), correlationId);
            }
            return;
        }
        context.replies().onReply(NatsMessages.fromNats(message, correlationId));
    }

    /** Waits until the server has processed everything sent so far (a subscription is then live). */
    private void awaitServer(String what) {
        try {
            connection.flush(settings.connectTimeout);
        } catch (TimeoutException e) {
            throw new ConnectionException("The NATS server at " + redactedUri + " did not confirm " + what
                    + " within " + settings.connectTimeout.toMillis() + " ms (connection " + connection.getStatus() + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConnectionException("Interrupted while waiting for the NATS server to confirm " + what, e);
        }
    }

    private static boolean isSubjectToken(String token) {
        if (token.isEmpty()) {
            return false;
        }
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c == '.' || c == '*' || c == '>' || c <= ' ' || c > 126) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() {
        try {
            connection.flush(Duration.ofSeconds(1)); // replies sent just before close still leave
        } catch (TimeoutException | IllegalStateException e) {
            log.debug("Could not flush the NATS connection before closing: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeQuietly();
    }

    private void closeQuietly() {
        try {
            connection.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Connection events, logged; a lost connection also ends the requests whose replies it carried. */
    private final class ConnectionEvents implements ConnectionListener {
        @Override
        public void connectionEvent(Connection conn, ConnectionListener.Events type) {
            switch (type) {
                case DISCONNECTED -> {
                    log.warn("Lost the connection to NATS at {}; reconnecting every {} ms", redactedUri,
                            settings.reconnectWait.toMillis());
                    // messages in flight to our reply subscription are gone; requests sent from now on
                    // are buffered and sent on reconnect
                    context.replies().onConnectionLost("the connection to NATS at " + redactedUri + " was lost");
                }
                case RECONNECTED -> log.info("Reconnected to NATS at {}", redactedUri);
                case RESUBSCRIBED -> log.info("Subscriptions restored on NATS at {}", redactedUri);
                case CLOSED -> log.debug("Closed the connection to NATS at {}", redactedUri);
                default -> log.debug("NATS connection event {} ({})", type, redactedUri);
            }
        }
    }

    /** jnats' asynchronous errors, to SLF4J instead of java.util.logging. */
    private final class Errors implements ErrorListener {
        @Override
        public void errorOccurred(Connection conn, String error) {
            log.warn("NATS server at {} reported: {}", redactedUri, error);
        }

        @Override
        public void exceptionOccurred(Connection conn, Exception exp) {
            if (!(exp instanceof IOException)) {
                log.warn("NATS connection to {}: {}", redactedUri, exp.toString());
            } else { // a lost socket (then DISCONNECTED is logged) or a failed reconnect attempt: not WARN each time
                log.debug("NATS connection to {} ({}): {}", redactedUri, conn == null ? "?" : conn.getStatus(), exp.toString());
            }
        }

        @Override
        public void slowConsumerDetected(Connection conn, Consumer consumer) {
            log.warn("A NATS subscription on {} cannot keep up: the client drops its messages (pending limit reached)",
                    redactedUri);
        }
    }
}
