package io.parley.tck;

import io.parley.api.Broker;
import io.parley.api.BrokerOptions;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * What the kit needs to know about the transport under test: how to connect, its name, the
 * capabilities it lacks, the kit's timeouts, and for the fault rules (SPEC Section 10) a controlled
 * broker, a raw sender and a login the broker refuses. Timeouts are set in code or by environment
 * variable ({@code PARLEY_TCK_TIMEOUT_MS}, {@code PARLEY_TCK_SHORT_TIMEOUT_MS},
 * {@code PARLEY_TCK_SLACK_MS}, {@code PARLEY_TCK_FAULT_TIMEOUT_MS}, {@code PARLEY_TCK_RESUME_MS},
 * {@code PARLEY_TCK_MEMBER_TIMEOUT_MS}), which wins, so that a slow CI machine can stretch them.
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
    private final BrokerControl brokerControl;
    private final RawSender rawSender;
    private final RefusedLogin refusedLogin;
    private final Long bodyLimit;
    private final Duration faultTimeout;
    private final Duration resumeWithin;
    private final Duration memberTimeout;
    private final Consumer<List<String>> cleanup;
    private final TlsEndpoint tls;
    private final List<String> used = new CopyOnWriteArrayList<>();

    /** Credentials the broker refuses (rule 10.07), and the secret in them that must show up nowhere. */
    public record RefusedLogin(String uri, BrokerOptions options, String secret) {
        public RefusedLogin {
            Objects.requireNonNull(uri, "uri");
            Objects.requireNonNull(options, "options");
            if (secret == null || secret.length() < 4) {
                throw new IllegalArgumentException("give the refused secret (4 characters or more) to look for");
            }
        }
    }

    /**
     * A broker that speaks TLS only and demands a client certificate (SPEC Section 15).
     *
     * @param uri              its URI, on 127.0.0.1 (the host its certificate names)
     * @param otherHostUri     the same broker by a name its certificate does not carry ({@code localhost})
     * @param certificates     the CA that signed its certificate and the client certificate it accepts
     */
    public record TlsEndpoint(String uri, String otherHostUri, TestCertificates certificates) {
        public TlsEndpoint {
            Objects.requireNonNull(uri, "uri");
            Objects.requireNonNull(otherHostUri, "otherHostUri");
            Objects.requireNonNull(certificates, "certificates");
        }
    }

    private KitEnvironment(Builder b) {
        this.uri = b.uri;
        this.transportName = b.transportName;
        this.options = b.options;
        this.lacking = Map.copyOf(b.lacking);
        this.timeout = fromEnvironment("PARLEY_TCK_TIMEOUT_MS", b.timeout);
        this.shortTimeout = fromEnvironment("PARLEY_TCK_SHORT_TIMEOUT_MS", b.shortTimeout);
        this.slack = fromEnvironment("PARLEY_TCK_SLACK_MS", b.slack);
        this.destinationPrefix = b.destinationPrefix;
        this.brokerControl = b.brokerControl;
        this.rawSender = b.rawSender;
        this.refusedLogin = b.refusedLogin;
        this.bodyLimit = b.bodyLimit;
        this.faultTimeout = fromEnvironment("PARLEY_TCK_FAULT_TIMEOUT_MS", b.faultTimeout);
        this.resumeWithin = fromEnvironment("PARLEY_TCK_RESUME_MS", b.resumeWithin);
        this.memberTimeout = fromEnvironment("PARLEY_TCK_MEMBER_TIMEOUT_MS", b.memberTimeout);
        this.cleanup = b.cleanup;
        this.tls = b.tls;
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

    /** Connects a new broker to {@code uri} (a controlled broker's) with the environment's options. */
    public Broker connect(String uri) {
        return Broker.connect(uri, options);
    }

    public String uri() {
        return uri;
    }

    /** The broker the fault rules may kill, freeze and restart, if the environment gives one. */
    public Optional<BrokerControl> brokerControl() {
        return Optional.ofNullable(brokerControl);
    }

    /** Puts bad input on the broker of {@link #uri()}, if the environment gives one. */
    public Optional<RawSender> rawSender() {
        return Optional.ofNullable(rawSender);
    }

    /** A login the broker refuses, if the environment gives one. */
    public Optional<RefusedLogin> refusedLogin() {
        return Optional.ofNullable(refusedLogin);
    }

    /** The TLS broker of the TLS rules, if the environment gives one. */
    public Optional<TlsEndpoint> tls() {
        return Optional.ofNullable(tls);
    }

    /** The largest body the broker of {@link #uri()} takes, if the environment says. */
    public Optional<Long> bodyLimit() {
        return Optional.ofNullable(bodyLimit);
    }

    /** The timeout of the requests in the fault rules (2 s by default). */
    public Duration faultTimeout() {
        return faultTimeout;
    }

    /** How soon after the broker is back the same {@code Broker} must serve again (rule 10.03; 10 s). */
    public Duration resumeWithin() {
        return resumeWithin;
    }

    /**
     * How long the broker may take to give a dead member's work to the others, or to let a restarted
     * member in (rules 10.04, 10.05; 30 s by default): the consumer session timeout on Kafka.
     */
    public Duration memberTimeout() {
        return memberTimeout;
    }

    /** Hands the destinations used since the last call to the cleanup (see {@link Builder#cleanup}). */
    void cleanup() {
        List<String> destinations = List.copyOf(used);
        used.removeAll(destinations);
        if (cleanup != null && !destinations.isEmpty()) {
            cleanup.accept(destinations);
        }
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
        String destination = destinationPrefix + "." + hint + "." + UUID.randomUUID().toString().substring(0, 8);
        used.add(destination);
        return destination;
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
        private BrokerControl brokerControl;
        private RawSender rawSender;
        private RefusedLogin refusedLogin;
        private Long bodyLimit;
        private Duration faultTimeout = Duration.ofSeconds(2);
        private Duration resumeWithin = Duration.ofSeconds(10);
        private Duration memberTimeout = Duration.ofSeconds(30);
        private Consumer<List<String>> cleanup;
        private TlsEndpoint tls;

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

        /** A private broker the fault rules may break (SPEC Section 10); without it they are skipped. */
        public Builder brokerControl(BrokerControl control) {
            this.brokerControl = Objects.requireNonNull(control, "control");
            return this;
        }

        /** Puts bad input on the broker of the environment's URI (rule 10.06). */
        public Builder rawSender(RawSender sender) {
            this.rawSender = Objects.requireNonNull(sender, "sender");
            return this;
        }

        /** A URI and options whose credentials the broker refuses, and the secret among them (rule 10.07). */
        public Builder refusedLogin(String uri, BrokerOptions options, String secret) {
            this.refusedLogin = new RefusedLogin(uri, options, secret);
            return this;
        }

        /** The largest body the broker takes: rule 10.06 sends one byte more through Parley. */
        public Builder bodyLimit(long bytes) {
            this.bodyLimit = bytes;
            return this;
        }

        public Builder faultTimeout(Duration timeout) {
            this.faultTimeout = timeout;
            return this;
        }

        public Builder resumeWithin(Duration within) {
            this.resumeWithin = within;
            return this;
        }

        public Builder memberTimeout(Duration timeout) {
            this.memberTimeout = timeout;
            return this;
        }

        /**
         * Called after each test with the destinations it used, to delete what the broker keeps of them
         * (durable queues, topics, streams) when the kit runs against a long-lived broker.
         */
        public Builder cleanup(Consumer<List<String>> cleanup) {
            this.cleanup = cleanup;
            return this;
        }

        /**
         * The broker of the TLS rules (SPEC Section 15): TLS only, with the server certificate of
         * {@code certificates} and client certificates required. A transport that cannot use TLS declares
         * {@link Capability#TLS} lacking instead; one that can must give this, or the rules fail.
         */
        public Builder tls(String uri, String otherHostUri, TestCertificates certificates) {
            this.tls = new TlsEndpoint(uri, otherHostUri, certificates);
            return this;
        }

        public KitEnvironment build() {
            return new KitEnvironment(this);
        }
    }
}
