package io.parley.internal;

import io.parley.api.Message;
import io.parley.api.RequestException;
import io.parley.api.RequestException.Reason;
import io.parley.api.RequestOptions;
import io.parley.spi.Envelope;

import java.time.Duration;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A request that takes many replies. Replies queue up as they arrive; the caller's stream pulls
 * them and ends on the max count, the deadline, a gap or the sentinel. The entry leaves the table
 * when the stream ends, is closed, or the deadline passes while nobody pulls.
 */
final class ReplyStream extends PendingRequests.Pending {

    private static final Object DEADLINE = new Object();

    private final PendingRequests table;
    private final LinkedBlockingQueue<Object> arrivals = new LinkedBlockingQueue<>();
    private final int maxReplies;
    private final long gapNanos;
    private final long deadlineNanos;
    private final boolean endsOnSentinel;

    ReplyStream(PendingRequests table, String correlationId, String destination, Duration timeout,
                RequestOptions options) {
        super(correlationId, destination, timeout);
        this.table = table;
        this.maxReplies = options.maxReplies().orElse(Integer.MAX_VALUE);
        this.gapNanos = options.gap().map(Duration::toNanos).orElse(Long.MAX_VALUE);
        this.deadlineNanos = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
        this.endsOnSentinel = options.endsOnSentinel();
    }

    Stream<Message> stream() {
        Puller puller = new Puller();
        return StreamSupport.stream(puller, false).onClose(this::end);
    }

    @Override
    void deliver(Envelope reply, ReceivedMessage message) {
        arrivals.offer(message);
    }

    @Override
    void fail(RequestException failure) {
        arrivals.offer(failure);
        table.remove(this);
    }

    @Override
    void expire() {
        arrivals.offer(DEADLINE);
        table.remove(this);
    }

    private void end() {
        table.remove(this);
    }

    private final class Puller extends Spliterators.AbstractSpliterator<Message> {
        private int received;
        private long lastArrival = System.nanoTime();
        private boolean done;

        Puller() {
            super(Long.MAX_VALUE, Spliterator.ORDERED | Spliterator.NONNULL);
        }

        @Override
        public boolean tryAdvance(Consumer<? super Message> action) {
            if (done) {
                return false;
            }
            if (received >= maxReplies) {
                return finish();
            }
            Object next;
            try {
                next = take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                finish();
                throw table.failure(Reason.CANCELLED, ReplyStream.this, "interrupted while waiting for replies");
            }
            if (next == null || next == DEADLINE) {
                return finish();
            }
            if (next instanceof RequestException failure) {
                finish();
                throw failure;
            }
            ReceivedMessage message = (ReceivedMessage) next;
            if (endsOnSentinel && message.envelope().isEndOfStream()) {
                return finish();
            }
            received++;
            lastArrival = System.nanoTime();
            action.accept(message);
            if (received >= maxReplies) {
                finish();
            }
            return true;
        }

        /** The next arrival, or null when the deadline or the gap passed first. */
        private Object take() throws InterruptedException {
            long now = System.nanoTime();
            long untilDeadline = deadlineNanos == Long.MAX_VALUE ? Long.MAX_VALUE : deadlineNanos - now;
            long untilGap = gapNanos == Long.MAX_VALUE ? Long.MAX_VALUE : lastArrival + gapNanos - now;
            long wait = Math.min(untilDeadline, untilGap);
            if (wait == Long.MAX_VALUE) {
                return arrivals.take();
            }
            return wait <= 0 ? arrivals.poll() : arrivals.poll(wait, TimeUnit.NANOSECONDS);
        }

        private boolean finish() {
            done = true;
            end();
            return false;
        }
    }
}
