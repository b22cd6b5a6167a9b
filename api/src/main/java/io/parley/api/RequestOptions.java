package io.parley.api;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Settings of one request. Immutable; built with {@link #builder()}.
 *
 * <p>Timeout: empty means the broker's {@link BrokerOptions#requestTimeout()} (30 s by default);
 * {@link Builder#noTimeout()} waits for ever. When it expires a blocking request returns
 * {@code Optional.empty()} ("no answer", like Propan's {@code None}), unless
 * {@link Builder#throwOnTimeout()} asks for a {@link RequestException} with reason
 * {@link RequestException.Reason#TIMEOUT}. The future of an asynchronous request always fails
 * with that exception, since a future has a failure channel of its own.
 *
 * <p>For {@link RpcClient#requestMany}, the timeout is the overall deadline of the stream, which
 * also ends after {@link #maxReplies()} replies, after a {@link #gap()} with no reply, or at the
 * end-of-stream sentinel (an empty reply without content type or headers) unless
 * {@link Builder#keepEmptyReplies()} is set.
 */
public final class RequestOptions {

    private static final RequestOptions DEFAULTS = builder().build();

    private final Duration timeout;
    private final boolean noTimeout;
    private final boolean throwOnTimeout;
    private final Map<String, String> headers;
    private final Integer maxReplies;
    private final Duration gap;
    private final boolean untilSentinel;

    private RequestOptions(Builder b) {
        this.timeout = b.timeout;
        this.noTimeout = b.noTimeout;
        this.throwOnTimeout = b.throwOnTimeout;
        this.headers = Map.copyOf(b.headers);
        this.maxReplies = b.maxReplies;
        this.gap = b.gap;
        this.untilSentinel = b.untilSentinel;
    }

    public static RequestOptions defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Shorthand for a request with this timeout and otherwise default settings. */
    public static RequestOptions timeout(Duration timeout) {
        return builder().timeout(timeout).build();
    }

    /** The timeout set for this request; empty means the broker's default or, with {@link #waitsForever()}, none. */
    public Optional<Duration> timeout() {
        return Optional.ofNullable(timeout);
    }

    public boolean waitsForever() {
        return noTimeout;
    }

    public boolean throwsOnTimeout() {
        return throwOnTimeout;
    }

    public Map<String, String> headers() {
        return headers;
    }

    /** requestMany: the stream ends after this many replies. */
    public OptionalInt maxReplies() {
        return maxReplies == null ? OptionalInt.empty() : OptionalInt.of(maxReplies);
    }

    /** requestMany: the stream ends when no reply came for this long after the last one (or the request). */
    public Optional<Duration> gap() {
        return Optional.ofNullable(gap);
    }

    /** requestMany: whether the end-of-stream sentinel ends the stream (true unless {@link Builder#keepEmptyReplies()}). */
    public boolean endsOnSentinel() {
        return untilSentinel;
    }

    public static final class Builder {
        private Duration timeout;
        private boolean noTimeout;
        private boolean throwOnTimeout;
        private final Map<String, String> headers = new LinkedHashMap<>();
        private Integer maxReplies;
        private Duration gap;
        private boolean untilSentinel = true;

        private Builder() {
        }

        public Builder timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        /** Wait for the reply for ever (or until the request is cancelled or the broker closed). */
        public Builder noTimeout() {
            this.noTimeout = true;
            return this;
        }

        /** On timeout throw a {@link RequestException} (reason TIMEOUT) instead of returning no answer. */
        public Builder throwOnTimeout() {
            this.throwOnTimeout = true;
            return this;
        }

        public Builder header(String name, String value) {
            headers.put(name, value);
            return this;
        }

        public Builder headers(Map<String, String> values) {
            headers.putAll(values);
            return this;
        }

        public Builder maxReplies(int count) {
            this.maxReplies = count;
            return this;
        }

        public Builder gap(Duration gap) {
            this.gap = gap;
            return this;
        }

        /** requestMany: deliver empty replies as messages instead of treating them as the end of the stream. */
        public Builder keepEmptyReplies() {
            this.untilSentinel = false;
            return this;
        }

        public RequestOptions build() {
            List<String> problems = new ArrayList<>();
            if (timeout != null) {
                Validation.positive(problems, "timeout", timeout);
                if (noTimeout) {
                    problems.add("timeout and noTimeout exclude each other");
                }
            }
            if (gap != null) {
                Validation.positive(problems, "gap", gap);
            }
            if (maxReplies != null && maxReplies < 1) {
                problems.add("maxReplies must be at least 1, was " + maxReplies);
            }
            Validation.noNulls(problems, "headers", headers);
            if (!problems.isEmpty()) {
                throw ConfigurationException.of("request options", problems);
            }
            return new RequestOptions(this);
        }
    }
}
