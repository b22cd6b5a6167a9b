package io.parley.benchmarks;

import io.parley.api.Broker;
import io.parley.api.RequestException;
import io.parley.api.RequestOptions;
import io.parley.api.SubscribeOptions;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * Sends 100,000 requests that all time out (the responder never replies) and reports whether the
 * pending-request table ends empty and the heap after a full GC returns to where it started.
 * {@code java ... PendingTableCheck [uri] [requests]}; memory:// by default, any broker URI works.
 */
public final class PendingTableCheck {

    public static void main(String[] args) throws Exception {
        String uri = args.length > 0 ? args[0] : "memory://pending-check";
        int requests = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
        Duration timeout = Duration.ofSeconds(2);
        RequestOptions options = RequestOptions.builder().timeout(timeout).build();
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();

        try (Broker server = Broker.connect(uri); Broker client = Broker.connect(uri)) {
            String destination = Uris.fresh("pending-check");
            server.subscribe(destination, String.class, SubscribeOptions.builder().noReplies().build(), body -> body);

            fire(client, destination, options, 1_000); // loads and warms every class on the path
            long before = usedAfterFullGc(memory);

            long start = System.nanoTime();
            Map<RequestException.Reason, Integer> outcomes = fire(client, destination, options, requests);
            double seconds = (System.nanoTime() - start) / 1e9;
            long peak = memory.getHeapMemoryUsage().getUsed();
            int pending = client.rpc().pendingRequests();
            long after = usedAfterFullGc(memory);
            // A second burst tells a leak (grows again) from capacity kept by the first (hash table
            // and timer queue arrays grow to the peak and do not shrink).
            fire(client, destination, options, requests);
            long afterSecond = usedAfterFullGc(memory);

            System.out.printf(Locale.ROOT, "transport %s: %d requests with a %d s timeout, all ended in %.1f s: %s%n",
                    client.transportName(), requests, timeout.toSeconds(), seconds, outcomes);
            System.out.printf(Locale.ROOT, "pending requests afterwards: %d%n", pending);
            System.out.printf(Locale.ROOT, "heap used after full GC: before %.1f MiB, after %.1f MiB (%+.1f MiB), after a second burst %.1f MiB (%+.1f MiB); at the end of the burst, before GC, %.1f MiB%n",
                    mib(before), mib(after), mib(after - before), mib(afterSecond), mib(afterSecond - after), mib(peak));
            boolean ok = pending == 0 && client.rpc().pendingRequests() == 0
                    && outcomes.getOrDefault(RequestException.Reason.TIMEOUT, 0) == requests
                    && after - before < 8L * 1024 * 1024 && afterSecond - after < 1024 * 1024;
            System.out.println(ok ? "OK: the table is empty and the heap came back" : "FAILED: see above");
            System.exit(ok ? 0 : 1);
        }
    }

    /** Sends {@code count} async requests and waits until every one has ended; counts the reasons. */
    private static Map<RequestException.Reason, Integer> fire(Broker client, String destination, RequestOptions options,
                                                             int count) {
        List<CompletableFuture<?>> futures = new ArrayList<>(count);
        Map<RequestException.Reason, Integer> reasons = new EnumMap<>(RequestException.Reason.class);
        for (int i = 0; i < count; i++) {
            futures.add(client.rpc().requestAsync(destination, "r" + i, options));
        }
        for (CompletableFuture<?> future : futures) {
            try {
                future.orTimeout(60, TimeUnit.SECONDS).join();
                throw new IllegalStateException("a request that nobody answers got a reply");
            } catch (CompletionException e) {
                if (!(e.getCause() instanceof RequestException failure)) {
                    throw e;
                }
                reasons.merge(failure.reason(), 1, Integer::sum);
            }
        }
        futures.clear();
        return reasons;
    }

    private static long usedAfterFullGc(MemoryMXBean memory) throws InterruptedException {
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) { // a few cycles: finalisable and soft references settle
            System.gc();
            Thread.sleep(100);
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    private static double mib(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }

    private PendingTableCheck() {
    }
}
