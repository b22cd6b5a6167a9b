package io.parley.api;

import io.parley.api.codec.Codec;
import io.parley.api.codec.JsonCodec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;

/**
 * Settings of one {@link Broker}. Immutable; built with {@link #builder()}. Transport-specific knobs
 * travel as string {@link #properties()} so that each transport keeps its own settings in its module.
 */
public final class BrokerOptions {

    /** System property that names the transport to use, overriding the URI scheme. */
    public static final String TRANSPORT_PROPERTY = "parley.transport";

    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);
    public static final int DEFAULT_MAX_PENDING_REQUESTS = 100_000;
    public static final int DEFAULT_HANDLER_CONCURRENCY = 16;
    public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(10);

    private static final BrokerOptions DEFAULTS = builder().build();

    private final String transport;
    private final Duration requestTimeout;
    private final int maxPendingRequests;
    private final Executor handlerExecutor;
    private final int handlerConcurrency;
    private final Duration closeTimeout;
    private final Codec codec;
    private final boolean errorDetails;
    private final TlsOptions tls;
    private final Map<String, String> properties;

    private BrokerOptions(Builder b) {
        this.transport = b.transport;
        this.requestTimeout = b.requestTimeout;
        this.maxPendingRequests = b.maxPendingRequests;
        this.handlerExecutor = b.handlerExecutor;
        this.handlerConcurrency = b.handlerConcurrency;
        this.closeTimeout = b.closeTimeout;
        this.codec = b.codec;
        this.errorDetails = b.errorDetails;
        this.tls = b.tls;
        this.properties = Map.copyOf(b.properties);
    }

    public static BrokerOptions defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The transport chosen by name, overriding the URI scheme (also settable with {@value #TRANSPORT_PROPERTY}). */
    public Optional<String> transport() {
        return Optional.ofNullable(transport);
    }

    /** Timeout of a request that does not set its own; 30 s unless set. */
    public Duration requestTimeout() {
        return requestTimeout;
    }

    /** Bound of the pending-request table; a request beyond it fails with {@link RequestException.Reason#TOO_MANY_PENDING}. */
    public int maxPendingRequests() {
        return maxPendingRequests;
    }

    /** Executor for handlers; empty means a pool owned (and shut down) by the broker. */
    public Optional<Executor> handlerExecutor() {
        return Optional.ofNullable(handlerExecutor);
    }

    /** How many messages one subscription handles at once unless it sets its own. */
    public int handlerConcurrency() {
        return handlerConcurrency;
    }

    /** How long {@link Broker#close()} lets running handlers finish. */
    public Duration closeTimeout() {
        return closeTimeout;
    }

    public Codec codec() {
        return codec;
    }

    /** Transport-specific settings, documented by each transport. */
    public Map<String, String> properties() {
        return properties;
    }

    /**
     * Whether the error replies of this broker's subscriptions carry the handler's exception (its class
     * and message) and the decoding error of a bad request. {@code false} by default: the requester
     * gets the code (500, 400) and a generic text with an error id, and the responder's WARN line
     * carries the same id with the details, so internals (SQL, paths, class names) never leave the
     * service. {@link SubscribeOptions.Builder#errorDetails(boolean)} overrides it per subscription.
     */
    public boolean errorDetails() {
        return errorDetails;
    }

    /**
     * TLS settings (trust, client certificate for mutual TLS, or an {@code SSLContext}); when given, the
     * connection uses TLS whatever the URI's scheme. Empty: TLS only when the scheme asks for it
     * ({@code tls://}, {@code amqps://}, {@code rediss://}), with the JVM's trusted CAs.
     */
    public Optional<TlsOptions> tls() {
        return Optional.ofNullable(tls);
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.transport = transport;
        b.requestTimeout = requestTimeout;
        b.maxPendingRequests = maxPendingRequests;
        b.handlerExecutor = handlerExecutor;
        b.handlerConcurrency = handlerConcurrency;
        b.closeTimeout = closeTimeout;
        b.codec = codec;
        b.errorDetails = errorDetails;
        b.tls = tls;
        b.properties.putAll(properties);
        return b;
    }

    public static final class Builder {
        private String transport;
        private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
        private int maxPendingRequests = DEFAULT_MAX_PENDING_REQUESTS;
        private Executor handlerExecutor;
        private int handlerConcurrency = DEFAULT_HANDLER_CONCURRENCY;
        private Duration closeTimeout = DEFAULT_CLOSE_TIMEOUT;
        private Codec codec = new JsonCodec();
        private boolean errorDetails;
        private TlsOptions tls;
        private final Map<String, String> properties = new LinkedHashMap<>();

        private Builder() {
        }

        public Builder transport(String name) {
            this.transport = name;
            return this;
        }

        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = timeout;
            return this;
        }

        public Builder maxPendingRequests(int max) {
            this.maxPendingRequests = max;
            return this;
        }

        public Builder handlerExecutor(Executor executor) {
            this.handlerExecutor = executor;
            return this;
        }

        public Builder handlerConcurrency(int concurrency) {
            this.handlerConcurrency = concurrency;
            return this;
        }

        public Builder closeTimeout(Duration timeout) {
            this.closeTimeout = timeout;
            return this;
        }

        public Builder codec(Codec codec) {
            this.codec = codec;
            return this;
        }

        /** See {@link BrokerOptions#errorDetails()}: send them only to callers you trust. */
        public Builder errorDetails(boolean send) {
            this.errorDetails = send;
            return this;
        }

        /** See {@link BrokerOptions#tls()}; {@code null} takes it away. */
        public Builder tls(TlsOptions tls) {
            this.tls = tls;
            return this;
        }

        public Builder property(String key, String value) {
            this.properties.put(key, value);
            return this;
        }

        public Builder properties(Map<String, String> values) {
            this.properties.putAll(values);
            return this;
        }

        /** @throws ConfigurationException listing every invalid setting */
        public BrokerOptions build() {
            List<String> problems = new ArrayList<>();
            if (transport != null && transport.isBlank()) {
                problems.add("transport must not be blank");
            }
            Validation.positive(problems, "requestTimeout", requestTimeout);
            Validation.positive(problems, "closeTimeout", closeTimeout);
            if (maxPendingRequests < 1) {
                problems.add("maxPendingRequests must be at least 1, was " + maxPendingRequests);
            }
            if (handlerConcurrency < 1) {
                problems.add("handlerConcurrency must be at least 1, was " + handlerConcurrency);
            }
            if (codec == null) {
                problems.add("codec must not be null");
            }
            Validation.noNulls(problems, "properties", properties);
            if (!problems.isEmpty()) {
                throw ConfigurationException.of("broker options", problems);
            }
            return new BrokerOptions(this);
        }
    }
}
