package io.parley.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.Executor;

/** Settings of one subscription. Immutable; built with {@link #builder()}. */
public final class SubscribeOptions {

    private static final SubscribeOptions DEFAULTS = builder().build();

    private final String group;
    private final Integer concurrency;
    private final Executor executor;
    private final boolean replies;
    private final Boolean errorDetails;
    private final Map<String, String> properties;

    private SubscribeOptions(Builder b) {
        this.group = b.group;
        this.concurrency = b.concurrency;
        this.executor = b.executor;
        this.replies = b.replies;
        this.errorDetails = b.errorDetails;
        this.properties = Map.copyOf(b.properties);
    }

    public static SubscribeOptions defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Shorthand for options that only join a group. */
    public static SubscribeOptions group(String group) {
        return builder().group(group).build();
    }

    /** The group this subscription joins: each message is handled by one member of a group. */
    public Optional<String> group() {
        return Optional.ofNullable(group);
    }

    /** Messages handled at once; empty means the broker's {@link BrokerOptions#handlerConcurrency()}. */
    public OptionalInt concurrency() {
        return concurrency == null ? OptionalInt.empty() : OptionalInt.of(concurrency);
    }

    /** Executor for this subscription's handler; empty means the broker's. */
    public Optional<Executor> executor() {
        return Optional.ofNullable(executor);
    }

    /** Whether the handler's return value is sent back to a message's reply-to (true unless {@link Builder#noReplies()}). */
    public boolean replies() {
        return replies;
    }

    /** Whether error replies carry the handler's exception; empty means the broker's {@link BrokerOptions#errorDetails()}. */
    public Optional<Boolean> errorDetails() {
        return Optional.ofNullable(errorDetails);
    }

    /** Transport-specific settings (queue arguments, destination kind...), documented by each transport. */
    public Map<String, String> properties() {
        return properties;
    }

    public static final class Builder {
        private String group;
        private Integer concurrency;
        private Executor executor;
        private boolean replies = true;
        private Boolean errorDetails;
        private final Map<String, String> properties = new LinkedHashMap<>();

        private Builder() {
        }

        public Builder group(String group) {
            this.group = group;
            return this;
        }

        public Builder concurrency(int concurrency) {
            this.concurrency = concurrency;
            return this;
        }

        public Builder executor(Executor executor) {
            this.executor = executor;
            return this;
        }

        /** Never reply, even when a message carries a reply-to. */
        public Builder noReplies() {
            this.replies = false;
            return this;
        }

        /**
         * Whether this subscription's error replies carry the handler's exception (its class and
         * message) and the decoding error of a bad request, instead of a generic text with an error id
         * (see {@link BrokerOptions#errorDetails()}). For callers you trust: the text reaches whoever
         * sent the request, Python peers included.
         */
        public Builder errorDetails(boolean send) {
            this.errorDetails = send;
            return this;
        }

        public Builder property(String key, String value) {
            this.properties.put(key, value);
            return this;
        }

        public SubscribeOptions build() {
            List<String> problems = new ArrayList<>();
            if (group != null && group.isBlank()) {
                problems.add("group must not be blank");
            }
            if (concurrency != null && concurrency < 1) {
                problems.add("concurrency must be at least 1, was " + concurrency);
            }
            Validation.noNulls(problems, "properties", properties);
            if (!problems.isEmpty()) {
                throw ConfigurationException.of("subscribe options", problems);
            }
            return new SubscribeOptions(this);
        }
    }
}
