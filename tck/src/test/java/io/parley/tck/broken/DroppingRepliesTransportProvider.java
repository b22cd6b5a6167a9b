package io.parley.tck.broken;

import io.parley.spi.Envelope;
import io.parley.spi.Transport;
import io.parley.spi.TransportContext;
import io.parley.spi.TransportProvider;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * {@code broken-drop://bus}: memory:// that loses every reply a handler sends (values, error
 * replies, the replies of many and the end-of-stream sentinel alike) while reporting success.
 * Publish, request and subscribe work. Test code only: the kit must fail every rule that needs a reply.
 */
public final class DroppingRepliesTransportProvider implements TransportProvider {

    @Override
    public String name() {
        return "broken-drop";
    }

    @Override
    public Set<String> schemes() {
        return Set.of("broken-drop");
    }

    @Override
    public Transport open(TransportContext context) {
        return new DroppingRepliesTransport(context);
    }

    private static final class DroppingRepliesTransport extends DelegatingTransport {

        DroppingRepliesTransport(TransportContext context) {
            super(context);
        }

        @Override
        public CompletionStage<Void> reply(Envelope request, Envelope reply) {
            return CompletableFuture.completedFuture(null); // "sent": silently lost
        }
    }
}
