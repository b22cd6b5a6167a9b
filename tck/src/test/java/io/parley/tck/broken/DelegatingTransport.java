package io.parley.tck.broken;

import io.parley.api.SubscribeOptions;
import io.parley.internal.memory.MemoryTransportProvider;
import io.parley.spi.Envelope;
import io.parley.spi.InboundHandler;
import io.parley.spi.Transport;
import io.parley.spi.TransportContext;
import io.parley.spi.TransportSubscription;

import io.parley.spi.TransportSettings;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * A transport that hands everything to a memory:// transport on the bus named by the URI's
 * authority ({@code broken-drop://dropbus} uses the memory bus {@code dropbus}). Subclasses break
 * one thing on purpose, so that the kit can be seen to fail the rules that depend on it.
 */
abstract class DelegatingTransport implements Transport {

    protected final Transport delegate;

    protected DelegatingTransport(TransportContext context) {
        // as a real transport: a key under its prefix (broken-drop., broken-mix.) that it does not know is an error
        List<String> problems = new ArrayList<>();
        TransportSettings.unknownKeys(context.options().properties(), "broken-", Set.of(), List.of(), "property", "",
                problems);
        TransportSettings.throwIfAny("broken", context.redactedUri(), problems);
        this.delegate = Objects.requireNonNull(new MemoryTransportProvider().open(context), "memory transport");
    }

    @Override
    public CompletionStage<Void> publish(Envelope message) {
        return delegate.publish(message);
    }

    @Override
    public CompletionStage<Void> request(Envelope request) {
        return delegate.request(request);
    }

    @Override
    public CompletionStage<Void> reply(Envelope request, Envelope reply) {
        return delegate.reply(request, reply);
    }

    @Override
    public TransportSubscription subscribe(String destination, SubscribeOptions options, InboundHandler handler) {
        return delegate.subscribe(destination, options, handler);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
