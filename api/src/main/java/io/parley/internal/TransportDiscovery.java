package io.parley.internal;

import io.parley.api.AmbiguousTransportException;
import io.parley.api.BrokerOptions;
import io.parley.api.TransportNotFoundException;
import io.parley.spi.TransportProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds the transport for a URI: an explicit choice wins, otherwise the scheme decides. Never
 * "first wins": no match and several matches are both errors that list what was found, and
 * providers that failed to load are reported rather than skipped.
 *
 * <p>Parley's own transports are also found by their class name when their service registration is
 * missing on the class path, which is what a fat jar built without merging service files looks like
 * (maven-shade-plugin without its ServicesResourceTransformer keeps one
 * {@code META-INF/services/io.parley.spi.TransportProvider} of the many). The jar holds the
 * transport and the user asked for it, so failing would only send them looking for a dependency they
 * have; the provider is loaded and a WARN names the packaging fix, since the same jar has likely lost
 * other libraries' service files too. Third-party transports cannot be found that way: their class
 * names are unknown here.
 */
final class TransportDiscovery {

    private static final Logger log = LoggerFactory.getLogger(TransportDiscovery.class);

    /** Parley's own transports: the artifact to add, the provider class, and the module of each. */
    private record Known(String name, Set<String> schemes, String artifact, String provider, String module) {
    }

    private static final List<Known> OWN = List.of(
            new Known("memory", Set.of("memory"), "io.parley:parley-api",
                    "io.parley.internal.memory.MemoryTransportProvider", "io.parley.api"),
            new Known("nats", Set.of("nats", "tls"), "io.parley:parley-transport-nats",
                    "io.parley.transport.nats.internal.NatsTransportProvider", "io.parley.transport.nats"),
            new Known("rabbit", Set.of("amqp", "amqps"), "io.parley:parley-transport-rabbit",
                    "io.parley.transport.rabbit.internal.RabbitTransportProvider", "io.parley.transport.rabbit"),
            new Known("redis", Set.of("redis", "rediss"), "io.parley:parley-transport-redis",
                    "io.parley.transport.redis.internal.RedisTransportProvider", "io.parley.transport.redis"),
            new Known("kafka", Set.of("kafka"), "io.parley:parley-transport-kafka",
                    "io.parley.transport.kafka.internal.KafkaTransportProvider", "io.parley.transport.kafka"),
            new Known("mqtt", Set.of("mqtt", "mqtts"), "io.parley:parley-transport-mqtt",
                    "io.parley.transport.mqtt.internal.MqttTransportProvider", "io.parley.transport.mqtt"));

    /** Providers already warned about, so that a service connecting often logs the fix once. */
    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

    static final String PACKAGING_FIX = "merge the service files when building the jar: maven-shade-plugin's"
            + " ServicesResourceTransformer, maven-assembly-plugin's metaInf-services container descriptor handler,"
            + " Gradle shadow's mergeServiceFiles() (README: Packaging your service)";

    private TransportDiscovery() {
    }

    static TransportProvider select(BrokerUri uri, BrokerOptions options) {
        String explicit = options.transport().orElseGet(() -> System.getProperty(BrokerOptions.TRANSPORT_PROPERTY));
        explicit = explicit == null || explicit.isBlank() ? null : explicit.strip();
        List<TransportProvider> providers = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        boolean lostRegistrations = load(providers, failures);

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
            throw new TransportNotFoundException("No Parley transport " + wanted + " to connect to " + uri.redacted()
                    + ". Found: " + (found.isEmpty() ? "none" : String.join(", ", found)) + "." + failed + " "
                    + advice(key, explicit != null) + (lostRegistrations ? " This class path has lost service"
                    + " registrations (a fat jar whose service files were not merged), so a third-party transport's"
                    + " may be lost too: " + PACKAGING_FIX + "." : "")
                    + " Or choose a transport with BrokerOptions.transport(...) or -D"
                    + BrokerOptions.TRANSPORT_PROPERTY + "=<name>.", key, found);
        }
        List<String> candidates = matches.stream()
                .map(p -> p.name() + " (" + p.getClass().getName() + ")").toList();
        throw new AmbiguousTransportException("Several Parley transports claim " + (explicit != null
                ? "the name '" + explicit + "'" : "scheme '" + uri.scheme() + "'") + ": "
                + String.join(", ", candidates) + ". Remove all but one from the class path, or choose one with"
                + " BrokerOptions.transport(...)." + failed, candidates);
    }

    /** What to do when nothing handles {@code key} (a scheme, or a transport name). */
    private static String advice(String key, boolean byName) {
        Known known = OWN.stream().filter(k -> byName ? k.name().equals(key) : k.schemes().contains(key))
                .findFirst().orElse(null);
        if (known == null) {
            return "Add the Parley transport for '" + key + "' to the class path.";
        }
        if (TransportDiscovery.class.getModule().isNamed()) { // on the module path, or in a jlink image
            return "Add " + known.artifact() + " to the module path: its module " + known.module() + " is then"
                    + " resolved with io.parley.api (service binding). A jlink image cannot hold Parley's broker"
                    + " transports: their broker clients are automatic modules, which jlink refuses (README:"
                    + " Packaging your service).";
        }
        return "Add " + known.artifact() + " to the class path.";
    }

    /** Loads the providers; true when some of Parley's own had to be found without their registration. */
    private static boolean load(List<TransportProvider> providers, List<String> failures) {
        ClassLoader loader = loader();
        Iterator<TransportProvider> it = ServiceLoader.load(TransportProvider.class, loader).iterator();
        // The lazy iterator goes on to the next provider after a failure; the cap only guards
        // against a class loader that keeps failing on the same entry.
        for (int attempts = 0; attempts < 1_000; attempts++) {
            try {
                if (!it.hasNext()) {
                    break;
                }
                providers.add(it.next());
            } catch (ServiceConfigurationError e) {
                failures.add(e.getMessage() + (e.getCause() == null ? "" : " (" + e.getCause() + ")"));
            }
        }
        // on the module path, service binding finds them
        return !TransportDiscovery.class.getModule().isNamed() && loadUnregistered(providers, failures, loader);
    }

    /** Parley's own transports whose classes are on the class path but whose registration is not. */
    private static boolean loadUnregistered(List<TransportProvider> providers, List<String> failures, ClassLoader loader) {
        boolean found = false;
        Set<String> loaded = new TreeSet<>();
        providers.forEach(provider -> loaded.add(provider.getClass().getName()));
        for (Known known : OWN) {
            if (loaded.contains(known.provider()) || failures.stream().anyMatch(f -> f.contains(known.provider()))) {
                continue; // found, or registered but failing: the failure is reported as it is
            }
            Class<?> type;
            try {
                type = Class.forName(known.provider(), false, loader);
            } catch (ClassNotFoundException | LinkageError absent) {
                continue; // not on the class path: nothing to find
            }
            try {
                providers.add((TransportProvider) type.getConstructor().newInstance());
                found = true;
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                failures.add(known.provider() + " (present but unregistered) could not be created: " + e);
                continue;
            }
            if (WARNED.add(known.provider())) {
                log.warn("Parley transport '{}' ({}) is on the class path but not registered in META-INF/services/{}:"
                        + " this jar was built without merging the service files of its jars. Parley loaded it by its"
                        + " class name; other libraries in the jar have likely lost their service files too. To fix it,"
                        + " {}", known.name(), known.artifact(), TransportProvider.class.getName(), PACKAGING_FIX);
            }
        }
        return found;
    }

    /** The context class loader where there is one (application servers, Spring Boot's nested jars), else ours. */
    private static ClassLoader loader() {
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        return context != null ? context : TransportDiscovery.class.getClassLoader();
    }

    private static String describe(TransportProvider provider) {
        return provider.name() + " " + new TreeSet<>(provider.schemes());
    }
}
