package io.parley.tck;

import io.parley.api.Broker;
import io.parley.api.BrokerOptions;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * What the kit needs to know about the transport under test: how to connect, its name, the
 * capabilities it lacks and the kit's timeouts. Timeouts are set in code or by environment
 * variable ({@code PARLEY_TCK_TIMEOUT_MS}, {@code PARLEY_TCK_SHORT_TIMEOUT_MS},
 * {@code PARLEY_TCK_SLACK_MS}), which wins, so that a slow CI machine can stretch them.
 */
public final class KitEnvironment {

    private final String uri;
    private final String transportName;
    private final BrokerOptions options;
    private final Map<Capability, String> lacking;
    private final Duration timeout;
    private final Duration shortTimeout;
    private final Duration slack;
    private final String destinationPrefix;

    private KitEnvironment(Builder b) {
        this.uri = b.uri;
        this.transportName = b.transportName;
        this.options = b.options;
        this.lacking = Map.copyOf(b.lacking);
        this.timeout = fromEnvironment("PARLEY_TCK_TIMEOUT_MS", b.timeout);
        this.shortTimeout = fromEnvironment("PARLEY_TCK_SHORT_TIMEOUT_MS", b.shortTimeout);
        this.slack = fromEnvironment("PARLEY_TCK_SLACK_MS", b.slack);
        this.destinationPrefix = b.destinationPrefix;
    }

    /**
     * @param uri           the broker URI the kit connects to, e.g. {@code nats://127.0.0.1:4222}
     * @param transportName the name the transport's provider declares, e.g. {@code "nats"}
     */
    public static Builder builder(String uri, String transportName) {
        return new Builder(uri, transportName);
    }

    /** Connects a new broker with the environment's options. */
    public Broker connect() {
        return Broker.connect(uri, options);
    }

    /** Connects a new broker with the environment's options changed by {@code change}. */
    public Broker connect(UnaryOperator<BrokerOptions.Builder> change) {
        return Broker.connect(uri, change.apply(options.toBuilder()).build());
    }

    public String uri() {
        return uri;
    }

    /** The options every broker of the kit is connected with. */
    public BrokerOptions options() {
        return options;
    }

    public String transportName() {
        return transportName;
    }

    public boolean supports(Capability capability) {
        return !lacking.containsKey(capability);
    }

    /** Why the transport lacks {@code capability}, if it does. */
    public Optional<String> lackReason(Capability capability) {
        return Optional.ofNullable(lacking.get(capability));
    }

    /** How long the kit waits for anything that should happen (replies, deliveries). */
    public Duration timeout() {
        return timeout;
    }

    /** The timeout of requests that are meant to time out. */
    public Duration shortTimeout() {
        return shortTimeout;
    }

    /** What "at once" and "within the timeout" may overrun by. */
    public Duration slack() {
        return slack;
    }

    /** A destination name no other test uses: letters, digits, dots and dashes only. */
    public String destination(String hint) {
        return destinationPrefix + "." + hint + "." + UUID.randomUUID().toString().substring(0, 8);
    }

    private static Duration fromEnvironment(String variable, Duration fallback) {
        String value = System.getenv(variable);
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            return Duration.ofMillis(Long.parseLong(value.strip()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(variable + " must be a number of milliseconds, was '" + value + "'", e);
        }
    }

    public static final class Builder {
        private final String uri;
        private final String transportName;
        private BrokerOptions options = BrokerOptions.defaults();
        private final Map<Capability, String> lacking = new EnumMap<>(Capability.class);
        private Duration timeout = Duration.ofSeconds(10);
        private Duration shortTimeout = Duration.ofMillis(500);
        private Duration slack = Duration.ofMillis(1_000);
        private String destinationPrefix = "parley-tck";

        private Builder(String uri, String transportName) {
            this.uri = Objects.requireNonNull(uri, "uri");
            this.transportName = Objects.requireNonNull(transportName, "transportName");
        }

        /** Options for every broker the kit connects (do not set a transport name: rule 1.01 checks discovery). */
        public Builder options(BrokerOptions options) {
            this.options = Objects.requireNonNull(options, "options");
            return this;
        }

        /** Declares a capability the transport lacks, with the reason shown on the skipped rules. */
        public Builder lacks(Capability capability, String reason) {
            if (reason == null || reason.isBlank()) {
                throw new IllegalArgumentException("say why the transport lacks " + capability);
            }
            lacking.put(capability, reason);
            return this;
        }

        public Builder timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        public Builder shortTimeout(Duration shortTimeout) {
            this.shortTimeout = shortTimeout;
            return this;
        }

        public Builder slack(Duration slack) {
            this.slack = slack;
            return this;
        }

        /** Prefix of the kit's destination names (some brokers restrict names or need ACLs). */
        public Builder destinationPrefix(String prefix) {
            this.destinationPrefix = prefix;
            return this;
        }

        public KitEnvironment build() {
            return new KitEnvironment(this);
        }
    }
}
