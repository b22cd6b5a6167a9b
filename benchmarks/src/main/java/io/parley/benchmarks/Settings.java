package io.parley.benchmarks;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** What one benchmark run does; every value has a default and a flag. */
record Settings(List<String> brokers, List<String> kinds, int warmupCalls, int calls, int inFlight, Duration throughputTime,
                int rounds, int bodySize, Path output) {

    static final String USAGE = """
            usage: RpcBenchmark [--brokers nats,rabbit,redis,kafka] [--cases parley,raw,spring] [--warmup 1000] [--calls 2000]
                                [--in-flight 64] [--seconds 3] [--rounds 3] [--body 100] [--out FILE]
            Broker URIs: PARLEY_NATS_URI, PARLEY_RABBIT_URI, PARLEY_REDIS_URI, PARLEY_KAFKA_URI
            (defaults: the brokers on 127.0.0.1 at their standard ports). A broker that does not answer is skipped.""";

    static Settings parse(String[] args) {
        List<String> brokers = List.of("nats", "rabbit", "redis", "kafka");
        List<String> kinds = List.of("parley", "raw", "spring");
        int warmup = 1000, calls = 2000, inFlight = 64, seconds = 3, rounds = 3, body = 100;
        Path out = Path.of("target", "benchmark-results.md");
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (flag.equals("--help") || flag.equals("-h")) {
                throw new IllegalArgumentException(USAGE);
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(flag + " needs a value\n" + USAGE);
            }
            String value = args[++i];
            switch (flag) {
                case "--brokers" -> brokers = List.of(value.split(","));
                case "--cases" -> kinds = List.of(value.split(","));
                case "--warmup" -> warmup = Integer.parseInt(value);
                case "--calls" -> calls = Integer.parseInt(value);
                case "--in-flight" -> inFlight = Integer.parseInt(value);
                case "--seconds" -> seconds = Integer.parseInt(value);
                case "--rounds" -> rounds = Integer.parseInt(value);
                case "--body" -> body = Integer.parseInt(value);
                case "--out" -> out = Path.of(value);
                default -> throw new IllegalArgumentException("unknown flag " + flag + "\n" + USAGE);
            }
        }
        return new Settings(new ArrayList<>(brokers), kinds, warmup, calls, inFlight, Duration.ofSeconds(seconds), rounds, body, out);
    }
}
