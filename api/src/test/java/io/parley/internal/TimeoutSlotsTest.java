package io.parley.internal;

import io.parley.api.RequestException;
import io.parley.fakes.Await;
import io.parley.internal.PendingRequests.Pending;
import io.parley.spi.Envelope;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TimeoutSlotsTest {

    private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1);
    private final TimeoutSlots slots = new TimeoutSlots(timer);

    @AfterEach
    void stopTimer() {
        timer.shutdownNow();
    }

    /** Records when it expired, in nanos after it was armed. */
    private static final class Probe extends Pending {
        final long armedAt = System.nanoTime();
        final AtomicLong expiredAfter = new AtomicLong(-1);

        Probe() {
            super("id", "dest", Duration.ofMillis(1));
        }

        @Override
        void deliver(Envelope reply, ReceivedMessage message) {
        }

        @Override
        void fail(RequestException failure) {
        }

        @Override
        void expire() {
            expiredAfter.compareAndSet(-1, System.nanoTime() - armedAt);
        }
    }

    @Test
    void expiresNeverEarlyAndAtMostAboutOneSlotLate() {
        List<Probe> probes = new ArrayList<>();
        for (int millis = 1; millis <= 120; millis += 7) {
            Probe probe = new Probe();
            slots.arm(probe, TimeUnit.MILLISECONDS.toNanos(millis));
            probes.add(probe);
        }
        Await.until(() -> probes.stream().allMatch(p -> p.expiredAfter.get() >= 0), Duration.ofSeconds(5),
                "every probe expired");
        for (int i = 0; i < probes.size(); i++) {
            long asked = TimeUnit.MILLISECONDS.toNanos(1 + 7L * i);
            long took = probes.get(i).expiredAfter.get();
            assertTrue(took >= asked, "probe " + i + " expired early: " + took + " ns < " + asked + " ns");
            // one slot of rounding, plus generous scheduling noise on a shared machine
            assertTrue(took < asked + TimeoutSlots.SLOT_NANOS + TimeUnit.MILLISECONDS.toNanos(500),
                    "probe " + i + " expired late: " + took + " ns");
        }
        Await.until(() -> slots.slotCount() == 0, Duration.ofSeconds(1), "fired slots are forgotten");
    }

    @Test
    void disarmedEntryDoesNotExpire() {
        Probe kept = new Probe();
        Probe disarmed = new Probe();
        slots.arm(kept, TimeUnit.MILLISECONDS.toNanos(20));
        slots.arm(disarmed, TimeUnit.MILLISECONDS.toNanos(20)).disarm(disarmed);
        Await.until(() -> kept.expiredAfter.get() >= 0, Duration.ofSeconds(5), "the armed probe expired");
        // both were in the same or an earlier slot, which has fired by now
        Await.until(() -> slots.slotCount() == 0, Duration.ofSeconds(1), "the slots fired");
        assertEquals(-1, disarmed.expiredAfter.get());
    }

    @Test
    void oneTimerTaskPerSlotNotPerRequest() {
        for (int i = 0; i < 10_000; i++) {
            slots.arm(new Probe(), TimeUnit.SECONDS.toNanos(30));
        }
        // 10,000 requests armed within a few slots' time share a handful of timer tasks
        assertTrue(timer.getQueue().size() <= 1 + slots.slotCount() && slots.slotCount() < 100,
                "timer tasks: " + timer.getQueue().size() + ", slots: " + slots.slotCount());
    }
}
