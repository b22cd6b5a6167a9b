package io.parley.spi;

import io.parley.api.BrokerClosedException;
import io.parley.api.ConnectionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Threads of a transport's own for sends whose client call can block on the broker: a Kafka producer
 * waiting for topic metadata or buffer space, a Redis command on a frozen server. The transport hands
 * such a send here from {@link Transport#publish} or {@link Transport#request} and returns the future
 * at once, so no caller of Parley waits on the broker (docs/SPEC.md Section 6); the core's timeout
 * then bounds every request, whatever the broker does.
 *
 * <p>Sends with the same key (a destination) run one after another, in the order they were handed
 * over, on one lane; other keys spread over the other lanes, so one destination whose sends block
 * holds back only the destinations that share its lane. A lane holds at most {@code capacity} sends.
 * When it is full, {@link #submit} waits for room as long as the lane's sends keep leaving: a
 * producer that outruns a live broker is slowed down to its pace instead of failing. Once no send
 * has left the lane for {@link #STALL} (the broker is frozen, down or refusing), the send fails with a
 * {@link ConnectionException} instead, and so does every further send to the full lane at once until
 * a send leaves it again: nobody waits on a broker that does not answer.
 *
 * <p>A transport whose client call cannot block (it fails at once instead, as a Kafka producer with
 * {@code max.block.ms=0}) may send straight from the caller's thread and use the lanes only for the
 * sends that would have to wait, as long as it keeps the order of each key.
 */
public final class SendLanes implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SendLanes.class);

    /** How long a send waits for room on a full lane from which no send has left meanwhile. */
    public static final Duration STALL = Duration.ofMillis(250);

    /** One send: runs on a lane thread; what it returns completes the future, what it throws fails it. */
    @FunctionalInterface
    public interface Send<T> {
        T run() throws Exception;
    }

    private final String name;
    private final int capacity;
    private final Lane[] lanes;
    private volatile boolean closed;

    /**
     * @param name     prefix of the lanes' thread names, e.g. {@code parley-redis-3-send}
     * @param lanes    how many threads (1 keeps every send in one order)
     * @param capacity sends that may wait on one lane
     */
    public SendLanes(String name, int lanes, int capacity) {
        if (lanes < 1 || capacity < 1) {
            throw new IllegalArgumentException("lanes and capacity must be at least 1");
        }
        this.name = name;
        this.capacity = capacity;
        this.lanes = new Lane[lanes];
        for (int i = 0; i < lanes; i++) {
            this.lanes[i] = new Lane(name + "-" + (i + 1));
        }
    }

    /** Queues {@code send} on the lane of {@code key}; never blocks. */
    public <T> CompletableFuture<T> submit(Object key, Send<T> send) {
        CompletableFuture<T> result = new CompletableFuture<>();
        if (closed) {
            result.completeExceptionally(new BrokerClosedException("The transport is closed (" + name + ")"));
            return result;
        }
        Lane lane = lanes[Math.floorMod(key == null ? 0 : key.hashCode(), lanes.length)];
        Task<T> task = new Task<>(send, result);
        if (!lane.queue.offer(task) && !lane.awaitRoom(task)) {
            result.completeExceptionally(new ConnectionException(capacity + " sends wait for the broker (" + name
                    + ") and none has left for " + STALL.toMillis() + " ms: it is not answering; the send was not made"));
        } else if (closed) { // close() may have swept the lane between our check and the offer
            lane.failLeft(Duration.ZERO);
        }
        return result;
    }

    /** Sends still waiting on the lanes (for tests and diagnostics). */
    public int waiting() {
        int waiting = 0;
        for (Lane lane : lanes) {
            waiting += lane.queue.size();
        }
        return waiting;
    }

    /**
     * Stops taking sends, gives the queued ones up to {@code drain} to leave, then stops the threads
     * and fails whatever is left with {@link BrokerClosedException}.
     */
    public void close(Duration drain) {
        closed = true;
        long deadline = System.nanoTime() + drain.toNanos();
        for (Lane lane : lanes) {
            lane.stopWhenEmpty();
        }
        for (Lane lane : lanes) {
            lane.join(Math.max(0, deadline - System.nanoTime()));
        }
        for (Lane lane : lanes) {
            lane.halted = true; // before the interrupt: a send it ends must not let the lane take the next one
            lane.thread.interrupt();
            lane.failLeft(drain);
        }
    }

    /** Same as {@link #close(Duration)} with five seconds to drain. */
    @Override
    public void close() {
        close(Duration.ofSeconds(5));
    }

    private record Task<T>(Send<T> send, CompletableFuture<T> result) {
        void run() {
            try {
                result.complete(send.run());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        }
    }

    private final class Lane implements Runnable {
        private final BlockingQueue<Task<?>> queue = new ArrayBlockingQueue<>(capacity);
        private final Thread thread;
        private final AtomicLong left = new AtomicLong(); // sends that left the lane: its progress
        private volatile long stalledAt = -1; // the progress at which a send last gave up waiting
        private volatile boolean stopping;
        private volatile boolean halted;

        Lane(String threadName) {
            this.thread = new Thread(this, threadName);
            this.thread.setDaemon(true);
            this.thread.start();
        }

        @Override
        public void run() {
            while (true) {
                Task<?> task;
                try {
                    task = queue.poll(100, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    return; // closed: close() fails what is left
                }
                if (task != null && halted) { // taken after close() gave up on the lane: not sent
                    task.result.completeExceptionally(new BrokerClosedException("The transport closed before this"
                            + " send was made (" + name + ")"));
                    return;
                }
                if (task != null) {
                    task.run();
                    left.incrementAndGet();
                } else if (stopping) {
                    return;
                }
            }
        }

        /**
         * Waits for room while sends keep leaving; false once none left for {@link #STALL}, and at once
         * while the lane is still where it was when a send last gave up on it.
         */
        boolean awaitRoom(Task<?> task) {
            long progress = left.get();
            if (progress == stalledAt) {
                return false;
            }
            long since = System.nanoTime();
            try {
                while (!closed) {
                    if (queue.offer(task, 10, TimeUnit.MILLISECONDS)) {
                        return true;
                    }
                    long now = left.get();
                    if (now != progress) {
                        progress = now;
                        since = System.nanoTime();
                    } else if (System.nanoTime() - since > STALL.toNanos()) {
                        stalledAt = progress;
                        return false;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return false;
        }

        void stopWhenEmpty() {
            stopping = true;
        }

        void failLeft(Duration drain) {
            List<Task<?>> left = new ArrayList<>();
            queue.drainTo(left);
            if (!left.isEmpty()) {
                log.warn("{} send(s) of {} were not made within {}: the transport closed", left.size(), name, drain);
            }
            for (Task<?> task : left) {
                task.result.completeExceptionally(new BrokerClosedException("The transport closed before this send"
                        + " was made (" + name + ")"));
            }
        }

        void join(long nanos) {
            try {
                thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
