package io.parley.benchmarks;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Request/reply echo on each broker: Parley, the raw client written by hand, and Spring's template
 * where there is one, measured in one process and one run. The cases of a broker alternate within
 * each round, and the report gives the median over the rounds, so that the noise of a shared
 * machine hits every case alike. Run by {@code bash scripts/bench.sh}.
 */
public final class RpcBenchmark {

    /** How long one call may take before the run is declared broken (not a measurement). */
    private static final Duration CALL_LIMIT = Duration.ofSeconds(10);

    record Measurement(double p50Micros, double p99Micros, double perSecond) {
    }

    public static void main(String[] args) throws Exception {
        Settings settings;
        try {
            settings = Settings.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        Map<String, List<EchoCase>> casesByBroker = new LinkedHashMap<>();
        List<String> skipped = new ArrayList<>();
        for (String broker : settings.brokers()) {
            String uri = Uris.of(broker);
            if (!answers(uri)) {
                skipped.add(broker + " (nothing answers at " + Uris.redact(uri) + ")");
                continue;
            }
            casesByBroker.put(broker, Cases.forBroker(broker, uri).stream()
                    .filter(c -> settings.kinds().contains(c.kind().name().toLowerCase(Locale.ROOT))).toList());
        }
        Map<EchoCase, List<Measurement>> results = new LinkedHashMap<>();
        for (int round = 0; round < settings.rounds(); round++) {
            for (List<EchoCase> cases : casesByBroker.values()) {
                // Rotate the order each round: no case always runs first (cold) or last (warm).
                for (int i = 0; i < cases.size(); i++) {
                    EchoCase c = cases.get((i + round) % cases.size());
                    log("round %d/%d: %s %s", round + 1, settings.rounds(), c.broker(), c.description());
                    Measurement m = measure(c, settings);
                    log("  p50 %.0f us, p99 %.0f us, %.0f req/s", m.p50Micros(), m.p99Micros(), m.perSecond());
                    results.computeIfAbsent(c, k -> new ArrayList<>()).add(m);
                }
            }
        }
        String report = Report.render(settings, casesByBroker, results, skipped, ZonedDateTime.now());
        System.out.println(report);
        Files.createDirectories(settings.output().toAbsolutePath().getParent());
        Files.writeString(settings.output(), report);
        log("written to %s", settings.output().toAbsolutePath());
        System.exit(0); // some clients leave non-daemon threads behind after close
    }

    static Measurement measure(EchoCase echoCase, Settings settings) throws Exception {
        String body = "x".repeat(settings.bodySize());
        try (EchoClient client = echoCase.open()) {
            for (int i = 0; i < settings.warmupCalls(); i++) {
                check(body, client.call(body));
            }
            throughput(client, body, settings.inFlight(), Duration.ofSeconds(1)); // warms the async path
            long[] nanos = new long[settings.calls()];
            for (int i = 0; i < nanos.length; i++) {
                long start = System.nanoTime();
                String echo = client.call(body);
                nanos[i] = System.nanoTime() - start;
                check(body, echo);
            }
            Arrays.sort(nanos);
            double p50 = nanos[nanos.length / 2] / 1_000.0;
            double p99 = nanos[(int) Math.min(nanos.length - 1, Math.ceil(nanos.length * 0.99) - 1)] / 1_000.0;
            double perSecond = throughput(client, body, settings.inFlight(), settings.throughputTime());
            return new Measurement(p50, p99, perSecond);
        }
    }

    /** Keeps {@code inFlight} async calls outstanding for {@code time}; returns the completions per second. */
    static double throughput(EchoClient client, String body, int inFlight, Duration time) throws Exception {
        Semaphore permits = new Semaphore(inFlight);
        AtomicLong done = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long start = System.nanoTime();
        long end = start + time.toNanos();
        while (System.nanoTime() < end && failure.get() == null) {
            if (!permits.tryAcquire(CALL_LIMIT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("no reply for " + CALL_LIMIT + " with " + inFlight + " in flight");
            }
            client.callAsync(body).whenComplete((echo, error) -> {
                if (error != null) {
                    failure.compareAndSet(null, error);
                } else if (!body.equals(echo)) {
                    failure.compareAndSet(null, new IllegalStateException("wrong echo: " + echo));
                } else {
                    done.incrementAndGet();
                }
                permits.release();
            });
        }
        long completed = done.get();
        long elapsed = System.nanoTime() - start;
        if (!permits.tryAcquire(inFlight, CALL_LIMIT.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("calls still outstanding " + CALL_LIMIT + " after the measurement");
        }
        if (failure.get() != null) {
            throw new IllegalStateException("an async call failed", failure.get());
        }
        return completed * 1e9 / elapsed;
    }

    private static void check(String expected, String echo) {
        if (!expected.equals(echo)) {
            throw new IllegalStateException("wrong echo: expected " + expected.length() + " chars, got " + echo);
        }
    }

    private static boolean answers(String uri) {
        URI parsed = URI.create(uri);
        String hostPort = parsed.getAuthority().replaceFirst(".*@", "").split(",")[0];
        int colon = hostPort.lastIndexOf(':');
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1))), 1000);
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    static void log(String format, Object... args) {
        System.err.println(String.format(Locale.ROOT, format, args));
    }

    private RpcBenchmark() {
    }
}
