package io.parley.transport.mqtt.internal;

import io.parley.api.MessagingException;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The publishes of one connection (one CONNACK) that wait for the broker's acknowledgement, bounded
 * by the broker's Receive Maximum. Paho throws instead of queueing once its window is full, so every
 * publish takes a slot here first, on a send lane, and waits for one while the broker is slow: a
 * burst is queued, never failed. When the connection is lost the window dies: what it holds fails,
 * and the next connection gets a new window.
 */
final class FlightWindow {

    private final int size;
    private final Set<CompletableFuture<?>> inFlight = ConcurrentHashMap.newKeySet();
    private int used; // guarded by this
    private volatile MessagingException death;

    FlightWindow(int size) {
        this.size = size;
    }

    int size() {
        return size;
    }

    /** Takes a slot for {@code send}, waiting at most {@code millis}; false when none came free (or the window died). */
    synchronized boolean acquire(CompletableFuture<?> send, long millis) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (used >= size && death == null) {
            long left = end - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        if (death != null) {
            return false;
        }
        used++;
        inFlight.add(send);
        return true;
    }

    /** Gives the slot of {@code send} back; a second call for the same send does nothing. */
    void release(CompletableFuture<?> send) {
        if (inFlight.remove(send)) {
            synchronized (this) {
                used--;
                notifyAll();
            }
        }
    }

    /** Why the window died, or null while its connection lives. */
    MessagingException death() {
        return death;
    }

    /** Ends the window: every send it holds fails with {@code reason}, and no slot is given any more. */
    void kill(MessagingException reason) {
        synchronized (this) {
            if (death != null) {
                return;
            }
            death = reason;
            notifyAll();
        }
        for (CompletableFuture<?> send : inFlight) {
            send.completeExceptionally(reason);
        }
        inFlight.clear();
    }
}
