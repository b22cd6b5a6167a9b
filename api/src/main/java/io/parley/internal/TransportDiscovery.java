package io.parley.internal;

import io.parley.api.AmbiguousTransportException;
import io.parley.api.BrokerOptions;
import io.parley.api.TransportNotFoundException;
import io.parley.spi.TransportProvider;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.TreeSet;

/**
 * Finds the transport for a URI: an explicit choice wins, otherwise the scheme decides. Never
 * "first wins": no match and several matches are both errors that list what was found, and
 * providers that failed to load are reported rather than skipped.
 */
final class TransportDiscovery {

    /** Which artifact to add for a scheme, named in the error when no transport handles it. */
    private static final Map<String, String> ARTIFACTS = Map.of(
            "memory", "io.parley:parley-api",
            "nats", "io.parley:parley-transport-nats",
            "tls", "io.parley:parley-transport-nats",
            "amqp", "io.parley:parley-transport-rabbit",
            "amqps", "io.parley:parley-transport-rabbit",
            "redis", "io.parley:parley-transport-redis",
            "rediss", "io.parley:parley-transport-redis",
            "kafka", "io.parley:parley-transport-kafka");

    private TransportDiscovery() {
    }

    static TransportProvider select(BrokerUri uri, BrokerOptions options) {
        String explicit = options.transport().orElseGet(() -> System.getProperty(BrokerOptions.TRANSPORT_PROPERTY));
        explicit = explicit == null || explicit.isBlank() ? null : explicit.strip();
        List<TransportProvider> providers = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        load(providers, failures);

        List<TransportProvider> matches = new ArrayList<>();
        for (TransportProvider provider : providers) {
            boolean match = explicit != null
                    ? provider.name().equalsIgnoreCase(explicit)
                    : provider.schemes().contains(uri.scheme());
            if (match) {
                matches.add(provider);
            }
        }
        if (matches.size() == 1) {
            return matches.get(0);
        }
        List<String> found = providers.stream().map(TransportDiscovery::describe).toList();
        String failed = failures.isEmpty() ? "" : " Failed to load: " + String.join("; ", failures) + ".";
        if (matches.isEmpty()) {
            String wanted = explicit != null
                    ? "named '" + explicit + "' (explicit choice)"
                    : "for scheme '" + uri.scheme() + "'";
            String key = explicit != null ? explicit.toLowerCase(Locale.ROOT) : uri.scheme();
            String artifact = ARTIFACTS.getOrDefault(key, "the Parley transport for '" + key + "'");
            throw new TransportNotFoundException("No Parley transport " + wanted + " to connect to " + uri.redacted()
                    + ". Found: " + (found.isEmpty() ? "none" : String.join(", ", found)) + "." + failed
                    + " Add " + artifact + " to the class path, or choose a transport with BrokerOptions.transport(...)"
                    + " or -D" + BrokerOptions.TRANSPORT_PROPERTY + "=<name>.", key, found);
        }
        List<String> candidates = matches.stream()
                .map(p -> p.name() + " (" + p.getClass().getName() + ")").toList();
        throw new AmbiguousTransportException("Several Parley transports claim " + (explicit != null
                ? "the name '" + explicit + "'" : "scheme '" + uri.scheme() + "'") + ": "
                + String.join(", ", candidates) + ". Remove all but one from the class path, or choose one with"
                + " BrokerOptions.transport(...)." + failed, candidates);
    }

    private static void load(List<TransportProvider> providers, List<String> failures) {
        Iterator<TransportProvider> it = ServiceLoader.load(TransportProvider.class).iterator();
        // The lazy iterator goes on to the next provider after a failure; the cap only guards
        // against a class loader that keeps failing on the same entry.
        for (int attempts = 0; attempts < 1_000; attempts++) {
            try {
                if (!it.hasNext()) {
                    return;
                }
                providers.add(it.next());
            } catch (ServiceConfigurationError e) {
                failures.add(e.getMessage() + (e.getCause() == null ? "" : " (" + e.getCause() + ")"));
            }
        }
    }

    private static String describe(TransportProvider provider) {
        return provider.name() + " " + new TreeSet<>(provider.schemes());
    }
}
