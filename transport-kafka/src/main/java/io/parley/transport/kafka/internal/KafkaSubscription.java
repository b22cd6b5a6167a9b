package io.parley.transport.kafka.internal;

import io.parley.api.ConnectionException;
import io.parley.spi.InboundHandler;
import io.parley.spi.TransportSubscription;
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
 * subscription closes) once every record before it in its partition is done (handler finished, reply sent), so
 * a crash redelivers what was not finished: at least once. A record whose handler failed, or whose
 * body could not be decoded, counts as done (logged with its offset): it never blocks its partition.
 * {@code subscribe} returns once the group has assigned this consumer its partitions and their
 * positions are fixed, so nothing sent afterwards is missed.
 */
final class KafkaSubscription implements TransportSubscription, Runnable {

    private static final Logger log = LoggerFactory.getLogger(KafkaSubscription.class);

    private final String topic;
    private final InboundHandler handler;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private final CountDownLatch assigned = new CountDownLatch(1);
    private final Map<TopicPartition, ArrayDeque<InFlight>> inFlight = new HashMap<>(); // poll thread only
    private final long commitIntervalNanos;
    private long lastCommit = System.nanoTime(); // poll thread only
    private volatile boolean running = true;
    private volatile RuntimeException failure;

    private record InFlight(long offset, CompletableFuture<Void> done) {
    }

    KafkaSubscription(String topic, String group, boolean privateGroup, InboundHandler handler,
                      Map<String, Object> properties, Duration timeout, Duration commitInterval, String redactedUri) {
        this.topic = topic;
        this.commitIntervalNanos = commitInterval.toNanos();
        this.handler = handler;
        this.consumer = new KafkaConsumer<>(properties);
        this.thread = new Thread(this, "parley-kafka-consumer-" + topic);
        this.thread.setDaemon(true);
        this.thread.start();
        try {
            if (!assigned.await(timeout.toMillis(), TimeUnit.MILLISECONDS) || failure != null) {
                close();
                throw new ConnectionException("The subscription to '" + topic + "' on Kafka at " + redactedUri
                        + " got no partition assignment within " + timeout.toMillis() + " ms"
                        + (privateGroup ? "" : " (group '" + group + "')"), failure);
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
            consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    for (TopicPartition partition : partitions) {
                        consumer.position(partition); // resolve "latest" now, not at the first fetch
                    }
                    assigned.countDown();
                }

                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    commitDone(true);
                    partitions.forEach(inFlight::remove); // their new owner gets what is not committed
                }
            });
            while (running) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                    deliver(record);
                }
                if (System.nanoTime() - lastCommit >= commitIntervalNanos) { // a commit per poll costs a round trip each
                    commitDone(false);
                    lastCommit = System.nanoTime();
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            failure = e;
            assigned.countDown();
            if (running) {
                log.error("The Kafka consumer of '{}' stopped: {}", topic, e.toString(), e);
            }
        } finally {
            try {
                commitDone(true);
            } catch (RuntimeException e) {
                log.debug("Last commit of '{}' failed: {}", topic, e.toString());
            }
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private void deliver(ConsumerRecord<byte[], byte[]> record) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        TopicPartition partition = new TopicPartition(record.topic(), record.partition());
        inFlight.computeIfAbsent(partition, p -> new ArrayDeque<>()).add(new InFlight(record.offset(), done));
        CompletionStage<Void> stage;
        try {
            stage = handler.onMessage(KafkaRecords.envelope(record)); // may wait: the subscription's back-pressure
        } catch (RuntimeException e) {
            stage = CompletableFuture.failedFuture(e);
        }
        stage.whenComplete((ignored, error) -> {
            if (error != null) {
                log.warn("Record {}-{}@{} was not handled ({}); it is committed and skipped, Kafka does not redeliver it",
                        record.topic(), record.partition(), record.offset(), error.toString());
            }
            done.complete(null);
        });
    }

    /** Commits, per partition, past the longest run of finished records at its head. */
    private void commitDone(boolean sync) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        inFlight.forEach((partition, queue) -> {
            long next = -1;
            while (!queue.isEmpty() && queue.peekFirst().done().isDone()) {
                next = queue.pollFirst().offset() + 1;
            }
            if (next >= 0) {
                offsets.put(partition, new OffsetAndMetadata(next));
            }
        });
        if (offsets.isEmpty()) {
            return;
        }
        if (sync) {
            consumer.commitSync(offsets);
        } else {
            consumer.commitAsync(offsets, (committed, error) -> {
                if (error != null) {
                    log.debug("Commit of '{}' failed ({}); the records may be delivered again", topic, error.toString());
                }
            });
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        if (Thread.currentThread() != thread) {
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
