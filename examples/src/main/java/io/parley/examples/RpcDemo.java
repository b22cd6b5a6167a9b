package io.parley.examples;

import io.parley.api.Broker;
import io.parley.api.Message;
import io.parley.api.PublishOptions;
import io.parley.api.RemoteHandlerException;
import io.parley.api.RequestOptions;

import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * The RPC demo: a server and a client, two connections in one process, on the broker URI given as
 * the first argument ({@code memory://demo} by default). Each step prints what it got; the exit
 * status is non-zero when a step did not get what it expected, so the demo doubles as a smoke test.
 */
public final class RpcDemo {

    /** A typed request and reply. */
    public record Quote(String item, int quantity) {
    }

    public record Price(String item, double total) {
    }

    private RpcDemo() {
    }

    public static void main(String[] args) throws Exception {
        System.exit(run(args.length > 0 ? args[0] : "memory://demo", System.out));
    }

    /** Runs every step against {@code uri}; returns 0 when all got what they expected. */
    public static int run(String uri, PrintStream out) throws Exception {
        String prefix = "demo." + UUID.randomUUID().toString().substring(0, 8) + ".";
        Duration patience = Duration.ofSeconds(10);
        RequestOptions waitUpTo = RequestOptions.builder().timeout(patience).throwOnTimeout().build();
        int failures = 0;

        try (Broker server = Broker.connect(uri); Broker client = Broker.connect(uri)) {
            out.println("Parley RPC demo on " + uri + " (transport: " + client.transportName() + ")");

            // --- the server side: handlers whose return value is the reply
            server.subscribe(prefix + "upper", String.class, text -> text.toUpperCase());
            server.subscribe(prefix + "price", Quote.class, quote -> new Price(quote.item(), quote.quantity() * 2.5));
            server.subscribe(prefix + "count", Integer.class,
                    n -> IntStream.rangeClosed(1, n).mapToObj(i -> "tick " + i)); // a Stream: many replies
            server.subscribe(prefix + "fail", String.class, order -> {
                throw new IllegalArgumentException("unknown order " + order);
            });
            CountDownLatch slowHandlerMayFinish = new CountDownLatch(1);
            server.subscribe(prefix + "slow", String.class, text -> {
                slowHandlerMayFinish.await(); // slower than the caller is willing to wait
                return text;
            });

            // 1. Blocking request, like an HTTP call.
            Optional<Message> upper = client.rpc().request(prefix + "upper", "hello, parley", waitUpTo);
            failures += check(out, "blocking request", upper.map(Message::bodyAsString).orElse(null), "HELLO, PARLEY");

            // 2. Typed request: a record goes out as JSON, the reply is decoded into a record.
            Price price = client.rpc().request(prefix + "price", new Quote("tea", 4), Price.class, waitUpTo).orElseThrow();
            failures += check(out, "typed request", price, new Price("tea", 10.0));

            // 3. Asynchronous request.
            CompletableFuture<String> async = client.rpc().requestAsync(prefix + "upper", "async too", waitUpTo)
                    .thenApply(Message::bodyAsString);
            failures += check(out, "async request", async.get(patience.toMillis(), TimeUnit.MILLISECONDS), "ASYNC TOO");

            // 4. Non-blocking request: the answer goes to the reply-to destination's own subscriber.
            LinkedBlockingQueue<String> answers = new LinkedBlockingQueue<>();
            client.subscribe(prefix + "answers", Message.class, answer -> {
                answers.add(answer.bodyAsString() + " [correlation " + answer.correlationId() + "]");
                return null;
            });
            client.publish(prefix + "upper", "fire and forget", PublishOptions.builder()
                    .replyTo(prefix + "answers").correlationId("demo-42").build());
            failures += check(out, "reply-to", answers.poll(patience.toMillis(), TimeUnit.MILLISECONDS),
                    "FIRE AND FORGET [correlation demo-42]");

            // 5. One request, many responses (ends at the handler's end-of-stream sentinel).
            List<String> ticks;
            try (Stream<Message> replies = client.rpc().requestMany(prefix + "count", 3,
                    RequestOptions.builder().timeout(patience).build())) {
                ticks = replies.map(Message::bodyAsString).toList();
            }
            failures += check(out, "many responses", ticks, List.of("tick 1", "tick 2", "tick 3"));

            // 6. A failing handler: the caller gets a typed remote error at once, not a timeout.
            String remote;
            try {
                client.rpc().request(prefix + "fail", "A-17", waitUpTo);
                remote = "no error";
            } catch (RemoteHandlerException e) {
                remote = e.remoteMessage();
            }
            failures += check(out, "remote error", remote, "IllegalArgumentException: unknown order A-17");

            // 7. A timeout: "no answer", like Propan's None.
            Optional<Message> none = client.rpc().request(prefix + "slow", "anyone?",
                    RequestOptions.timeout(Duration.ofMillis(300)));
            failures += check(out, "timeout gives no answer", none.isEmpty(), true);
            slowHandlerMayFinish.countDown();
        }
        out.println(failures == 0 ? "All demo steps got their replies." : failures + " demo step(s) failed.");
        return failures == 0 ? 0 : 1;
    }

    private static int check(PrintStream out, String step, Object got, Object expected) {
        boolean ok = expected.equals(got);
        out.printf("%-24s %s %s%n", step + ":", ok ? "ok  " : "FAIL", got + (ok ? "" : " (expected " + expected + ")"));
        return ok ? 0 : 1;
    }
}
