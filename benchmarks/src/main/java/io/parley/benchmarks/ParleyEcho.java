package io.parley.benchmarks;

import io.parley.api.Broker;
import io.parley.api.Message;
import io.parley.api.RequestOptions;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** Parley with its defaults: a String handler that returns its input, and a blocking or async request. */
final class ParleyEcho implements EchoCase {

    private static final RequestOptions WAIT = RequestOptions.builder().timeout(Duration.ofSeconds(10)).throwOnTimeout().build();

    private final String broker;
    private final String uri;

    ParleyEcho(String broker, String uri) {
        this.broker = broker;
        this.uri = uri;
    }

    @Override
    public String broker() {
        return broker;
    }

    @Override
    public Kind kind() {
        return Kind.PARLEY;
    }

    @Override
    public String description() {
        return "Parley request/reply (defaults)";
    }

    @Override
    public EchoClient open() {
        Broker server = Broker.connect(uri);
        Broker client = Broker.connect(uri);
        String destination = Uris.fresh("bench-parley");
        server.subscribe(destination, String.class, body -> body);
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
