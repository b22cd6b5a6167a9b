package io.parley.examples;

import io.parley.api.SubscribeOptions;
import io.parley.spi.Envelope;
import io.parley.spi.InboundHandler;
import io.parley.spi.Transport;
import io.parley.spi.TransportContext;
import io.parley.spi.TransportProvider;
import io.parley.spi.TransportSubscription;

import java.io.IOException;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * {@code deaf://}: a transport that connects but can send nothing, so that RpcDemoTest can check that
 * the demo, used as a smoke test, fails (fast) when the transport under it does not work.
 */
public final class DeafTransportProvider implements TransportProvider {

    @Override
    public String name() {
        return "deaf";
    }

    @Override
    public Set<String> schemes() {
        return Set.of("deaf");
    }

    @Override
    public Transport open(TransportContext context) {
        return new Transport() {
            @Override
            public CompletionStage<Void> publish(Envelope message) {
                return CompletableFuture.failedFuture(new IOException("deaf transport: nothing is sent"));
            }

            @Override
            public CompletionStage<Void> request(Envelope request) {
                return publish(request);
            }

            @Override
            public TransportSubscription subscribe(String destination, SubscribeOptions options,
                                                   InboundHandler handler) {
                return () -> { };
            }

            @Override
            public void close() {
            }
        };
    }
}
