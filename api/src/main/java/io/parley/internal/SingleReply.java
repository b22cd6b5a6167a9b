package io.parley.internal;

import io.parley.api.Message;
import io.parley.api.RequestException;
import io.parley.api.RequestException.Reason;
import io.parley.spi.Envelope;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** A request that waits for one reply; its future leaves the table however it completes (cancel included). */
final class SingleReply extends PendingRequests.Pending {

    private final PendingRequests table;
    private final CompletableFuture<Message> future = new CompletableFuture<>();

    SingleReply(PendingRequests table, String correlationId, String destination, Duration timeout) {
        super(correlationId, destination, timeout);
        this.table = table;
        future.whenComplete((reply, failure) -> table.remove(this)); // cancel() ends it from outside
    }

    CompletableFuture<Message> future() {
        return future;
    }

    // Each ending leaves the table BEFORE completing the future: the caller woken by the completion
    // (or a stage it chained) must not find its own answered request still counted.

    @Override
    void deliver(Envelope reply, ReceivedMessage message) {
        table.remove(this);
        future.complete(message);
    }

    @Override
    void fail(RequestException failure) {
        table.remove(this);
        future.completeExceptionally(failure);
    }

    @Override
    void expire() {
        table.remove(this);
        if (!future.isDone()) {
            future.completeExceptionally(table.failure(Reason.TIMEOUT, this, "no reply in time"));
        }
    }

    /** Whether a failure is the timeout that a blocking caller turns into "no answer". */
    static boolean isTimeout(Throwable failure) {
        return failure instanceof RequestException e && e.reason() == Reason.TIMEOUT;
    }
}
