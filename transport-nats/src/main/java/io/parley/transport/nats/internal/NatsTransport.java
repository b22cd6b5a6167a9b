package io.parley.transport.nats.internal;

import io.nats.client.AuthenticationException;
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
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;

/**
 * One jnats connection. Requests get the reply subject {@code <inbox>.<correlation id>} under one
 * wildcard subscription made at open, so replies (several per request for request-many) and the
 * server's no-responders status (503) map back to their request without a subscription per request.
 * Each Parley subscription has its own dispatcher thread, so a handler at its concurrency limit
 * holds back only its own subscription. Incoming bytes pass through a {@link GuardedDataPort}, so that
 * no header block a peer publishes can silence the connection.
 */
final class NatsTransport implements Transport {

    private static final Logger log = LoggerFactory.getLogger(NatsTransport.class);
    private static final int NO_RESPONDERS = 503;
    /** The code of the error reply that stands for a reply that could not be read (a bad gateway's). */
    /**
     * The longest a send waits for room in jnats' outgoing queue (its minimum; jnats' default is 2 s):
     * the queue is full only when the server does not take data, and then a send fails instead.
     */
    static final Duration SEND_WAIT = Options.MINIMUM_WRITE_QUEUE_PUSH_TIMEOUT;

    private final TransportContext context;
    private final String redactedUri;
    private final NatsSettings settings;
    private volatile boolean opened; // connected once: from then on, losses are outages worth a WARN
    private volatile boolean closing;
    private volatile String refusedLogin; // the server's words, when it refused the credentials at connect
    private final Connection connection;
    private final String replyPrefix;
    private final long maxOutgoing;
    /** A send found jnats' buffer full during an outage: later sends fail at once until the reconnect. */
    private volatile boolean outageBufferFull;

    NatsTransport(TransportContext context) {
        this.context = context;
        this.redactedUri = context.redactedUri();
        this.settings = NatsSettings.from(context);
        this.connection = connect();
        this.maxOutgoing = connection.getOptions().getMaxMessagesInOutgoingQueue();
        this.opened = true;
        this.replyPrefix = connection.createInbox() + ".";
        try {
            Dispatcher replies = connection.createDispatcher(this::onReply);
            replies.subscribe(replyPrefix + "*");
            awaitServer("the reply subscription");
        } catch (RuntimeException e) {
            closing = true;
            closeQuietly(connection);
            throw e instanceof MessagingException ? e : new ConnectionException("Cannot subscribe to the replies on NATS at "
                    + redactedUri + ": " + e.getMessage(), e);
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
                .writeQueuePushTimeout(SEND_WAIT)
                .dataPortType(GuardedDataPort.class.getName())
                .connectionListener(new ConnectionEvents())
                .errorListener(new Errors());
        if (settings.token != null) {
            options.token(settings.token);
        } else if (settings.user != null) {
            options.userInfo(settings.user.toCharArray(), settings.password);
        }
        Connection connected;
        try {
            connected = Nats.connect(options.build());
        } catch (AuthenticationException e) {
            throw refused(e.getMessage(), e);
        } catch (IOException e) {
            if (refusedLogin != null) {
                throw refused(refusedLogin, e);
            }
            throw new ConnectionException("Cannot connect to NATS at " + redactedUri + " (" + e.getMessage()
                    + "); check that nats-server runs there", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConnectionException("Interrupted while connecting to NATS at " + redactedUri, e);
        }
        if (refusedLogin != null || connected.getStatus() != Connection.Status.CONNECTED) {
            closeQuietly(connected);
            if (refusedLogin != null) {
                throw refused(refusedLogin, null);
            }
            throw new ConnectionException("Cannot connect to NATS at " + redactedUri + " (the connection is "
                    + connected.getStatus() + ", last error: " + connected.getLastError() + ")");
        }
        return connected;
    }

    private ConnectionException refused(String serverSays, Throwable cause) {
        return new ConnectionException("The NATS server at " + redactedUri + " refused the login (" + serverSays
                + "): check the user and password (nats.user, nats.password, or in the URI) or the token (nats.token)",
                cause);
    }

    /** The server's words for credentials it refuses, as jnats recognises them. */
    private static boolean isLoginRefusal(String error) {
        String text = error == null ? "" : error.toLowerCase(Locale.ROOT);
        return text.startsWith("user authentication") || text.contains("authorization violation")
                || text.startsWith("account authentication expired");
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

    /**
     * Hands the message to jnats' outgoing queue, which its writer thread sends: this never waits on
     * the socket. It may wait up to {@link #SEND_WAIT} for room in that queue, which is full only when
     * the server takes nothing; then, and when the reconnect buffer is full, the stage fails.
     */
    private CompletionStage<Void> send(Envelope envelope, String replyTo, boolean bare) {
        try {
            long maxPayload = connection.getMaxPayload();
            if (maxPayload > 0 && envelope.body().length > maxPayload) {
                return CompletableFuture.failedFuture(new MessagingException("A message of " + envelope.body().length
                        + " bytes to '" + envelope.destination() + "' is larger than the NATS server's max_payload ("
                        + maxPayload + " bytes); send less or raise max_payload in the server's configuration"));
            }
            if (outageBufferFull && connection.getStatus() != Connection.Status.CONNECTED) {
                // nothing drains the buffer until the reconnect: jnats would wait SEND_WAIT for room in vain
                return CompletableFuture.failedFuture(cannotSend(envelope.destination(), new IllegalStateException(
                        "Unable to queue any more messages during reconnect: the buffer is full")));
            }
            NatsMessage message = NatsMessages.toNats(envelope, replyTo, bare);
            connection.publish(message);
            return CompletableFuture.completedFuture(null);
        } catch (IllegalStateException e) { // closed, the reconnect buffer full, or the outgoing queue full
            if (connection.getStatus() != Connection.Status.CONNECTED) {
                outageBufferFull = true; // cleared when the connection is back
            }
            return CompletableFuture.failedFuture(cannotSend(envelope.destination(), e));
        } catch (IllegalArgumentException e) { // a subject or header NATS refuses, or too large for the server
            return CompletableFuture.failedFuture(new MessagingException("Cannot send to '" + envelope.destination()
                    + "' over NATS: " + e.getMessage(), e));
        }
    }

    private ConnectionException cannotSend(String destination, IllegalStateException e) {
        String why = String.valueOf(e.getMessage());
        String what;
        if (why.startsWith("Output queue")) {
            what = "jnats' outgoing queue is full (" + why.strip() + " messages): the NATS server at " + redactedUri
                    + " takes no data (frozen, or far slower than the sends); retry later";
        } else if (why.startsWith("Unable to queue any more messages during reconnect")) {
            what = "NATS at " + redactedUri + " is unreachable (" + connection.getStatus() + ") and what is buffered"
                    + " for the reconnect fills its buffer (" + settings.reconnectBufferBytes + " bytes,"
                    + " nats.reconnect-buffer-bytes, or " + maxOutgoing + " messages); retry once reconnected";
        } else {
            what = "the NATS connection to " + redactedUri + " is " + connection.getStatus() + " (" + why + ")";
        }
        return new ConnectionException("Cannot send to '" + destination + "': " + what + "; nothing was sent", e);
    }

    @Override
    public TransportSubscription subscribe(String destination, SubscribeOptions options, InboundHandler handler) {
        for (String key : options.properties().keySet()) {
            if (key.startsWith("nats.")) {
                throw new ConfigurationException("The NATS transport has no subscription property " + key
                        + "; subscriptions take no nats.* properties");
            }
        }
        Deliveries deliveries = new Deliveries(destination, handler);
        Dispatcher dispatcher = connection.createDispatcher(deliveries::deliver);
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
        } catch (IllegalStateException e) { // closed, or the outgoing queue is full
            connection.closeDispatcher(dispatcher);
            throw new ConnectionException("Cannot subscribe to '" + destination + "' on NATS at " + redactedUri
                    + " (connection " + connection.getStatus() + "): " + e.getMessage(), e);
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

    /** The messages of one subscription, on its dispatcher thread, numbered for log lines. */
    private static final class Deliveries {
        private final String destination;
        private final InboundHandler handler;
        private long count; // only the dispatcher's thread touches it

        Deliveries(String destination, InboundHandler handler) {
            this.destination = destination;
            this.handler = handler;
        }

        void deliver(Message message) {
            try {
                // core NATS keeps no position: the subject and the count since subscribe locate it in logs
                Envelope envelope = NatsMessages.fromNats(message, null,
                        "subject " + message.getSubject() + ", delivery " + ++count);
                // core NATS has no acknowledgement: the stage only matters to the core, which logs failures
                handler.onMessage(envelope);
            } catch (RuntimeException e) { // never let one message end the dispatcher
                log.warn("A message on '{}' could not be handed to its handler: {}", destination, e.toString());
            }
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
        // an unreadable reply keeps its problem: the core fails the request with it at once
        context.replies().onReply(NatsMessages.fromNats(message, correlationId, null));
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
        closing = true;
        try {
            connection.flush(Duration.ofSeconds(1)); // replies sent just before close still leave
        } catch (TimeoutException | IllegalStateException e) {
            log.debug("Could not flush the NATS connection before closing: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeQuietly(connection);
    }

    private static void closeQuietly(Connection connection) {
        try {
            connection.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Connection events, logged once per outage: WARN when a connection that was up is lost, INFO when
     * it is back with its subscriptions (jnats reports DISCONNECTED again after each failed attempt).
     * A lost connection also ends the requests whose replies it carried.
     */
    private final class ConnectionEvents implements ConnectionListener {
        private boolean down; // only jnats' callback thread touches it
        private long lostAt;

        @Override
        public void connectionEvent(Connection conn, ConnectionListener.Events type) {
            switch (type) {
                case DISCONNECTED -> {
                    if (!opened || closing) {
                        log.debug("NATS connection to {} disconnected (opened {}, closing {})", redactedUri, opened, closing);
                    } else if (!down) {
                        down = true;
                        lostAt = System.nanoTime();
                        log.warn("Lost the connection to NATS at {}; reconnecting every {} ms, sends buffered up to {}"
                                + " bytes meanwhile", redactedUri, settings.reconnectWait.toMillis(),
                                settings.reconnectBufferBytes);
                        // messages in flight to our reply subscription are gone; requests sent from now on
                        // are buffered and sent on reconnect
                        context.replies().onConnectionLost("the connection to NATS at " + redactedUri + " was lost");
                    } else {
                        log.debug("A reconnect attempt to NATS at {} failed", redactedUri);
                    }
                }
                case RECONNECTED -> outageBufferFull = false;
                case RESUBSCRIBED -> {
                    outageBufferFull = false;
                    if (down) {
                        down = false;
                        log.info("Reconnected to NATS at {} after {} ms; subscriptions restored", redactedUri,
                                (System.nanoTime() - lostAt) / 1_000_000);
                    }
                }
                case CLOSED -> {
                    if (opened && !closing) {
                        log.error("The connection to NATS at {} closed for good (last error: {}); this Broker can no"
                                + " longer send or receive: connect a new one", redactedUri, conn.getLastError());
                    } else {
                        log.debug("Closed the connection to NATS at {}", redactedUri);
                    }
                }
                default -> log.debug("NATS connection event {} ({})", type, redactedUri);
            }
        }
    }

    /** jnats' asynchronous errors, to SLF4J instead of java.util.logging. */
    private final class Errors implements ErrorListener {
        @Override
        public void errorOccurred(Connection conn, String error) {
            if (!opened && isLoginRefusal(error)) {
                // jnats would wait its whole connect timeout for a PONG that never comes: end the attempt now
                // (on a thread of its own: close() waits for jnats' callback thread, which this is)
                refusedLogin = error;
                Thread abort = new Thread(() -> closeQuietly(conn), "parley-nats-refused-login");
                abort.setDaemon(true);
                abort.start();
            } else if (!opened) {
                log.debug("NATS server at {} reported while connecting: {}", redactedUri, error);
            } else {
                log.warn("NATS server at {} reported: {}", redactedUri, error);
            }
        }

        @Override
        public void exceptionOccurred(Connection conn, Exception exp) {
            if (!opened || closing) { // the failure of a connect is thrown from open(), with its reason
                log.debug("NATS connection to {}: {}", redactedUri, exp.toString());
            } else if (!(exp instanceof IOException)) {
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
