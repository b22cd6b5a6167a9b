package io.parley.internal;

import io.parley.api.Broker;
import io.parley.api.BrokerClosedException;
import io.parley.api.BrokerOptions;
import io.parley.api.ConnectionException;
import io.parley.api.Handler;
import io.parley.api.Message;
import io.parley.api.MessagingException;
import io.parley.api.PublishOptions;
import io.parley.api.RequestException;
import io.parley.api.RequestException.Reason;
import io.parley.api.RequestOptions;
import io.parley.api.RpcClient;
import io.parley.api.SubscribeOptions;
import io.parley.api.Subscriber;
import io.parley.spi.Envelope;
import io.parley.spi.ReplyListener;
import io.parley.spi.Transport;
import io.parley.spi.TransportContext;
import io.parley.spi.TransportProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * The core: one per connection. Owns the pending-request table, the timeout timer, the handler
 * pool and the subscriptions; the transport underneath only moves envelopes.
 */
public final class DefaultBroker implements Broker, RpcClient {

    private static final Logger log = LoggerFactory.getLogger(DefaultBroker.class);
    private static final AtomicInteger BROKERS = new AtomicInteger();

    private final String transportName;
    private final String redactedUri;
    private final BrokerOptions options;
    private final ScheduledThreadPoolExecutor timer;
    private final PendingRequests pending;
    private final ExecutorService ownedExecutor;
    private final Executor handlerExecutor;
    private final Set<ActiveSubscription<?>> subscriptions = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();
    private Transport transport;

    private DefaultBroker(String transportName, String redactedUri, BrokerOptions options) {
        int id = BROKERS.incrementAndGet();
        this.transportName = transportName;
        this.redactedUri = redactedUri;
        this.options = options;
        this.timer = new ScheduledThreadPoolExecutor(1, daemonThreads("parley-" + id + "-timeouts"));
        this.pending = new PendingRequests(options.maxPendingRequests(), transportName, options.codec(), timer);
        if (options.handlerExecutor().isPresent()) {
            this.ownedExecutor = null;
            this.handlerExecutor = options.handlerExecutor().get();
        } else {
            this.ownedExecutor = Executors.newCachedThreadPool(daemonThreads("parley-" + id + "-handler"));
            this.handlerExecutor = ownedExecutor;
        }
    }

    /** Finds the transport (see {@link TransportDiscovery}) and connects. */
    public static Broker connect(String uri, BrokerOptions options) {
        Objects.requireNonNull(options, "options");
        BrokerUri parsed = BrokerUri.parse(uri);
        TransportProvider provider = TransportDiscovery.select(parsed, options);
        DefaultBroker broker = new DefaultBroker(provider.name(), parsed.redacted(), options);
        try {
            broker.transport = Objects.requireNonNull(provider.open(broker.context(parsed)),
                    () -> provider.getClass().getName() + ".open returned null");
        } catch (RuntimeException e) {
            broker.releaseResources();
            if (e instanceof MessagingException) {
                throw e;
            }
            throw new ConnectionException("Cannot connect to " + parsed.redacted() + " with transport '"
                    + provider.name() + "': " + e.getClass().getSimpleName()
                    + ". Check that the broker runs and the URI is right; if they are, the transport itself failed"
                    + " (the cause says where).", e);
        }
        log.debug("Connected to {} with transport '{}'", parsed.redacted(), provider.name());
        return broker;
    }

    private TransportContext context(BrokerUri parsed) {
        return new TransportContext() {
            @Override
            public URI uri() {
                return parsed.uri();
            }

            @Override
            public String redactedUri() {
                return parsed.redacted();
            }

            @Override
            public BrokerOptions options() {
                return options;
            }

            @Override
            public ReplyListener replies() {
                return pending;
            }
        };
    }

    // ---- Broker ----

    @Override
    public <T> Subscriber subscribe(String destination, Class<T> type, SubscribeOptions subscribeOptions,
                                    Handler<? super T> handler) {
        requireDestination(destination);
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(subscribeOptions, "options");
        Objects.requireNonNull(handler, "handler");
        ensureOpen();
        ActiveSubscription<T> subscription = new ActiveSubscription<>(this, transport, options.codec(), destination,
                subscribeOptions.group(), type, handler, subscribeOptions.executor().orElse(handlerExecutor),
                subscribeOptions.concurrency().orElse(options.handlerConcurrency()), subscribeOptions.replies(),
                subscribeOptions.errorDetails().orElse(options.errorDetails()));
        subscriptions.add(subscription);
        try {
            subscription.attach(transport.subscribe(destination, subscribeOptions, subscription::onMessage));
        } catch (RuntimeException e) {
            subscriptions.remove(subscription);
            subscription.stop();
            throw asMessaging(e, "Cannot subscribe to '" + destination + "'");
        }
        return subscription;
    }

    @Override
    public CompletableFuture<Void> publish(String destination, Object body, PublishOptions publishOptions) {
        requireDestination(destination);
        Objects.requireNonNull(publishOptions, "options");
        ensureOpen();
        Envelope envelope = Outgoing.of(body, options.codec(), publishOptions.headers()).envelope(destination)
                .correlationId(publishOptions.correlationId().orElseGet(CorrelationIds::next))
                .replyTo(publishOptions.replyTo().orElse(null))
                .build();
        try {
            return transport.publish(envelope).toCompletableFuture()
                    .exceptionallyCompose(e -> CompletableFuture.failedFuture(
                            asMessaging(ActiveSubscription.unwrap(e), "Publish to '" + destination + "' failed")));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(asMessaging(e, "Publish to '" + destination + "' failed"));
        }
    }

    @Override
    public RpcClient rpc() {
        return this;
    }

    @Override
    public String transportName() {
        return transportName;
    }

    // ---- RpcClient ----

    @Override
    public Optional<Message> request(String destination, Object body, RequestOptions requestOptions) {
        CompletableFuture<Message> reply = requestAsync(destination, body, requestOptions);
        try {
            return Optional.of(reply.get());
        } catch (ExecutionException e) {
            Throwable failure = e.getCause();
            if (SingleReply.isTimeout(failure) && !requestOptions.throwsOnTimeout()) {
                return Optional.empty();
            }
            throw failure instanceof RuntimeException runtime ? runtime
                    : new MessagingException("Request to '" + destination + "' failed", failure);
        } catch (InterruptedException e) {
            reply.cancel(false);
            Thread.currentThread().interrupt();
            throw new RequestException(Reason.CANCELLED, destination, null, transportName,
                    "the waiting thread was interrupted");
        }
    }

    @Override
    public CompletableFuture<Message> requestAsync(String destination, Object body, RequestOptions requestOptions) {
        Outgoing outgoing = prepareRequest(destination, body, requestOptions);
        SingleReply entry = new SingleReply(pending, CorrelationIds.next(), destination, timeoutOf(requestOptions));
        send(entry, outgoing);
        return entry.future();
    }

    @Override
    public Stream<Message> requestMany(String destination, Object body, RequestOptions requestOptions) {
        Outgoing outgoing = prepareRequest(destination, body, requestOptions);
        ReplyStream entry = new ReplyStream(pending, CorrelationIds.next(), destination, timeoutOf(requestOptions),
                requestOptions);
        send(entry, outgoing);
        return entry.stream();
    }

    @Override
    public int pendingRequests() {
        return pending.size();
    }

    private Outgoing prepareRequest(String destination, Object body, RequestOptions requestOptions) {
        requireDestination(destination);
        Objects.requireNonNull(requestOptions, "options");
        ensureOpen();
        return Outgoing.of(body, options.codec(), requestOptions.headers());
    }

    private Duration timeoutOf(RequestOptions requestOptions) {
        return requestOptions.waitsForever() ? null : requestOptions.timeout().orElse(options.requestTimeout());
    }

    /** Registers the entry before sending, so that no reply can arrive before anyone waits for it. */
    private void send(PendingRequests.Pending entry, Outgoing outgoing) {
        if (!pending.register(entry)) {
            return;
        }
        Envelope request = outgoing.envelope(entry.destination).correlationId(entry.correlationId)
                .timeToLive(entry.timeout).build();
        try {
            transport.request(request).whenComplete((ignored, failure) -> {
                if (failure != null) {
                    entry.fail(sendFailure(entry, ActiveSubscription.unwrap(failure)));
                }
            });
        } catch (RuntimeException e) {
            entry.fail(sendFailure(entry, e));
        }
    }

    private RequestException sendFailure(PendingRequests.Pending entry, Throwable failure) {
        if (failure instanceof RequestException known) {
            return known;
        }
        return pending.failure(Reason.SEND_FAILED, entry, "the transport could not send it: " + failure, failure);
    }

    // ---- lifecycle ----

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        // interrupted before or while it waits for handlers, close stops waiting but still releases
        // everything (clients abort their own close when interrupted); the flag is given back at the end
        boolean interrupted = Thread.interrupted();
        pending.closeAll();
        for (ActiveSubscription<?> subscription : subscriptions) {
            subscription.stop();
        }
        if (!interrupted) {
            long deadline = System.nanoTime() + options.closeTimeout().toNanos();
            for (ActiveSubscription<?> subscription : subscriptions) {
                subscription.awaitIdle(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            }
            interrupted = Thread.interrupted();
        }
        subscriptions.clear();
        try {
            transport.close();
        } catch (RuntimeException e) {
            log.warn("Closing transport '{}' for {} failed", transportName, redactedUri, e);
        }
        releaseResources();
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void releaseResources() {
        timer.shutdownNow();
        if (ownedExecutor != null) {
            ownedExecutor.shutdown();
        }
    }

    Duration closeTimeout() {
        return options.closeTimeout();
    }

    void forget(ActiveSubscription<?> subscription) {
        subscriptions.remove(subscription);
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new BrokerClosedException("The broker for " + redactedUri + " (transport '" + transportName
                    + "') is closed; connect a new one");
        }
    }

    private static void requireDestination(String destination) {
        if (destination == null || destination.isBlank()) {
            throw new IllegalArgumentException("destination must not be null or blank");
        }
    }

    private MessagingException asMessaging(Throwable failure, String what) {
        if (failure instanceof MessagingException known) {
            return known;
        }
        return new MessagingException(what + " [transport=" + transportName + "]: " + failure, failure);
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    @Override
    public String toString() {
        return "Broker[" + transportName + " " + redactedUri + "]";
    }
}
