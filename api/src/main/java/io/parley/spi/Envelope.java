package io.parley.spi;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What a transport moves: destination, body and the few fields every broker can carry. Immutable;
 * the body array is shared, not copied. {@link #headers()} are user (and error) headers only: the
 * content type, correlation id and reply-to have fields of their own, written with the wire names
 * below where the broker has no native property for them.
 */
public final class Envelope {

    /** Wire names of the standard fields (as the Python peers write them). */
    public static final String CONTENT_TYPE = "content-type";
    public static final String CORRELATION_ID = "correlation_id";
    public static final String REPLY_TO = "reply_to";
    public static final String MESSAGE_ID = "message_id";
    /** Error reply headers: the NATS micro convention, used on every broker. */
    public static final String ERROR = "Nats-Service-Error";
    public static final String ERROR_CODE = "Nats-Service-Error-Code";

    private static final byte[] EMPTY = new byte[0];

    private final String destination;
    private final byte[] body;
    private final String contentType;
    private final String correlationId;
    private final String replyTo;
    private final Map<String, String> headers;
    private final Object nativeMessage;
    private final String position;
    private final String problem;
    private final Duration timeToLive;

    private Envelope(Builder b) {
        this.destination = Objects.requireNonNull(b.destination, "destination");
        this.body = b.body == null ? EMPTY : b.body;
        this.contentType = b.contentType == null || b.contentType.isEmpty() ? null : b.contentType;
        this.correlationId = b.correlationId;
        this.replyTo = b.replyTo == null || b.replyTo.isEmpty() ? null : b.replyTo;
        // in the order given: AMQP tables, NATS headers and MQTT user properties are ordered, and a peer may care
        this.headers = b.headers == null || b.headers.isEmpty() ? Map.of() : orderedCopy(b.headers);
        this.nativeMessage = b.nativeMessage;
        this.position = b.position;
        this.problem = b.problem;
        this.timeToLive = b.timeToLive;
    }

    public static Builder builder(String destination) {
        return new Builder().destination(destination);
    }

    public String destination() {
        return destination;
    }

    public byte[] body() {
        return body;
    }

    /** Content type, or {@code null}: an empty content type on the wire is read as none. */
    public String contentType() {
        return contentType;
    }

    public String correlationId() {
        return correlationId;
    }

    public String replyTo() {
        return replyTo;
    }

    private static Map<String, String> orderedCopy(Map<String, String> headers) {
        Map<String, String> copy = new LinkedHashMap<>(headers.size() * 2);
        headers.forEach((name, value) -> copy.put(Objects.requireNonNull(name, "header name"),
                Objects.requireNonNull(value, () -> "value of header " + name)));
        return Collections.unmodifiableMap(copy);
    }

    public Map<String, String> headers() {
        return headers;
    }

    /** The broker client's own message this envelope was read from, or {@code null}. */
    public Object nativeMessage() {
        return nativeMessage;
    }

    /**
     * Where the broker keeps this received message, for log lines: {@code partition 3 offset 42},
     * {@code delivery tag 7}, {@code entry 1700000000000-0}; {@code null} when the broker has no such thing.
     */
    public String position() {
        return position;
    }

    /**
     * Why the transport could not read this received message as the broker gave it (a header that is
     * not UTF-8, a truncated envelope...), or {@code null} when it could. The transport hands such a
     * message to {@link InboundHandler#onMessage} with whatever it could read (at least the
     * destination; the reply-to and correlation id when it found them) instead of dropping it or
     * failing: the core logs it once at WARN, answers it with an error reply (code 400) when it has a
     * reply-to, never runs the handler, and completes the stage exceptionally, so that the transport
     * applies its policy for failed messages (acknowledge and skip, or dead-letter). A reply with a
     * problem, given to {@link ReplyListener#onReply}, fails its request at once with a
     * {@link io.parley.api.RemoteHandlerException} of code 502.
     */
    public String problem() {
        return problem;
    }

    /**
     * For a request: how long its requester waits for the answer (the request's timeout), or
     * {@code null} when it waits for ever; {@code null} for other messages. A transport whose broker
     * can drop a message that waited too long (RabbitMQ's per-message TTL) passes it on, so that no
     * responder works on a request that nobody waits for any more.
     */
    public Duration timeToLive() {
        return timeToLive;
    }

    /** Whether this is an error reply (carries {@link #ERROR}). */
    public boolean isError() {
        return headers.containsKey(ERROR);
    }

    /**
     * Whether this is the end-of-stream sentinel of many replies (NATS request-many): an empty body
     * with no content type and no headers. The correlation id does not count: it is routing.
     */
    public boolean isEndOfStream() {
        return body.length == 0 && contentType == null && headers.isEmpty();
    }

    public Builder toBuilder() {
        return new Builder().destination(destination).body(body).contentType(contentType)
                .correlationId(correlationId).replyTo(replyTo).headers(headers).nativeMessage(nativeMessage)
                .position(position).problem(problem).timeToLive(timeToLive);
    }

    @Override
    public String toString() {
        return "Envelope[destination=" + destination + ", bytes=" + body.length + ", contentType=" + contentType
                + ", correlationId=" + correlationId + ", replyTo=" + replyTo + ", headers=" + headers.keySet()
                + (position == null ? "" : ", position=" + position) + (problem == null ? "" : ", problem=" + problem) + "]";
    }

    public static final class Builder {
        private String destination;
        private byte[] body;
        private String contentType;
        private String correlationId;
        private String replyTo;
        private Map<String, String> headers;
        private boolean headersOwned; // true once headers is a map of our own that header() may change
        private Object nativeMessage;
        private String position;
        private String problem;
        private Duration timeToLive;

        private Builder() {
        }

        public Builder destination(String destination) {
            this.destination = destination;
            return this;
        }

        public Builder body(byte[] body) {
            this.body = body;
            return this;
        }

        public Builder contentType(String contentType) {
            this.contentType = contentType;
            return this;
        }

        public Builder correlationId(String correlationId) {
            this.correlationId = correlationId;
            return this;
        }

        public Builder replyTo(String replyTo) {
            this.replyTo = replyTo;
            return this;
        }

        public Builder headers(Map<String, String> headers) {
            this.headers = headers;
            this.headersOwned = false;
            return this;
        }

        public Builder header(String name, String value) {
            if (!headersOwned) {
                headers = headers == null ? new LinkedHashMap<>() : new LinkedHashMap<>(headers);
                headersOwned = true;
            }
            headers.put(name, value);
            return this;
        }

        public Builder nativeMessage(Object nativeMessage) {
            this.nativeMessage = nativeMessage;
            return this;
        }

        /** See {@link Envelope#position()}. */
        public Builder position(String position) {
            this.position = position;
            return this;
        }

        /** See {@link Envelope#problem()}. */
        public Builder problem(String problem) {
            this.problem = problem;
            return this;
        }

        /** See {@link Envelope#timeToLive()}. */
        public Builder timeToLive(Duration timeToLive) {
            this.timeToLive = timeToLive;
            return this;
        }

        public Envelope build() {
            return new Envelope(this);
        }
    }
}
