package io.parley.transport.kafka.internal;

import io.parley.api.ConnectionException;
import io.parley.spi.InboundHandler;
import io.parley.spi.TransportSubscription;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One consumer and its poll thread. Records go to the core in partition order; an offset is
 * committed (every {@code kafka.commit-interval-ms}, and when partitions are revoked or the
 * subscription closes) once every record before it in its partition is done (handler finished, reply
 * sent), so a crash redelivers what was not finished: at least once. A record whose handler failed, or
 * that could not be read, counts as done (the core logged it): it never blocks its partition and is
 * never delivered again. A record the core refused unhandled because the subscription closed is never
 * done: the commit stops before it, so the member that takes the partition over handles it. When the
 * subscription's handlers are busy the core pauses it: the partitions are paused and {@code poll} goes
 * on, so the member keeps its place in the group and never holds up a rebalance.
 *
 * <p>{@code subscribe} returns once the group has assigned this consumer its partitions, their
 * positions are fixed and committed: nothing sent afterwards is missed, and a member that takes over
 * after this one dies starts where this one started, not at the end of the log. The wait is bounded
 * by the session timeout plus the connect timeout: a crashed member of the group keeps its partitions
 * until its session expires. The poll thread never stops on a failure (the broker away, a refused
 * commit): it retries until the subscription closes.
 */
final class KafkaSubscription implements TransportSubscription, Runnable {

    private static final Logger log = LoggerFactory.getLogger(KafkaSubscription.class);
    private static final Duration COMMIT_TIMEOUT = Duration.ofSeconds(5);

    private final String topic;
    private final InboundHandler handler;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Duration apiTimeout;
    private final Thread thread;
    private final CountDownLatch assigned = new CountDownLatch(1);
    private final PollRetry retry;
    // poll thread only:
    private final Map<TopicPartition, ArrayDeque<InFlight>> inFlight = new HashMap<>();
    private final Map<TopicPartition, OffsetAndMetadata> uncommitted = new HashMap<>();
    private final long commitIntervalNanos;
    private long lastCommit = System.nanoTime();
    private boolean paused; // poll thread only: whether the assigned partitions are paused
    private volatile boolean pauseRequested; // by the core, from any thread
    private volatile boolean running = true;

    private record InFlight(long offset, CompletableFuture<Void> done) {
    }

    KafkaSubscription(String topic, String group, boolean privateGroup, InboundHandler handler,
                      Map<String, Object> properties, Duration subscribeTimeout, Duration apiTimeout,
                      Duration commitInterval, String redactedUri) {
        this.topic = topic;
        this.commitIntervalNanos = commitInterval.toNanos();
        this.handler = handler;
        this.apiTimeout = apiTimeout;
        this.retry = new PollRetry(log, "The Kafka consumer of '" + topic + "'" + (privateGroup ? "" : " (group '" + group + "')"));
        this.consumer = new KafkaConsumer<>(properties);
        this.thread = new Thread(this, "parley-kafka-consumer-" + topic);
        this.thread.setDaemon(true);
        this.thread.start();
        try {
            if (!assigned.await(subscribeTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                RuntimeException last = retry.lastFailure();
                close();
                throw new ConnectionException("The subscription to '" + topic + "' on Kafka at " + redactedUri
                        + " got no partition assignment within " + subscribeTimeout.toMillis() + " ms (the session"
                        + " timeout, which a crashed member of the group holds its partitions for, plus"
                        + " kafka.connect-timeout-ms)" + (privateGroup ? "" : " in group '" + group + "'")
                        + (last == null ? "" : ": " + last.getMessage()), last);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new ConnectionException("Interrupted while subscribing to '" + topic + "'", e);
        }
    }

    @Override
    public void run() {
        try {
            consumer.subscribe(List.of(topic), new Rebalance());
            while (running) {
                try {
                    applyPause();
                    for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                        deliver(record);
                        maybeCommit();
                    }
                    retry.succeeded();
                    maybeCommit();
                } catch (WakeupException e) {
                    throw e;
                } catch (RuntimeException e) {
                    if (!running || !retry.failed(e)) {
                        return;
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } finally {
            try {
                commitSync(null);
            } catch (WakeupException e) { // the wake-up of close() had not been used by a poll yet
                commitSync(null);
            }
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
        }
    }

    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            if (paused) {
                consumer.pause(partitions); // the core still asks for no more
            }
            try {
                Map<TopicPartition, OffsetAndMetadata> start = new HashMap<>();
                for (TopicPartition partition : partitions) {
                    // resolve "latest" now, not at the first fetch
                    start.put(partition, new OffsetAndMetadata(consumer.position(partition, apiTimeout)));
                }
                if (!start.isEmpty()) {
                    // the group's start made durable: without a committed offset, a member that joins after
                    // this one dies would start at the end of the log (latest) and skip what this one had not done
                    consumer.commitSync(start, COMMIT_TIMEOUT);
                }
            } catch (WakeupException e) {
                throw e;
            } catch (RuntimeException e) {
                log.warn("Could not fix and commit the start of {} for '{}' ({}); the consumer goes on from what Kafka"
                        + " resolves", partitions, topic, e.toString());
            } finally {
                assigned.countDown();
            }
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            commitSync(partitions);
            forget(partitions); // their next owner gets what is not committed
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            forget(partitions); // another member owns them already: committing is refused
        }
    }

    private void forget(Collection<TopicPartition> partitions) {
        for (TopicPartition partition : partitions) {
            inFlight.remove(partition);
            uncommitted.remove(partition);
        }
    }

    private void deliver(ConsumerRecord<byte[], byte[]> record) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        TopicPartition partition = new TopicPartition(record.topic(), record.partition());
        inFlight.computeIfAbsent(partition, p -> new ArrayDeque<>()).add(new InFlight(record.offset(), done));
        CompletionStage<Void> stage;
        try {
            stage = handler.onMessage(KafkaRecords.envelope(record)); // never waits: the core pauses us instead
        } catch (RuntimeException e) {
            stage = CompletableFuture.failedFuture(e);
        }
        stage.whenComplete((ignored, error) -> {
            if (error != null && InboundHandler.notHandled(error)) {
                // the subscription closed before it was handled: never done, so no commit passes it and
                // the partition's next owner handles it
                log.debug("Record {} left to the group unhandled: the subscription closed", KafkaRecords.position(record));
                return;
            }
            if (error != null) { // the core logged it at WARN; the policy: commit past it, never redeliver
                log.debug("Record {} failed ({}); committed and skipped", KafkaRecords.position(record), error.toString());
            }
            done.complete(null);
        });
    }

    /** Moves, per partition, the longest run of finished records at its head to {@link #uncommitted}. */
    private void collectDone() {
        inFlight.forEach((partition, queue) -> {
            long next = -1;
            while (!queue.isEmpty() && queue.peekFirst().done().isDone()) {
                next = queue.pollFirst().offset() + 1;
            }
            if (next >= 0) {
                uncommitted.put(partition, new OffsetAndMetadata(next));
            }
        });
    }

    /** Every commit interval: a commit per poll would cost a round trip each. */
    private void maybeCommit() {
        if (System.nanoTime() - lastCommit >= commitIntervalNanos) {
            commitAsync();
            lastCommit = System.nanoTime();
        }
    }

    /** Commits what is finished; a failed commit stays in {@link #uncommitted} and goes with the next one. */
    private void commitAsync() {
        collectDone();
        if (uncommitted.isEmpty()) {
            return;
        }
        consumer.commitAsync(Map.copyOf(uncommitted), (offsets, error) -> { // called on this thread, in a later poll
            if (error == null) {
                offsets.forEach(uncommitted::remove); // unless a newer offset replaced it meanwhile
            } else {
                log.debug("Commit for '{}' failed ({}); retried with the next one", topic, error.toString());
            }
        });
    }

    /** Commits what is finished in {@code partitions} (all when null), waiting at most {@link #COMMIT_TIMEOUT}. */
    private void commitSync(Collection<TopicPartition> partitions) {
        collectDone();
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>(uncommitted);
        if (partitions != null) {
            offsets.keySet().retainAll(partitions);
        }
        if (offsets.isEmpty()) {
            return;
        }
        try {
            consumer.commitSync(offsets, COMMIT_TIMEOUT);
            offsets.forEach(uncommitted::remove);
        } catch (WakeupException e) {
            throw e;
        } catch (RuntimeException e) {
            log.info("Could not commit {} for '{}' ({}): those records may be delivered again", offsets, topic, e.toString());
        }
    }

    /**
     * Pauses or resumes the assigned partitions as the core asked. Paused, {@code poll} returns no records
     * but keeps the member in its group (heartbeats, rebalances), so a busy member never stalls the group
     * and is not evicted for not polling.
     */
    private void applyPause() {
        boolean wanted = pauseRequested;
        if (wanted != paused) {
            if (wanted) {
                consumer.pause(consumer.assignment());
            } else {
                consumer.resume(consumer.paused());
            }
            paused = wanted;
        }
    }

    @Override
    public boolean pausable() {
        return true;
    }

    @Override
    public void pause() {
        pauseRequested = true;
    }

    @Override
    public void resume() {
        pauseRequested = false;
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        if (Thread.currentThread() != thread) {
            try {
                thread.join(15_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
