package io.parley.internal;

import io.parley.api.BrokerClosedException;
import io.parley.api.CodecException;
import io.parley.api.Handler;
import io.parley.api.Message;
import io.parley.api.Subscriber;
import io.parley.api.codec.Codec;
import io.parley.spi.Envelope;
import io.parley.spi.Transport;
import io.parley.spi.TransportSubscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One subscription: runs the handler on its executor within its concurrency, and turns what the
 * handler returns (or throws) into replies. This is the only place that sends replies.
 */
final class ActiveSubscription<T> implements Subscriber {

    private static final Logger log = LoggerFactory.getLogger(ActiveSubscription.class);
    private static final long PERMIT_POLL_MILLIS = 50;
    static final int CODE_HANDLER_FAILED = 500;
    static final int CODE_UNDECODABLE = 400;

    private final String destination;
    private final Optional<String> group;
    private final Class<T> type;
    private final Handler<? super T> handler;
    private final Executor executor;
    private final int concurrency;
    private final Semaphore permits;
    private final boolean replies;
    private final boolean errorDetails;
    private final Transport transport;
    private final Codec codec;
    private final DefaultBroker broker;
    private volatile boolean active = true;
    private volatile TransportSubscription transportSubscription;
    // flow control, for a transport subscription that pauses: messages waiting for a slot, in arrival order
    private volatile TransportSubscription pausable;
    private final ArrayDeque<Waiting> backlog = new ArrayDeque<>();
    private boolean paused; // guarded by backlog

    /** A message that waits in the core for a handler slot, while its transport subscription pauses. */
    private record Waiting(Envelope envelope, CompletableFuture<Void> done) {
    }

    ActiveSubscription(DefaultBroker broker, Transport transport, Codec codec, String destination,
                       Optional<String> group, Class<T> type, Handler<? super T> handler, Executor executor,
                       int concurrency, boolean replies, boolean errorDetails) {
        this.broker = broker;
        this.transport = transport;
        this.codec = codec;
        this.destination = destination;
        this.group = group;
        this.type = type;
        this.handler = handler;
        this.executor = executor;
        this.concurrency = concurrency;
        this.permits = new Semaphore(concurrency);
        this.replies = replies;
        this.errorDetails = errorDetails;
    }

    void attach(TransportSubscription subscription) {
        this.transportSubscription = subscription;
        if (subscription.pausable()) {
            this.pausable = subscription;
        }
    }

    /**
     * Called by the transport per message. For a transport subscription that pauses, never blocks: a
     * message beyond the concurrency waits in the backlog, and a backlog of {@code concurrency} messages
     * pauses the transport. Otherwise blocks while the subscription is at its concurrency limit.
     */
    CompletionStage<Void> onMessage(Envelope envelope) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        TransportSubscription flow = pausable;
        if (flow != null) {
            boolean runNow = false;
            synchronized (backlog) { // pause and resume under the lock: in the order the core decided them
                if (active) {
                    runNow = backlog.isEmpty() && permits.tryAcquire();
                    if (!runNow) {
                        backlog.add(new Waiting(envelope, done));
                        if (!paused && backlog.size() >= concurrency) {
                            paused = true;
                            flow.pause();
                        }
                    }
                }
            }
            if (runNow) {
                start(envelope, done);
            } else if (!active && !done.isDone()) { // closed: not queued, given back
                done.completeExceptionally(notHandled("is closed"));
            }
            return done;
        }
        if (!acquirePermit()) {
            done.completeExceptionally(notHandled("is closed, or the thread delivering the message was interrupted"));
            return done;
        }
        start(envelope, done);
        return done;
    }

    private BrokerClosedException notHandled(String why) {
        return new BrokerClosedException("Subscription to '" + destination + "' " + why + "; the message was not handled");
    }

    /** Runs the handler for a message that holds a permit. */
    private void start(Envelope envelope, CompletableFuture<Void> done) {
        try {
            executor.execute(() -> handle(envelope, done));
        } catch (RejectedExecutionException e) {
            log.error("The handler executor of subscription '{}' refused a message", destination, e);
            done.completeExceptionally(e);
            slotFreed();
        }
    }

    /**
     * A handler slot is free: the next waiting message takes it, or the permit goes back. A paused
     * transport subscription resumes once half of its pause threshold is left.
     */
    private void slotFreed() {
        TransportSubscription flow = pausable;
        if (flow == null) {
            permits.release();
            return;
        }
        Waiting next;
        synchronized (backlog) {
            next = active ? backlog.poll() : null;
            if (next == null) {
                permits.release();
            }
            if (paused && active && backlog.size() <= concurrency / 2) {
                paused = false;
                flow.resume();
            }
        }
        if (next != null) {
            start(next.envelope(), next.done());
        }
    }

    private boolean acquirePermit() {
        try {
            while (active) {
                if (permits.tryAcquire(PERMIT_POLL_MILLIS, TimeUnit.MILLISECONDS)) {
                    if (active) {
                        return true;
                    }
                    permits.release();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return false;
    }

    private void handle(Envelope envelope, CompletableFuture<Void> done) {
        boolean answer = replies && envelope.replyTo() != null;
        // handlers may call message.reply() from a thread of their own (async handlers)
        List<CompletionStage<Void>> sent = answer ? Collections.synchronizedList(new ArrayList<>(1)) : List.of();
        if (envelope.problem() != null) { // the transport could not read it: the handler never sees it
            unreadable(envelope, answer, sent, done, "could not be read (" + envelope.problem() + ")");
            return;
        }
        ReceivedMessage message = new ReceivedMessage(envelope, codec,
                answer ? body -> sent.add(sendReply(envelope, body)) : null);
        T argument;
        try {
            argument = type == Message.class ? type.cast(message) : codec.decode(envelope.body(),
                    envelope.contentType(), type);
        } catch (RuntimeException e) {
            unreadable(envelope, answer, sent, done, "could not be decoded: " + e.getMessage());
            return;
        }
        Object result;
        try {
            result = handler.handle(argument);
        } catch (Throwable t) {
            failed(envelope, answer, sent, done, t);
            return;
        }
        if (result instanceof CompletionStage<?> stage) {
            stage.whenComplete((value, failure) -> {
                if (failure != null) {
                    failed(envelope, answer, sent, done, unwrap(failure));
                } else {
                    finish(envelope, answer, sent, done, value);
                }
            });
        } else {
            finish(envelope, answer, sent, done, result);
        }
    }

    /**
     * Bad input: logged once here (the one place, with where the broker keeps the message), answered
     * with a 400 error reply when it has a reply-to, and failed, so the transport settles it by its
     * policy for failed messages instead of delivering it again.
     */
    private void unreadable(Envelope envelope, boolean answer, List<CompletionStage<Void>> sent,
                            CompletableFuture<Void> done, String what) {
        String errorId = ErrorIds.next();
        log.warn("Subscription '{}' got a message that {} [{}, error id {}]; {}", destination, what, where(envelope),
                errorId, answer ? "answered with an error reply (400)" : "it has no reply-to, so nobody is told");
        if (answer) {
            sent.add(sendError(envelope, CODE_UNDECODABLE, errorDetails ? "the message " + what
                    : "the request could not be read or decoded (error id " + errorId + ")"));
        }
        completeAfter(sent, done, new CodecException("Subscription '" + destination + "': the message " + what));
    }

    /** Where a received message is, for log lines: its broker position and correlation id when known. */
    private static String where(Envelope envelope) {
        String position = envelope.position() == null ? "" : envelope.position() + ", ";
        return position + "correlation id " + envelope.correlationId();
    }

    private void finish(Envelope envelope, boolean answer, List<CompletionStage<Void>> sent,
                        CompletableFuture<Void> done, Object result) {
        if (!answer) {
            completeAfter(sent, done, null);
            return;
        }
        try {
            Iterator<?> many = result instanceof Stream<?> stream ? stream.iterator()
                    : result instanceof Iterator<?> iterator ? iterator : null;
            if (many == null) {
                sent.add(sendReply(envelope, result));
            } else {
                while (many.hasNext()) {
                    sent.add(sendReply(envelope, many.next()));
                }
                sent.add(sendReply(envelope, null)); // end-of-stream sentinel
            }
        } catch (Throwable t) { // a lazy stream that throws, or a value the codec cannot encode
            failed(envelope, true, sent, done, t);
            return;
        } finally {
            if (result instanceof Stream<?> stream) {
                stream.close();
            }
        }
        completeAfter(sent, done, null);
    }

    private void failed(Envelope envelope, boolean answer, List<CompletionStage<Void>> sent,
                        CompletableFuture<Void> done, Throwable failure) {
        String errorId = ErrorIds.next();
        log.warn("Handler of '{}' failed [{}, error id {}]", destination, where(envelope), errorId, failure);
        if (answer) {
            String text = !errorDetails ? "the handler failed (error id " + errorId + ")"
                    : failure.getMessage() == null ? failure.getClass().getName()
                    : failure.getClass().getSimpleName() + ": " + failure.getMessage();
            sent.add(sendError(envelope, CODE_HANDLER_FAILED, text));
        }
        completeAfter(sent, done, failure);
    }

    private CompletionStage<Void> sendReply(Envelope request, Object body) {
        Outgoing outgoing = Outgoing.of(body, codec, Map.of());
        Envelope reply = outgoing.envelope(request.replyTo()).correlationId(request.correlationId()).build();
        return transport.reply(request, reply);
    }

    private CompletionStage<Void> sendError(Envelope request, int code, String text) {
        String oneLine = text == null ? "error" : text.replaceAll("[\\r\\n]+", " ");
        Envelope reply = Envelope.builder(request.replyTo())
                .correlationId(request.correlationId())
                .body(oneLine.getBytes(StandardCharsets.UTF_8))
                .contentType("text/plain")
                .header(Envelope.ERROR, oneLine)
                .header(Envelope.ERROR_CODE, Integer.toString(code))
                .build();
        try {
            return transport.reply(request, reply);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Ends the handling of one message: frees its concurrency permit at once (the handler is done and
     * its replies are handed to the transport), and completes {@code done} once every reply was sent:
     * the transport acknowledges after that. Holding the permit until a broker confirmed the replies
     * would cap a subscription at concurrency / reply round trip (Kafka: 16 per ~2 ms).
     */
    private void completeAfter(List<CompletionStage<Void>> sent, CompletableFuture<Void> done, Throwable failure) {
        slotFreed();
        CompletableFuture<?>[] all;
        synchronized (sent) {
            all = sent.stream().map(CompletionStage::toCompletableFuture)
                .toArray(CompletableFuture<?>[]::new);
        }
        CompletableFuture.allOf(all).whenComplete((ignored, sendFailure) -> {
            if (sendFailure != null) {
                log.warn("Could not send a reply from '{}'", destination, unwrap(sendFailure));
            }
            Throwable outcome = failure != null ? failure : sendFailure;
            if (outcome != null) {
                done.completeExceptionally(outcome);
            } else {
                done.complete(null);
            }
        });
    }

    /** The real failure behind a CompletionException. */
    static Throwable unwrap(Throwable failure) {
        return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    }

    /** Stops deliveries; does not wait. Messages waiting in the backlog are given back unhandled. */
    void stop() {
        active = false;
        List<Waiting> givenBack;
        synchronized (backlog) {
            givenBack = new ArrayList<>(backlog);
            backlog.clear();
        }
        for (Waiting waiting : givenBack) {
            waiting.done().completeExceptionally(notHandled("is closed"));
        }
        TransportSubscription subscription = transportSubscription;
        if (subscription != null) {
            try {
                subscription.close();
            } catch (RuntimeException e) {
                log.warn("Closing the transport subscription of '{}' failed", destination, e);
            }
        }
    }

    /**
     * Waits until running handlers finished, at most {@code timeout}; their replies are then with the
     * transport, which sends what it holds before it closes.
     */
    boolean awaitIdle(Duration timeout) {
        try {
            if (permits.tryAcquire(concurrency, timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                permits.release(concurrency);
                return true;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.warn("Subscription '{}' still had running handlers after {}", destination, timeout);
        return false;
    }

    @Override
    public String destination() {
        return destination;
    }

    @Override
    public Optional<String> group() {
        return group;
    }

    @Override
    public boolean isActive() {
        return active;
    }

    @Override
    public void close() {
        if (active) {
            // an interrupted caller does not wait for running handlers, but the transport still closes
            // cleanly (clients abort their own close when interrupted); the flag is given back at the end
            boolean interrupted = Thread.interrupted();
            stop();
            if (!interrupted) {
                awaitIdle(broker.closeTimeout());
            }
            broker.forget(this);
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String toString() {
        return "Subscriber[destination=" + destination + group.map(g -> ", group=" + g).orElse("") + "]";
    }
}
