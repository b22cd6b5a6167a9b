package io.parley.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Headers, correlation id and reply-to of a published message. Publishing with a reply-to is the
 * non-blocking request: the answer goes to that destination's own subscriber.
 */
public final class PublishOptions {

    private static final PublishOptions DEFAULTS = builder().build();

    private final Map<String, String> headers;
    private final String correlationId;
    private final String replyTo;

    private PublishOptions(Builder b) {
        this.headers = Map.copyOf(b.headers);
        this.correlationId = b.correlationId;
        this.replyTo = b.replyTo;
    }

    public static PublishOptions defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Shorthand for a message whose answer goes to {@code destination}. */
    public static PublishOptions replyTo(String destination) {
        return builder().replyTo(destination).build();
    }

    public Map<String, String> headers() {
        return headers;
    }

    /** The correlation id to send; empty means a new random one. */
    public Optional<String> correlationId() {
        return Optional.ofNullable(correlationId);
    }

    public Optional<String> replyTo() {
        return Optional.ofNullable(replyTo);
    }

    public static final class Builder {
        private final Map<String, String> headers = new LinkedHashMap<>();
        private String correlationId;
        private String replyTo;

        private Builder() {
        }

        public Builder header(String name, String value) {
            headers.put(name, value);
            return this;
        }

        public Builder headers(Map<String, String> values) {
            headers.putAll(values);
            return this;
        }

        public Builder correlationId(String correlationId) {
            this.correlationId = correlationId;
            return this;
        }

        public Builder replyTo(String destination) {
            this.replyTo = destination;
            return this;
        }

        public PublishOptions build() {
            List<String> problems = new ArrayList<>();
            Validation.noNulls(problems, "headers", headers);
            if (replyTo != null && replyTo.isBlank()) {
                problems.add("replyTo must not be blank");
            }
            if (correlationId != null && correlationId.isBlank()) {
                problems.add("correlationId must not be blank");
            }
            if (!problems.isEmpty()) {
                throw ConfigurationException.of("publish options", problems);
            }
            return new PublishOptions(this);
        }
    }
}
