package io.parley.examples;

import io.parley.api.Broker;
import io.parley.api.Message;
import io.parley.api.PublishOptions;
import io.parley.api.RemoteHandlerException;
import io.parley.api.RequestOptions;
import io.parley.api.SubscribeOptions;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * The RPC demo: a server and a client on two connections of one process, on the broker URI given
 * as the first argument ({@code memory://demo} by default; {@code nats://localhost:4222} and the
 * like once their transport jar is on the class path).
 *
 * <p>Each step prints what it got and whether that was what it expected. The exit status is
 * non-zero when a step did not, so the demo doubles as a smoke test of a transport:
 * {@code bash scripts/demo.sh [uri]}, which runs {@code mvn -B -q -Pdemo -pl examples -am package -DskipTests -Ddemo.uri=...}.
 */
public final class RpcDemo {

    /** How long a step waits for what it expects before it counts as failed. */
    private static final Duration PATIENCE = Duration.ofSeconds(10);

    /** A typed request... */
    public record Quote(String item, int quantity) {
    }

    /** ...and its typed reply: records travel as JSON. */
    public record Price(String item, double total) {
    }

    private RpcDemo() {
    }

    public static void main(String[] args) throws InterruptedException {
        int status = run(args.length > 0 ? args[0] : "memory://demo", System.out);
        if (status != 0) {
            // Only on failure: under exec:java the demo runs inside Maven's JVM, which must go on otherwise.
            System.exit(status);
        }
    }

    /**
     * Runs every step against {@code uri} and prints them to {@code out}.
     *
     * @return 0 when every step got what it expected, 1 otherwise
     * @throws io.parley.api.MessagingException when the brokers cannot connect (no transport for
     *                                          the URI, broker unreachable...)
     */
    public static int run(String uri, PrintStream out) throws InterruptedException {
        // Unique-ish destination names, so that runs against a shared broker do not meet.
        String prefix = "demo." + UUID.randomUUID().toString().substring(0, 8) + ".";
        RequestOptions waitUpTo = RequestOptions.builder().timeout(PATIENCE).throwOnTimeout().build();
        int failures = 0;

        // Two brokers on one URI: two separate connections, as a server and a client in two processes would have.
        try (Broker server = Broker.connect(uri); Broker client = Broker.connect(uri)) {
            out.println("Parley RPC demo on " + withoutCredentials(uri) + " (transport: " + client.transportName()
                    + "), server and client on two connections");

            // ---- The server: each handler's return value is its reply.
            server.subscribe(prefix + "upper", String.class, text -> text.toUpperCase(Locale.ROOT));
            server.subscribe(prefix + "price", Quote.class, quote -> new Price(quote.item(), quote.quantity() * 2.5));
            server.subscribe(prefix + "count", Integer.class,
                    n -> IntStream.rangeClosed(1, n).mapToObj(i -> "tick " + i)); // a Stream: one reply per element
            // errorDetails(true): the caller sees the exception's text. By default it gets the code and an
            // error id only, so that internals (SQL, paths) never leave the service; use it for trusted callers
            server.subscribe(prefix + "fail", String.class, SubscribeOptions.builder().errorDetails(true).build(), order -> {
                throw new IllegalArgumentException("unknown order " + order);
            });
            CountDownLatch slowHandlerMayFinish = new CountDownLatch(1);
            server.subscribe(prefix + "slow", String.class, text -> {
                slowHandlerMayFinish.await(PATIENCE.toMillis(), TimeUnit.MILLISECONDS); // slower than its caller waits
                return text;
            });

            try {
                // ---- The client.

                // 1. A blocking request, like an HTTP call.
                failures += step(out, "1. blocking request", "HELLO, PARLEY", () -> {
                    Optional<Message> reply = client.rpc().request(prefix + "upper", "hello, parley", waitUpTo);
                    return reply.map(Message::bodyAsString).orElse("no answer");
                });

                // 2. A typed request: the record goes out as JSON and the reply is decoded into a record.
                failures += step(out, "2. typed request (record in, record out)", new Price("tea", 10.0), () ->
                        client.rpc().request(prefix + "price", new Quote("tea", 4), Price.class, waitUpTo)
                                .orElse(null));

                // 3. An asynchronous request: the future completes with the reply.
                failures += step(out, "3. async request", "ASYNC TOO", () -> {
                    CompletableFuture<String> future = client.rpc()
                            .requestAsync(prefix + "upper", "async too", waitUpTo)
                            .thenApply(Message::bodyAsString);
                    out.println("   (the caller is free while the request is in flight)");
                    return future.get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
                });

                // 4. The non-blocking request: publish with a reply-to; the answer goes to that
                //    destination's own subscriber, with the correlation id the publisher chose.
                String expectedAnswer = "FIRE AND FORGET (correlation id order-42)";
                failures += step(out, "4. reply-to (non-blocking request)", expectedAnswer, () -> {
                    String replies = prefix + "replies";
                    CountDownLatch answered = new CountDownLatch(1);
                    AtomicReference<String> answer = new AtomicReference<>();
                    client.subscribe(replies, Message.class, message -> {
                        answer.set(message.bodyAsString() + " (correlation id " + message.correlationId() + ")");
                        answered.countDown();
                        return null; // the answer carries no reply-to: nothing is sent back
                    });
                    client.publish(prefix + "upper", "fire and forget",
                                    PublishOptions.builder().replyTo(replies).correlationId("order-42").build())
                            .get(PATIENCE.toMillis(), TimeUnit.MILLISECONDS); // sent (or failed to be)
                    return answered.await(PATIENCE.toMillis(), TimeUnit.MILLISECONDS) ? answer.get() : "no answer";
                });

                // 5. One request, many responses: the handler streams five ticks; the client takes at
                //    most three (maxReplies) within the timeout. Without maxReplies the stream would
                //    end at the handler's end-of-stream marker, after the fifth.
                List<String> firstThree = List.of("tick 1", "tick 2", "tick 3");
                failures += step(out, "5. many responses (at most 3 of 5)", firstThree, () -> {
                    RequestOptions many = RequestOptions.builder().maxReplies(3).timeout(PATIENCE).build();
                    List<String> got = new ArrayList<>();
                    try (Stream<Message> replies = client.rpc().requestMany(prefix + "count", 5, many)) {
                        replies.forEach(reply -> {
                            out.println("   reply: " + reply.bodyAsString());
                            got.add(reply.bodyAsString());
                        });
                    }
                    return got;
                });

                // 6. A failing handler: the caller gets a typed remote error at once, not a timeout.
                failures += step(out, "6. remote error", "IllegalArgumentException: unknown order A-17", () -> {
                    try {
                        client.rpc().request(prefix + "fail", "A-17", waitUpTo);
                        return "no error";
                    } catch (RemoteHandlerException e) {
                        out.println("   caught " + e.getClass().getSimpleName() + ", code " + e.code());
                        return e.remoteMessage();
                    }
                });

                // 7. A timeout: no exception, just no answer (like Propan's None).
                failures += step(out, "7. timeout", "no answer", () -> {
                    Optional<Message> reply = client.rpc().request(prefix + "slow", "anyone?",
                            RequestOptions.timeout(Duration.ofMillis(300)));
                    return reply.map(Message::bodyAsString).orElse("no answer");
                });
            } finally {
                slowHandlerMayFinish.countDown(); // so that closing the server need not wait for it
            }
        }
        out.println(failures == 0 ? "All 7 demo steps got what they expected."
                : failures + " of 7 demo steps did NOT get what they expected.");
        return failures == 0 ? 0 : 1;
    }

    /** One step of the demo: what it produced, compared with what it should have. */
    @FunctionalInterface
    private interface Step {
        Object run() throws Exception;
    }

    /** Runs a step and prints its outcome; returns 1 when it failed (wrong result or an exception). */
    private static int step(PrintStream out, String name, Object expected, Step step) {
        out.println(name);
        Object got;
        try {
            got = step.run();
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            got = "threw " + e;
        }
        boolean ok = expected.equals(got);
        out.println("   -> " + got + (ok ? "   [ok]" : "   [FAIL: expected " + expected + "]"));
        return ok ? 0 : 1;
    }

    /** The URI as it may be printed: user and password replaced, as Parley's own messages do. */
    static String withoutCredentials(String uri) {
        return uri.replaceFirst("^([A-Za-z][A-Za-z0-9+.-]*://)[^/@]*@", "$1***@");
    }
}
