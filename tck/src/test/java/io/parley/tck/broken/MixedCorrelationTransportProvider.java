package io.parley.tck.broken;

import io.parley.api.SubscribeOptions;
import io.parley.spi.Envelope;
import io.parley.spi.InboundHandler;
import io.parley.spi.Transport;
import io.parley.spi.TransportContext;
import io.parley.spi.TransportProvider;
import io.parley.spi.TransportSubscription;

import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * {@code broken-mix://bus}: memory:// with the "one outstanding request per connection" bug. The
 * responder side remembers only the correlation id of the most recent request it delivered (one
 * field per connection, shared by all its subscriptions) and stamps every reply with it. Requests
 * one at a time still work; concurrent requests get each other's replies (or none).
 * Test code only.
 */
public final class MixedCorrelationTransportProvider implements TransportProvider {

    @Override
    public String name() {
        return "broken-mix";
    }

    @Override
    public Set<String> schemes() {
        return Set.of("broken-mix");
    }

    @Override
    public Transport open(TransportContext context) {
        return new MixedCorrelationTransport(context);
    }

    private static final class MixedCorrelationTransport extends DelegatingTransport {

        /** The correlation id of the request this connection delivered last: the bug. */
        private volatile String latestCorrelationId;

        MixedCorrelationTransport(TransportContext context) {
            super(context);
        }

        @Override
        public TransportSubscription subscribe(String destination, SubscribeOptions options, InboundHandler handler) {
            return delegate.subscribe(destination, options, message -> {
                if (message.replyTo() != null) {
                    latestCorrelationId = message.correlationId();
                }
                return handler.onMessage(message);
            });
        }

        @Override
        public CompletionStage<Void> reply(Envelope request, Envelope reply) {
            return delegate.reply(request, reply.toBuilder().correlationId(latestCorrelationId).build());
        }
    }
}
