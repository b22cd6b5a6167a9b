package io.parley.internal;

import io.parley.api.RemoteHandlerException;
import io.parley.api.RequestException;
import io.parley.api.RequestException.Reason;
import io.parley.api.codec.Codec;
import io.parley.spi.Envelope;
import io.parley.spi.ReplyListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The one table of requests waiting for replies, keyed by correlation id. Bounded; every entry
 * leaves it when answered, timed out, cancelled, failed or when the broker closes. A reply whose
 * id is not in the table (late, or not ours) is dropped.
 */
final class PendingRequests implements ReplyListener {

    private static final Logger log = LoggerFactory.getLogger(PendingRequests.class);
    /** A reply arrived that the transport could not read (Bad Gateway: the answer from upstream was invalid). */
    static final int CODE_UNREADABLE_REPLY = 502;

    private final ConcurrentHashMap<String, Pending> table = new ConcurrentHashMap<>();
    private final AtomicInteger size = new AtomicInteger();
    private final int capacity;
    private final String transport;
    private final Codec codec;
    private final TimeoutSlots timeouts;
    private volatile boolean closed;

    PendingRequests(int capacity, String transport, Codec codec, ScheduledExecutorService timer) {
        this.capacity = capacity;
        this.transport = transport;
        this.codec = codec;
        this.timeouts = new TimeoutSlots(timer);
    }

    /**
     * Adds an entry and arms its timeout. Returns false, with the entry failed, when the table is
     * full or closed: the caller must not send the request then.
     */
    boolean register(Pending pending) {
        if (size.incrementAndGet() > capacity) {
            size.decrementAndGet();
            pending.fail(failure(Reason.TOO_MANY_PENDING, pending, capacity + " requests are already waiting;"
                    + " raise BrokerOptions.maxPendingRequests or slow down"));
            return false;
        }
        pending.registered = true; // before the put: an entry that ends at once must still leave
        table.put(pending.correlationId, pending);
        if (pending.timeout != null) {
            try {
                pending.timeoutSlot = timeouts.arm(pending, pending.timeout.toNanos());
                if (table.get(pending.correlationId) != pending) { // ended before its timeout was armed
                    pending.timeoutSlot.disarm(pending);
                }
            } catch (RejectedExecutionException e) {
                // the timer stopped: the broker closed since our caller's check, and the check below ends the entry
            }
        }
        if (closed) { // close() may have swept the table between our caller's check and the put
            pending.fail(failure(Reason.CLOSED, pending, "the broker was closed"));
            return false;
        }
        return true;
    }

    /** Removes an entry; called by the entry itself when it ends, whatever the reason. */
    void remove(Pending pending) {
        if (pending.registered && table.remove(pending.correlationId, pending)) {
            size.decrementAndGet();
            TimeoutSlots.Slot slot = pending.timeoutSlot;
            if (slot != null) {
                slot.disarm(pending);
            }
        }
    }

    int size() {
        return size.get();
    }

    /** Fails every entry at once (broker closing), and every later registration. */
    void closeAll() {
        closed = true;
        failAll(Reason.CLOSED, "the broker was closed while the request waited");
    }

    @Override
    public void onConnectionLost(String detail) {
        int waiting = size.get();
        if (waiting == 0) { // a transport reports every reconnect; nothing to fail is not worth a warning
            log.debug("Connection lost with no request pending ({})", detail);
            return;
        }
        log.warn("Failing {} pending request(s): their replies can no longer arrive ({})", waiting, detail);
        failAll(Reason.CONNECTION_LOST, detail);
    }

    private void failAll(Reason reason, String detail) {
        for (Pending pending : table.values()) {
            pending.fail(failure(reason, pending, detail));
        }
    }

    @Override
    public void onReply(Envelope reply) {
        String id = reply.correlationId();
        Pending pending = id == null ? null : table.get(id);
        if (pending == null) {
            log.debug("Dropped a reply nobody waits for (late, or not ours): correlation id {}", id);
            return;
        }
        try {
            if (reply.problem() != null) { // its body alone would pass for an answer: the requester learns now
                log.warn("A reply to '{}' could not be read ({}) [{}correlation id {}]; the request fails with code {}",
                        pending.destination, reply.problem(), reply.position() == null ? "" : reply.position() + ", ",
                        id, CODE_UNREADABLE_REPLY);
                pending.fail(new RemoteHandlerException(pending.destination, transport,
                        "the reply could not be read: " + reply.problem(), CODE_UNREADABLE_REPLY));
            } else if (reply.isError()) {
                pending.fail(remoteError(pending.destination, reply));
            } else {
                pending.deliver(reply, new ReceivedMessage(reply, codec, null));
            }
        } catch (RuntimeException e) { // the contract says never throw into the transport
            log.warn("Could not deliver the reply for correlation id {}", id, e);
        }
    }

    @Override
    public void onNoResponders(String correlationId) {
        Pending pending = correlationId == null ? null : table.get(correlationId);
        if (pending != null) {
            pending.fail(failure(Reason.NO_RESPONDERS, pending, "nobody subscribes to this destination"));
        }
    }

    RequestException failure(Reason reason, Pending pending, String detail) {
        return failure(reason, pending, detail, null);
    }

    RequestException failure(Reason reason, Pending pending, String detail, Throwable cause) {
        return new RequestException(reason, pending.destination, reason == Reason.TIMEOUT ? pending.timeout : null,
                transport, detail, cause);
    }

    private RemoteHandlerException remoteError(String destination, Envelope reply) {
        String text = reply.headers().get(Envelope.ERROR);
        int code;
        try {
            code = Integer.parseInt(reply.headers().getOrDefault(Envelope.ERROR_CODE, "500").strip());
        } catch (NumberFormatException e) {
            code = 500;
        }
        return new RemoteHandlerException(destination, transport, text, code);
    }

    /** One waiting request; subclasses decide what a reply, a failure and the timeout do. */
    abstract static class Pending {
        final String correlationId;
        final String destination;
        final Duration timeout;
        volatile TimeoutSlots.Slot timeoutSlot;
        volatile boolean registered;

        Pending(String correlationId, String destination, Duration timeout) {
            this.correlationId = correlationId;
            this.destination = destination;
            this.timeout = timeout;
        }

        abstract void deliver(Envelope reply, ReceivedMessage message);

        abstract void fail(RequestException failure);

        abstract void expire();
    }
}
