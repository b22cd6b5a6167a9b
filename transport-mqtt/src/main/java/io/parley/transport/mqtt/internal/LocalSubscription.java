package io.parley.transport.mqtt.internal;

import io.parley.spi.Envelope;
import io.parley.spi.InboundHandler;
import io.parley.spi.TransportSubscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One Parley subscription: a buffer and a thread of its own that hands the messages to the core.
 * The core's {@code onMessage} blocks while the subscription is at its concurrency limit; on this
 * thread that holds back only this subscription, never Paho's single callback thread, which serves
 * every subscription and the replies of the connection (kit rule 14.02).
 */
final class LocalSubscription implements TransportSubscription {

    private static final Logger log = LoggerFactory.getLogger(LocalSubscription.class);
    private static final long POLL_MS = 100;

    private final String destination;
    private final InboundHandler handler;
    private final BlockingQueue<Envelope> buffer;
    private final Consumer<LocalSubscription> onClose;
    private final Thread thread;
    private volatile boolean closed;

    LocalSubscription(String destination, InboundHandler handler, int bufferSize, String threadName,
                      Consumer<LocalSubscription> onClose) {
        this.destination = destination;
        this.handler = handler;
        this.buffer = new LinkedBlockingQueue<>(bufferSize);
        this.onClose = onClose;
        this.thread = new Thread(this::run, threadName);
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    String destination() {
        return destination;
    }

    boolean isClosed() {
        return closed;
    }

    /**
     * Takes a received message. Called on Paho's callback thread: it waits only when this
     * subscription's buffer is full (the handler far behind), which is the connection's back-pressure.
     */
    void offer(Envelope message) {
        try {
            while (!closed) {
                if (buffer.offer(message, POLL_MS, TimeUnit.MILLISECONDS)) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.debug("A message for the closed subscription to '{}' was dropped", destination);
    }

    private void run() {
        while (!closed) {
            Envelope message;
            try {
                message = buffer.poll(POLL_MS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (message == null) {
                continue;
            }
            try {
                // the stage only tells how the handler ended: the message was acknowledged when it arrived
                handler.onMessage(message);
            } catch (RuntimeException e) {
                log.warn("The handler of '{}' threw out of the core: {}", destination, e.toString());
            }
        }
        int left = buffer.size();
        buffer.clear();
        if (left > 0) {
            log.info("{} received message(s) of '{}' were not handled: the subscription closed", left, destination);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        onClose.accept(this);
    }

    /** Waits up to {@code millis} for the thread to end (after {@link #close()}). */
    void join(long millis) {
        try {
            thread.join(Math.max(1, millis));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
