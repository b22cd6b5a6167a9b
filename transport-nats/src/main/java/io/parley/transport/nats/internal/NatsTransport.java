package io.parley.transport.nats.internal;

import io.nats.client.AuthHandler;
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
import io.parley.spi.TlsSupport;
import io.parley.spi.Transport;
import io.parley.spi.TransportContext;
import io.parley.spi.TransportSubscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLException;
import java.io.IOException;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

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
    private static final long ABORT_POLL_NANOS = 1_000_000;

    private final TransportContext context;
    private final String redactedUri;
    private final NatsSettings settings;
    private volatile boolean opened; // connected once: from then on, losses are outages worth a WARN
    private volatile boolean closing;
    private volatile String refusedLogin; // the server's words, when it refused the credentials at connect
    private volatile ConnectionException tlsRefused; // the first TLS failure of the first connect, said plainly
    private volatile boolean tlsWarned; // a reconnect's TLS failure was logged (once per outage)
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
        if (settings.tls) {
            options.sslContext(TlsSupport.context(context.options()));
            // jnats connects to a host's addresses by IP, and its data port would then check the certificate
            // against the IP: in this mode the data port keeps the URI's host name (and resolves it itself)
            options.hostnameResolveMode(Options.HostnameResolveMode.HappyEyeballs);
        }
        AuthHandler credentials = settings.authHandler();
        if (credentials != null) {
            options.authHandler(credentials);
        } else if (settings.token != null) {
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
            if (tlsRefused != null) {
                throw tlsRefused;
            }
            throw new ConnectionException("Cannot connect to NATS at " + redactedUri + " (" + e.getMessage()
                    + "); check that nats-server runs there", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConnectionException("Interrupted while connecting to NATS at " + redactedUri, e);
        }
        if (refusedLogin != null || tlsRefused != null || connected.getStatus() != Connection.Status.CONNECTED) {
            closeQuietly(connected);
            if (refusedLogin != null) {
                throw refused(refusedLogin, null);
            }
            if (tlsRefused != null) {
                throw tlsRefused;
            }
            throw new ConnectionException("Cannot connect to NATS at " + redactedUri + " (the connection is "
                    + connected.getStatus() + ", last error: " + connected.getLastError() + ")");
        }
        return connected;
    }

    private ConnectionException refused(String serverSays, Throwable cause) {
        return new ConnectionException("The NATS server at " + redactedUri + " refused the login (" + serverSays
                + "): check " + settings.credentialsHint(), cause);
    }

    /**
     * Keeps the first TLS failure of the first connect as the exception {@code open} throws. jnats reports
     * it only to the error listener and then fails with "Unable to connect", or, when a TLS 1.3 server
     * refuses the client's certificate after the handshake, waits for its connect timeout.
     */
    private boolean tlsFailed(Throwable failure, String host) {
        if (opened || closing || tlsRefused != null) {
            return false;
        }
        if (jnatsSays(failure, "SSL required by server")) { // nats:// without TLS options to a TLS-only server
            tlsRefused = new ConnectionException("Cannot connect to NATS at " + redactedUri + ": "
                    + TlsSupport.tlsRequired(host) + " (tls://)", failure);
            return true;
        }
        if (jnatsSays(failure, "SSL connection wanted by client")) { // the server offers no TLS
            tlsRefused = new ConnectionException("Cannot connect to NATS at " + redactedUri + ": "
                    + TlsSupport.notTls(host), failure);
            return true;
        }
        tlsRefused = TlsSupport.connectionFailure(failure, host, "NATS at " + redactedUri).orElse(null);
        return tlsRefused != null;
    }

    /** Whether {@code failure} or a cause of it is one of jnats' own exceptions with this message. */
    private static boolean jnatsSays(Throwable failure, String words) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t.getMessage() != null && t.getMessage().startsWith(words)) {
                return true;
            }
        }
        return false;
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
                case RECONNECTED -> {
                    outageBufferFull = false;
                    tlsWarned = false;
                }
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

    /**
     * Ends a first connect that cannot succeed, instead of leaving jnats to wait for its timeout: on a
     * thread of its own, as close() waits for jnats' callback and reader threads, which call this.
     */
    private void abort(Connection conn) {
        Thread abort = new Thread(() -> {
            // close() cancels the PING that the connect waits for only if it is queued already (a TLS
            // alert can come before): wait for it, briefly (a sent PING is counted right after)
            long deadline = System.nanoTime() + settings.connectTimeout.toNanos();
            while (conn.getStatistics().getPings() == 0 && conn.getStatus() != Connection.Status.CLOSED
                    && System.nanoTime() < deadline) {
                LockSupport.parkNanos(ABORT_POLL_NANOS);
            }
            closeQuietly(conn);
        }, "parley-nats-abort-connect");
        abort.setDaemon(true);
        abort.start();
    }

    /**
     * jnats' asynchronous errors, to SLF4J instead of java.util.logging; and the TLS policy of the
     * transport's data ports, which reach the transport only through their options' error listener.
     */
    private final class Errors implements ErrorListener, GuardedDataPort.TlsPolicy {
        @Override
        public boolean verifyHostname() {
            return TlsSupport.verifyHostname(context.options());
        }

        @Override
        public void handshakeFailed(String host, IOException failure) {
            // with TLS 1.2 a server that refuses the client's certificate may close the socket before the
            // client has read its alert: the client sees only a broken pipe or a reset
            connectFailed(failure instanceof SSLException ? failure : new SSLException("the server closed the"
                    + " connection during the handshake (" + failure.getMessage() + "); it may require a client"
                    + " certificate (mutual TLS) that it trusts", failure), host);
        }

        @Override
        public void readFailed(Connection conn, String host, SSLException failure) {
            // only while connecting: once connected, a failed read is a lost connection like any other
            if (conn.getStatus() != Connection.Status.CONNECTED && connectFailed(failure, host)) {
                abort(conn);
            }
        }

        /**
         * A connect attempt failed on TLS: at the first connect, what {@code open} throws; later, jnats
         * tries again and again, and a WARN says once per outage why it does not get back.
         */
        private boolean connectFailed(Throwable failure, String host) {
            log.debug("TLS with {} ({}) failed: {}", host, redactedUri, failure.toString());
            if (!opened) {
                return tlsFailed(failure, host);
            }
            if (!closing && !tlsWarned) {
                tlsWarned = true;
                log.warn("Reconnecting to NATS at {} fails: {}", redactedUri,
                        TlsSupport.describeFailure(failure, host).orElse(failure.toString()));
            }
            return false;
        }

        @Override
        public void errorOccurred(Connection conn, String error) {
            if (!opened && isLoginRefusal(error)) {
                // jnats would wait its whole connect timeout for a PONG that never comes: end the attempt now
                refusedLogin = error;
                abort(conn);
            } else if (!opened) {
                log.debug("NATS server at {} reported while connecting: {}", redactedUri, error);
            } else {
                log.warn("NATS server at {} reported: {}", redactedUri, error);
            }
        }

        @Override
        public void exceptionOccurred(Connection conn, Exception exp) {
            if (!opened || closing) { // the failure of a connect is thrown from open(), with its reason
                tlsFailed(exp, null); // jnats' own "SSL ... wanted/required" (the data port tells its failures first)
                log.debug("NATS connection to {}: {}", redactedUri, exp.toString());
            } else if (!(exp instanceof IOException || exp instanceof ExecutionException && exp.getCause() instanceof IOException)) {
                log.warn("NATS connection to {}: {}", redactedUri, exp.toString());
            } else { // a lost socket (then DISCONNECTED is logged) or a failed reconnect attempt (its handshake, run by
                // jnats on a thread of its own, in an ExecutionException): not WARN each time
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
