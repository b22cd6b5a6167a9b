package io.parley.api;

import java.time.Duration;

/**
 * A request that ended without a usable reply. {@link #reason()} says why; the message has the
 * uniform shape {@code Request to 'dest' failed [reason=TIMEOUT, timeout=PT5S, transport=nats]: detail}.
 */
public class RequestException extends MessagingException {

    /** Why a request failed. */
    public enum Reason {
        /** No reply within the timeout (only thrown when the caller asked for it; see {@link RequestOptions}). */
        TIMEOUT,
        /** The broker said at once that nobody listens on the destination. */
        NO_RESPONDERS,
        /** The remote handler failed; see {@link RemoteHandlerException}. */
        REMOTE_ERROR,
        /**
         * The thread waiting for the reply was interrupted. (Cancelling the future of
         * {@link RpcClient#requestAsync} gives the JDK's {@code CancellationException}, as any future does.)
         */
        CANCELLED,
        /** The broker was closed while the request waited. */
        CLOSED,
        /** Too many requests in flight: the pending-request table is full. */
        TOO_MANY_PENDING,
        /** The request could not be handed to the broker. */
        SEND_FAILED,
        /** The connection was lost while the request waited. */
        CONNECTION_LOST
    }

    private final Reason reason;
    private final String destination;

    public RequestException(Reason reason, String destination, Duration timeout, String transport, String detail) {
        this(reason, destination, timeout, transport, detail, null);
    }

    public RequestException(Reason reason, String destination, Duration timeout, String transport, String detail,
                            Throwable cause) {
        super(format(reason, destination, timeout, transport, detail), cause);
        this.reason = reason;
        this.destination = destination;
    }

    public Reason reason() {
        return reason;
    }

    public String destination() {
        return destination;
    }

    private static String format(Reason reason, String destination, Duration timeout, String transport,
                                 String detail) {
        StringBuilder text = new StringBuilder("Request to '").append(destination).append("' failed [reason=")
                .append(reason);
        if (timeout != null) {
            text.append(", timeout=").append(timeout);
        }
        text.append(", transport=").append(transport).append(']');
        if (detail != null && !detail.isEmpty()) {
            text.append(": ").append(detail);
        }
        return text.toString();
    }
}
