package io.parley.internal.memory;

import io.parley.api.BrokerClosedException;
import io.parley.api.MessagingException;
import io.parley.api.SubscribeOptions;
import io.parley.spi.Envelope;
import io.parley.spi.InboundHandler;
import io.parley.spi.ReplyListener;
import io.parley.spi.Transport;
import io.parley.spi.TransportSubscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One connection to a {@link MemoryBus}. Each subscription has a delivery thread that takes from its
 * own queue, as a broker client's consumer would; replies to this connection's requests go to an
 * inline sink. The native message of a received {@code Message} is its {@link Envelope}.
 */
final class MemoryTransport implements Transport {

    private static final Logger log = LoggerFactory.getLogger(MemoryTransport.class);
    private static final AtomicInteger THREADS = new AtomicInteger();
    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    private final MemoryBus bus;
    private final ReplyListener replies;
    private final String replyAddress = "_parley.reply." + UUID.randomUUID();
    private final MemoryBus.Receiver replySink;
    private final Set<Consumer> consumers = ConcurrentHashMap.newKeySet();
    private final long maxBodyBytes;
    private volatile boolean closed;

    MemoryTransport(MemoryBus bus, ReplyListener replies, long maxBodyBytes) {
        this.bus = bus;
        this.maxBodyBytes = maxBodyBytes;
        this.replies = replies;
        this.replySink = replies::onReply;
        bus.add(replyAddress, null, replySink);
    }

    @Override
    public CompletionStage<Void> publish(Envelope message) {
        ensureOpen();
        if (message.body().length > maxBodyBytes) {
            return tooLarge(message);
        }
        bus.publish(message.toBuilder().nativeMessage(null).build());
        return DONE;
    }

    @Override
    public CompletionStage<Void> request(Envelope request) {
        ensureOpen();
        if (request.body().length > maxBodyBytes) {
            return tooLarge(request);
        }
        int delivered = bus.publish(request.toBuilder().replyTo(replyAddress).nativeMessage(null).build());
        if (delivered == 0) {
            replies.onNoResponders(request.correlationId());
        }
        return DONE;
    }

    @Override
    public TransportSubscription subscribe(String destination, SubscribeOptions options, InboundHandler handler) {
        ensureOpen();
        Consumer consumer = new Consumer(destination, handler);
        consumers.add(consumer);
        bus.add(destination, options.group().orElse(null), consumer);
        consumer.thread.start();
        return consumer;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        bus.remove(replyAddress, replySink);
        for (Consumer consumer : consumers) {
            consumer.close();
        }
        bus.detach();
    }

    private CompletionStage<Void> tooLarge(Envelope message) {
        return CompletableFuture.failedFuture(new MessagingException("The message to '" + message.destination()
                + "' has a body of " + message.body().length + " bytes; this memory:// bus takes at most "
                + maxBodyBytes + " (" + MemoryTransportProvider.MAX_BODY_BYTES + "). Send less, or raise the limit"));
    }

    private void ensureOpen() {
        if (closed) {
            throw new BrokerClosedException("The memory transport is closed");
        }
    }

    /**
     * A subscription's consumer: a queue and the thread that hands its messages to the core. Paused by
     * the core, it leaves them in its queue, as a broker keeps what a paused consumer does not fetch.
     */
    private final class Consumer implements MemoryBus.Receiver, TransportSubscription {
        private final String destination;
        private final InboundHandler handler;
        private final LinkedBlockingQueue<Envelope> queue = new LinkedBlockingQueue<>();
        private final Thread thread;
        private final Object pause = new Object();
        private boolean paused; // guarded by pause
        private volatile boolean running = true;

        Consumer(String destination, InboundHandler handler) {
            this.destination = destination;
            this.handler = handler;
            this.thread = new Thread(this::run, "parley-memory-" + THREADS.incrementAndGet() + "-" + destination);
            this.thread.setDaemon(true);
        }

        @Override
        public void offer(Envelope envelope) {
            queue.add(envelope.toBuilder().nativeMessage(envelope).build());
        }

        private void run() {
            while (running) {
                Envelope next;
                try {
                    synchronized (pause) {
                        while (paused) {
                            pause.wait(); // close() interrupts it
                        }
                    }
                    next = queue.take();
                } catch (InterruptedException e) {
                    break;
                }
                CompletionStage<Void> outcome;
                try {
                    outcome = handler.onMessage(next);
                } catch (RuntimeException e) {
                    log.error("The core failed on a message of '{}'", destination, e);
                    continue;
                }
                Envelope taken = next;
                // not handled because the subscription closes (at once, or after it waited in the core):
                // back to the queue, which close() hands to the rest of the group
                outcome.whenComplete((ignored, failure) -> {
                    if (failure != null && InboundHandler.notHandled(failure)) {
                        queue.add(taken);
                    }
                });
                if (refusedAtOnce(outcome.toCompletableFuture())) {
                    break; // the subscription is closing: take nothing more
                }
            }
        }

        private static boolean refusedAtOnce(CompletableFuture<Void> outcome) {
            if (!outcome.isCompletedExceptionally()) {
                return false;
            }
            try {
                outcome.join();
                return false;
            } catch (RuntimeException e) {
                return InboundHandler.notHandled(e);
            }
        }

        @Override
        public boolean pausable() {
            return true;
        }

        @Override
        public void pause() {
            synchronized (pause) {
                paused = true;
            }
        }

        @Override
        public void resume() {
            synchronized (pause) {
                paused = false;
                pause.notifyAll();
            }
        }

        @Override
        public void close() {
            if (!running) {
                return;
            }
            running = false;
            List<MemoryBus.Receiver> others = bus.remove(destination, this);
            thread.interrupt();
            consumers.remove(this);
            try {
                thread.join(1_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            // Messages this consumer took but never handled go to the rest of its group, as a
            // broker requeues unacknowledged messages; with nobody left they are gone, as on a broker.
            Envelope leftover;
            int moved = 0;
            while ((leftover = queue.poll()) != null) {
                if (!others.isEmpty()) {
                    others.get(moved++ % others.size()).offer(leftover);
                } else {
                    log.debug("Dropped a message of '{}': its last subscriber closed", destination);
                }
            }
        }
    }
}
