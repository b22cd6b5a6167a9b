package io.parley.fakes;

import io.parley.api.SubscribeOptions;
import io.parley.spi.Envelope;
import io.parley.spi.InboundHandler;
import io.parley.spi.ReplyListener;
import io.parley.spi.Transport;
import io.parley.spi.TransportContext;
import io.parley.spi.TransportProvider;
import io.parley.spi.TransportSubscription;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * {@code scripted://<name>}: a transport a test drives by hand. {@link #get(String)} gives the test
 * the transport of that name: it delivers envelopes to a subscription as a broker client would, and
 * reads what the core sent.
 */
public final class ScriptedTransportProvider implements TransportProvider {

    private static final Map<String, Scripted> OPEN = new ConcurrentHashMap<>();

    /** The open transport connected as {@code scripted://<name>}. */
    public static Scripted get(String name) {
        return OPEN.get(name);
    }

    @Override
    public String name() {
        return "scripted";
    }

    @Override
    public Set<String> schemes() {
        return Set.of("scripted");
    }

    @Override
    public Transport open(TransportContext context) {
        Scripted transport = new Scripted(context.uri().getHost(), context.replies());
        OPEN.put(transport.name, transport);
        return transport;
    }

    /** What the test sees of one connection. */
    public static final class Scripted implements Transport {
        private final String name;
        private final ReplyListener replies;
        private final Map<String, InboundHandler> handlers = new ConcurrentHashMap<>();
        /** Everything the core sent: publishes, requests and replies. */
        public final BlockingQueue<Envelope> sent = new LinkedBlockingQueue<>();

        Scripted(String name, ReplyListener replies) {
            this.name = name;
            this.replies = replies;
        }

        /** Where this connection hands the replies it receives: the core's pending table. */
        public ReplyListener replies() {
            return replies;
        }

        /** Hands {@code envelope} to the subscription of its destination, as a delivery thread would. */
        public CompletionStage<Void> deliver(Envelope envelope) {
            return handlers.get(envelope.destination()).onMessage(envelope);
        }

        @Override
        public CompletionStage<Void> publish(Envelope message) {
            sent.add(message);
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletionStage<Void> request(Envelope request) {
            return publish(request);
        }

        @Override
        public TransportSubscription subscribe(String destination, SubscribeOptions options, InboundHandler handler) {
            handlers.put(destination, handler);
            return () -> handlers.remove(destination);
        }

        @Override
        public void close() {
            OPEN.remove(name);
        }
    }
}
