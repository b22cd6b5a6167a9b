package io.parley.tck;

import io.parley.api.ConfigurationException;
import io.parley.api.SubscribeOptions;
import io.parley.spi.Envelope;
import io.parley.spi.InboundHandler;
import io.parley.spi.ReplyListener;
import io.parley.spi.Transport;
import io.parley.spi.TransportContext;
import io.parley.spi.TransportProvider;
import io.parley.spi.TransportSubscription;

import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The kit's window on the acknowledgement contract (rule 13.14): a transport, chosen by name only
 * ({@code BrokerOptions.transport("parley-tck-observer")}), that hands everything to the transport
 * under test and keeps, per destination, the stage the core returns for each delivered message: the
 * stage a transport acknowledges or rejects by. It claims no URI scheme, so discovery by scheme never
 * finds it. Not for applications.
 */
public final class ObservingTransportProvider implements TransportProvider {

    /** The name that selects this provider. */
    public static final String NAME = "parley-tck-observer";
    /** The property that names the transport under test, which this one delegates to. */
    static final String OBSERVED = "tck.observed-transport";
    /** The property that names one observed connection, so the kit can reach its reply listener. */
    static final String CONNECTION = "tck.observed-connection";
    /**
     * The property that lets the core see whether the observed subscriptions pause ({@code true}); without
     * it they say they do not, so that the core's blocking back-pressure runs on every transport.
     */
    static final String PAUSABLE = "tck.observed-pausable";

    private static final Map<String, List<CompletionStage<Void>>> OUTCOMES = new ConcurrentHashMap<>();
    private static final Map<String, InboundHandler> HANDLERS = new ConcurrentHashMap<>();
    private static final Map<String, ReplyListener> LISTENERS = new ConcurrentHashMap<>();
    private static final Map<String, Failure> FAILURES = new ConcurrentHashMap<>();
    private static final Map<String, List<Envelope>> REPLIES = new ConcurrentHashMap<>();
    private static final Map<String, List<Envelope>> REQUESTS = new ConcurrentHashMap<>();
    private static final Map<String, List<String>> FLOW = new ConcurrentHashMap<>();
    private static final Map<String, Boolean> PAUSES = new ConcurrentHashMap<>();
    private static final Map<String, int[]> CALLS = new ConcurrentHashMap<>();

    /** How the next call on a destination fails, as a transport's client may: by throwing, or by its stage. */
    record Failure(Throwable failure, boolean thrown) {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Set<String> schemes() {
        return Set.of();
    }

    @Override
    public Transport open(TransportContext context) {
        String observed = context.options().properties().get(OBSERVED);
        TransportProvider delegate = ServiceLoader.load(TransportProvider.class).stream()
                .map(ServiceLoader.Provider::get)
                .filter(provider -> provider.name().equalsIgnoreCase(String.valueOf(observed))
                        && !NAME.equals(provider.name())) // never itself: that would wrap forever
                .findFirst()
                .orElseThrow(() -> new ConfigurationException("The kit's observer found no transport named '"
                        + observed + "' (property " + OBSERVED + ")"));
        String connection = context.options().properties().get(CONNECTION);
        if (connection != null) {
            LISTENERS.put(connection, context.replies());
        }
        return new Observed(delegate.open(context), Boolean.parseBoolean(context.options().properties().get(PAUSABLE)));
    }

    /** The replies the core handed the transport for messages received from {@code destination}, in order. */
    static List<Envelope> repliesSent(String destination) {
        return REPLIES.computeIfAbsent(destination, key -> new CopyOnWriteArrayList<>());
    }

    /** The calls of the core to pause and resume the subscriptions to {@code destination}: "pause", "resume". */
    static List<String> flowCalls(String destination) {
        return FLOW.computeIfAbsent(destination, key -> new CopyOnWriteArrayList<>());
    }

    /** Whether the transport's last subscription to {@code destination} said it pauses. */
    static boolean pausable(String destination) {
        return PAUSES.getOrDefault(destination, false);
    }

    /**
     * How many calls of the core's {@code onMessage} for {@code destination} have not returned yet: a
     * transport's delivering threads the core holds.
     */
    static int callsHeld(String destination) {
        int[] calls = CALLS.computeIfAbsent(destination, key -> new int[2]);
        synchronized (calls) {
            return calls[0] - calls[1];
        }
    }

    private static void count(String destination, int which) {
        int[] calls = CALLS.computeIfAbsent(destination, key -> new int[2]);
        synchronized (calls) {
            calls[which]++;
        }
    }

    /** The requests to {@code destination} the core handed the transport, in order. */
    static List<Envelope> requestsSent(String destination) {
        return REQUESTS.computeIfAbsent(destination, key -> new CopyOnWriteArrayList<>());
    }

    /** The listener the core gave the observed connection named {@code connection} (property {@link #CONNECTION}). */
    static ReplyListener replies(String connection) {
        ReplyListener listener = LISTENERS.get(connection);
        if (listener == null) {
            throw new IllegalStateException("no observed connection is named " + connection);
        }
        return listener;
    }

    /**
     * Makes the next subscribe, publish or request on {@code destination}, or reply to a message received from
     * it, fail instead of reaching the transport.
     */
    static void failNext(String destination, Throwable failure, boolean thrown) {
        FAILURES.put(destination, new Failure(failure, thrown));
    }

    /** The failure set for {@code destination}, thrown if so; else null and the call goes on to the transport. */
    private static CompletionStage<Void> failed(String destination) {
        Failure next = FAILURES.remove(destination);
        if (next == null) {
            return null;
        }
        if (next.thrown()) {
            if (next.failure() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException("only a RuntimeException can be thrown", next.failure());
        }
        return CompletableFuture.failedFuture(next.failure());
    }

    /** The stages the core returned for the messages delivered on {@code destination}, in delivery order. */
    static List<CompletionStage<Void>> outcomes(String destination) {
        return OUTCOMES.computeIfAbsent(destination, key -> new CopyOnWriteArrayList<>());
    }

    /**
     * The handler the core gave for the last subscription to {@code destination}, so the kit can hand it
     * a message as a transport would, at a moment of its choosing (rule 13.17: after close).
     */
    static InboundHandler handler(String destination) {
        InboundHandler handler = HANDLERS.get(destination);
        if (handler == null) {
            throw new IllegalStateException("no subscription to " + destination + " went through the observer");
        }
        return handler;
    }

    private static final class Observed implements Transport {
        private final Transport delegate;
        private final boolean pausable;

        Observed(Transport delegate, boolean pausable) {
            this.delegate = delegate;
            this.pausable = pausable;
        }

        @Override
        public CompletionStage<Void> publish(Envelope message) {
            CompletionStage<Void> failed = failed(message.destination());
            return failed != null ? failed : delegate.publish(message);
        }

        @Override
        public CompletionStage<Void> request(Envelope request) {
            requestsSent(request.destination()).add(request);
            CompletionStage<Void> failed = failed(request.destination());
            return failed != null ? failed : delegate.request(request);
        }

        @Override
        public CompletionStage<Void> reply(Envelope request, Envelope reply) {
            repliesSent(request.destination()).add(reply);
            CompletionStage<Void> failed = failed(request.destination());
            return failed != null ? failed : delegate.reply(request, reply);
        }

        @Override
        public TransportSubscription subscribe(String destination, SubscribeOptions options, InboundHandler handler) {
            failed(destination);
            List<CompletionStage<Void>> outcomes = outcomes(destination);
            HANDLERS.put(destination, handler);
            TransportSubscription subscription = delegate.subscribe(destination, options, message -> {
                count(destination, 0);
                try {
                    CompletionStage<Void> outcome = handler.onMessage(message);
                    outcomes.add(outcome);
                    return outcome;
                } finally {
                    count(destination, 1);
                }
            });
            PAUSES.put(destination, subscription.pausable());
            List<String> flow = flowCalls(destination);
            return new TransportSubscription() {
                @Override
                public boolean pausable() {
                    return pausable && subscription.pausable();
                }

                @Override
                public void pause() {
                    flow.add("pause");
                    subscription.pause();
                }

                @Override
                public void resume() {
                    flow.add("resume");
                    subscription.resume();
                }

                @Override
                public void close() {
                    subscription.close();
                }
            };
        }

        @Override
        public void close() {
            delegate.close();
        }
    }
}
