package io.parley.benchmarks;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

/** jnats by hand: a dispatcher that publishes each request's data to its reply subject, and {@code request}. */
final class NatsRawEcho extends EchoCase {

    private final String uri;

    NatsRawEcho(String uri) {
        super("nats", Kind.RAW, "jnats request + replying dispatcher");
        this.uri = uri;
    }

    @Override
    EchoClient open() throws Exception {
        Options options = new Options.Builder().server(uri).build();
        Connection server = Nats.connect(options);
        Connection client = Nats.connect(options);
        String subject = Uris.fresh("bench-raw");
        Dispatcher dispatcher = server.createDispatcher(request -> server.publish(request.getReplyTo(), request.getData()));
        dispatcher.subscribe(subject);
        server.flush(Duration.ofSeconds(5)); // the server has the subscription once the flush returns
        return new EchoClient() {
            @Override
            public String call(String body) throws Exception {
                Message reply = client.request(subject, body.getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(10));
                if (reply == null) {
                    throw new TimeoutException("no reply");
                }
                return new String(reply.getData(), StandardCharsets.UTF_8);
            }

            @Override
            public CompletableFuture<String> callAsync(String body) {
                return client.request(subject, body.getBytes(StandardCharsets.UTF_8))
                        .thenApply(reply -> new String(reply.getData(), StandardCharsets.UTF_8));
            }

            @Override
            public void close() throws Exception {
                client.close();
                server.close();
            }
        };
    }
}
