package io.parley.benchmarks;

import io.parley.api.Broker;
import io.parley.api.Message;
import io.parley.api.RequestOptions;
import io.parley.api.SubscribeOptions;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** Parley: a String handler that returns its input, and a blocking or async request. */
final class ParleyEcho extends EchoCase {

    private static final RequestOptions WAIT = RequestOptions.builder().timeout(Duration.ofSeconds(10)).throwOnTimeout().build();

    private final String uri;
    private final boolean inline;

    /**
     * @param inline run the handler on the transport's delivery thread
     *               ({@code SubscribeOptions.executor(Runnable::run)}), as the raw echoes do, instead of
     *               the default handler pool (safe for blocking handlers, one thread hand-off more)
     */
    ParleyEcho(String broker, String uri, boolean inline) {
        super(broker, Kind.PARLEY, inline ? "Parley, handler inline" : "Parley, defaults");
        this.uri = uri;
        this.inline = inline;
    }

    @Override
    EchoClient open() {
        Broker server = Broker.connect(uri);
        Broker client = Broker.connect(uri);
        String destination = Uris.fresh("bench-parley");
        SubscribeOptions options = inline ? SubscribeOptions.builder().executor(Runnable::run).build()
                : SubscribeOptions.defaults();
        server.subscribe(destination, String.class, options, body -> body);
        return new EchoClient() {
            @Override
            public String call(String body) {
                return client.rpc().request(destination, body, String.class, WAIT).orElseThrow();
            }

            @Override
            public CompletableFuture<String> callAsync(String body) {
                return client.rpc().requestAsync(destination, body, WAIT).thenApply(Message::bodyAsString);
            }

            @Override
            public void close() {
                client.close();
                server.close();
            }
        };
    }
}
