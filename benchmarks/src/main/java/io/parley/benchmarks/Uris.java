package io.parley.benchmarks;

import java.net.URI;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/** Where each broker is: an environment variable, or the standard local port. */
final class Uris {

    private static final Map<String, String> DEFAULTS = Map.of(
            "nats", "nats://127.0.0.1:4222",
            "rabbit", "amqp://guest:guest@127.0.0.1:5672",
            "redis", "redis://127.0.0.1:6379",
            "kafka", "kafka://127.0.0.1:9092");

    static String of(String broker) {
        String fallback = DEFAULTS.get(broker);
        if (fallback == null) {
            throw new IllegalArgumentException("unknown broker '" + broker + "'; known: " + DEFAULTS.keySet());
        }
        String fromEnv = System.getenv("PARLEY_" + broker.toUpperCase(java.util.Locale.ROOT) + "_URI");
        return fromEnv == null || fromEnv.isBlank() ? fallback : fromEnv;
    }

    /** The URI without credentials, for the report. */
    static String redact(String uri) {
        return uri.replaceFirst("//[^/]*@", "//");
    }

    /** host:port[,host:port] of a kafka:// URI, as bootstrap.servers. */
    static String kafkaBootstrap(String uri) {
        return URI.create(uri).getAuthority();
    }

    /** A destination name no other case or run uses. */
    static String fresh(String prefix) {
        return prefix + "." + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
    }

    private Uris() {
    }
}
