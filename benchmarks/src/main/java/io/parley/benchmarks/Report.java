package io.parley.benchmarks;

import io.parley.benchmarks.RpcBenchmark.Measurement;
import java.lang.management.ManagementFactory;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/** The Markdown table of medians and ratios that goes into docs/BENCHMARKS.md. */
final class Report {

    static String render(Settings settings, Map<String, List<EchoCase>> casesByBroker,
                         Map<EchoCase, List<Measurement>> results, List<String> skipped, ZonedDateTime when) {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "Run %s on %d cores, %s, Java %s (%s); %d rounds, medians over rounds.%n",
                when.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME), Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name") + " " + System.getProperty("os.version"),
                System.getProperty("java.version"), ManagementFactory.getRuntimeMXBean().getVmName(), settings.rounds()));
        out.append(String.format(Locale.ROOT,
                "Sequential: %d calls after %d warm-up calls; throughput: %d in flight for %d s; body %d bytes.%n%n",
                settings.calls(), settings.warmupCalls(), settings.inFlight(), settings.throughputTime().toSeconds(),
                settings.bodySize()));
        out.append("| broker | case | p50 µs | p99 µs | req/s |\n");
        out.append("|---|---|---:|---:|---:|\n");
        casesByBroker.forEach((broker, cases) -> cases.forEach(c -> out.append(String.format(Locale.ROOT,
                "| %s | %s | %.0f | %.0f | %.0f |%n", broker, c.description(), median(results.get(c), Measurement::p50Micros),
                median(results.get(c), Measurement::p99Micros), median(results.get(c), Measurement::perSecond)))));
        out.append("\nRatios of medians (targets: p50 Parley ÷ raw <= 1.10; req/s Parley ÷ raw >= 0.90, Parley ÷ Spring >= 1.2):\n\n");
        out.append("| broker | Parley case | compared with | p50 ratio | req/s ratio |\n");
        out.append("|---|---|---|---:|---:|\n");
        casesByBroker.forEach((broker, cases) -> {
            for (EchoCase parley : cases) {
                if (parley.kind() != EchoCase.Kind.PARLEY) {
                    continue;
                }
                for (EchoCase other : cases) {
                    if (other.kind() == EchoCase.Kind.PARLEY) {
                        continue;
                    }
                    out.append(String.format(Locale.ROOT, "| %s | %s | %s | %.2f | %.2f |%n", broker, parley.description(),
                            other.description(),
                            median(results.get(parley), Measurement::p50Micros) / median(results.get(other), Measurement::p50Micros),
                            median(results.get(parley), Measurement::perSecond) / median(results.get(other), Measurement::perSecond)));
                }
            }
        });
        if (!skipped.isEmpty()) {
            out.append("\nSkipped: ").append(String.join("; ", skipped)).append('\n');
        }
        out.append("\nEvery round, per case: ").append('\n');
        results.forEach((c, ms) -> out.append(String.format(Locale.ROOT, "- %s / %s: %s%n", c.broker(), c.description(),
                ms.stream().map(m -> String.format(Locale.ROOT, "p50 %.0f p99 %.0f %.0f/s", m.p50Micros(), m.p99Micros(), m.perSecond()))
                        .toList())));
        return out.toString();
    }

    static double median(List<Measurement> values, ToDoubleFunction<Measurement> metric) {
        double[] sorted = values.stream().mapToDouble(metric).sorted().toArray();
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private Report() {
    }
}
