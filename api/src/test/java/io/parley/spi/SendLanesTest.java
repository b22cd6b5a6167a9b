package io.parley.spi;

import io.parley.api.BrokerClosedException;
import io.parley.api.ConnectionException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SendLanesTest {

    @Test
    void sendsOfOneKeyRunInOrderAndTheCallerNeverWaits() throws Exception {
        try (SendLanes lanes = new SendLanes("test-send", 3, 100)) {
            CountDownLatch blocked = new CountDownLatch(1);
            List<Integer> order = Collections.synchronizedList(new ArrayList<>());
            long start = System.nanoTime();
            CompletableFuture<Void> first = lanes.submit("a", () -> {
                blocked.await(5, TimeUnit.SECONDS); // a send stuck on the broker
                order.add(0);
                return null;
            });
            List<CompletableFuture<Integer>> rest = new ArrayList<>();
            for (int i = 1; i <= 50; i++) {
                int n = i;
                rest.add(lanes.submit("a", () -> {
                    order.add(n);
                    return n;
                }));
            }
            assertTrue(System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(500), "submit must not wait");
            assertTrue(!first.isDone() && !rest.get(0).isDone());
            blocked.countDown();
            for (int i = 0; i < rest.size(); i++) {
                assertEquals(i + 1, rest.get(i).get(5, TimeUnit.SECONDS));
            }
            List<Integer> expected = new ArrayList<>();
            for (int i = 0; i <= 50; i++) {
                expected.add(i);
            }
            assertEquals(expected, order);
        }
    }

    @Test
    void aFullLaneFailsAtOnceAndAFailedSendFailsItsFuture() throws Exception {
        SendLanes lanes = new SendLanes("test-send", 1, 2);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch running = new CountDownLatch(1);
        lanes.submit("k", () -> {
            running.countDown();
            return release.await(5, TimeUnit.SECONDS);
        });
        assertTrue(running.await(5, TimeUnit.SECONDS));
        CompletableFuture<Object> queued1 = lanes.submit("k", () -> "one");
        CompletableFuture<Object> queued2 = lanes.submit("k", () -> "two");
        long start = System.nanoTime();
        CompletableFuture<Object> refused = lanes.submit("k", () -> "three"); // the lane is stuck: no send leaves
        long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(waited >= SendLanes.STALL.toMillis() - 20 && waited < SendLanes.STALL.toMillis() + 500,
                "a full, stuck lane refuses after " + SendLanes.STALL + ", took " + waited + " ms");
        ExecutionException full = assertThrows(ExecutionException.class, () -> refused.get(1, TimeUnit.SECONDS));
        assertInstanceOf(ConnectionException.class, full.getCause());
        start = System.nanoTime();
        CompletableFuture<Object> refusedAgain = lanes.submit("k", () -> "four"); // still stuck: no new wait
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 100, "a stuck lane refuses at once");
        assertTrue(refusedAgain.isCompletedExceptionally());
        release.countDown();
        assertEquals("one", queued1.get(5, TimeUnit.SECONDS));
        assertEquals("two", queued2.get(5, TimeUnit.SECONDS));
        CompletableFuture<Object> failing = lanes.submit("k", () -> {
            throw new IllegalStateException("broker said no");
        });
        ExecutionException failed = assertThrows(ExecutionException.class, () -> failing.get(5, TimeUnit.SECONDS));
        assertInstanceOf(IllegalStateException.class, failed.getCause());
        lanes.close(Duration.ofSeconds(1));
        ExecutionException closed = assertThrows(ExecutionException.class,
                () -> lanes.submit("k", () -> "late").get(1, TimeUnit.SECONDS));
        assertInstanceOf(BrokerClosedException.class, closed.getCause());
    }

    @Test
    void closeFailsWhatCouldNotLeaveWithinTheDrainTime() throws Exception {
        SendLanes lanes = new SendLanes("test-send", 1, 10);
        CountDownLatch never = new CountDownLatch(1);
        CompletableFuture<Object> stuck = lanes.submit("k", () -> {
            never.await();
            return null;
        });
        CompletableFuture<Object> behind = lanes.submit("k", () -> "never sent");
        lanes.close(Duration.ofMillis(200));
        ExecutionException e = assertThrows(ExecutionException.class, () -> behind.get(1, TimeUnit.SECONDS));
        assertInstanceOf(BrokerClosedException.class, e.getCause());
        assertThrows(ExecutionException.class, () -> stuck.get(1, TimeUnit.SECONDS)); // interrupted
    }

    @Test
    void aProducerFasterThanTheBrokerWaitsForRoomInsteadOfFailing() throws Exception {
        try (SendLanes lanes = new SendLanes("test-send", 1, 4)) {
            List<CompletableFuture<Integer>> sent = new ArrayList<>();
            for (int i = 0; i < 200; i++) { // 50 times the lane's room, each send slower than a submit
                int n = i;
                sent.add(lanes.submit("k", () -> {
                    Thread.sleep(1); // a broker round trip
                    return n;
                }));
            }
            for (int i = 0; i < sent.size(); i++) {
                assertEquals(i, sent.get(i).get(5, TimeUnit.SECONDS));
            }
        }
    }
}
