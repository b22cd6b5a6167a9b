package io.parley.internal;

import io.parley.internal.PendingRequests.Pending;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Request timeouts grouped by due time into slots of {@link #SLOT_NANOS}: one timer task per slot
 * instead of one per request. A task per request woke the timer thread on every request (each new
 * deadline became the head of the timer's queue) and cost a cancellation per reply; with slots, a
 * request only adds itself to a set and removes itself when it ends. A timeout fires no earlier than
 * asked and at most one slot later.
 */
final class TimeoutSlots {

    static final long SLOT_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private final ScheduledExecutorService timer;
    private final ConcurrentHashMap<Long, Slot> slots = new ConcurrentHashMap<>();
    private final long origin = System.nanoTime();

    TimeoutSlots(ScheduledExecutorService timer) {
        this.timer = timer;
    }

    /** The requests that fall due in one slot. */
    final class Slot {
        private final long index;
        private final Set<Pending> entries = ConcurrentHashMap.newKeySet();
        private volatile boolean fired;

        private Slot(long index) {
            this.index = index;
        }

        /** Takes {@code pending} out of the slot: it ended before its timeout. */
        void disarm(Pending pending) {
            entries.remove(pending);
        }

        private void fire() {
            fired = true; // before the sweep: an arm() racing with it sees the flag or is swept
            slots.remove(index, this);
            for (Pending pending : entries) {
                pending.expire();
            }
            entries.clear();
        }
    }

    /** Arms the timeout of {@code pending}; {@link Pending#expire()} is called when it falls due. */
    Slot arm(Pending pending, long timeoutNanos) {
        long due = System.nanoTime() - origin + timeoutNanos;
        long index = (due + SLOT_NANOS - 1) / SLOT_NANOS; // rounded up: never early
        Slot slot = slots.computeIfAbsent(index, this::schedule);
        slot.entries.add(pending);
        if (slot.fired) { // only when this thread stalled for longer than the whole timeout
            pending.expire();
        }
        return slot;
    }

    private Slot schedule(long index) {
        Slot slot = new Slot(index);
        long delay = origin + index * SLOT_NANOS - System.nanoTime();
        timer.schedule(slot::fire, Math.max(0, delay), TimeUnit.NANOSECONDS);
        return slot;
    }

    /** Slots with a timer task outstanding (for tests). */
    int slotCount() {
        return slots.size();
    }
}
