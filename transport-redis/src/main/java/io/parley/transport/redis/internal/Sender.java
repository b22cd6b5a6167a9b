package io.parley.transport.redis.internal;

import io.parley.spi.SendLanes;
import io.parley.transport.redis.RedisProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.XAddParams;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * The transport's sends (PUBLISH, RPUSH, XADD), made on {@link SendLanes} threads so that no caller
 * waits on Redis. Sends with the same Redis key share a lane and keep their order. A lane that
 * finds several sends waiting writes them in one pipeline: one round trip instead of one each,
 * which is what keeps many requests in flight fast.
 *
 * <p>How: each send joins its lane's queue, then hands SendLanes a task under the lane's number.
 * Those tasks run one after another on one thread; each takes what waits at the head of the queue
 * (its own send at the latest), so the queue keeps the order and SendLanes keeps the bound (a send
 * whose task it refuses, lane full or closed, fails at once unless a running task took it already).
 */
final class Sender implements AutoCloseable {

    /** Most sends written in one pipeline. */
    private static final int MAX_BATCH = 256;

    private static final Logger log = LoggerFactory.getLogger(Sender.class);
    private static final long REFUSAL_LOG_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final RedisCommands commands;
    private final RedisSettings settings;
    private final String redactedUri;
    private final AtomicLong lastRefusalLogged = new AtomicLong(System.nanoTime() - REFUSAL_LOG_INTERVAL_NANOS);
    private final SendLanes lanes;
    private final List<ConcurrentLinkedQueue<Send>> queues = new ArrayList<>();
    private volatile boolean closed;

    Sender(RedisSettings settings, RedisCommands commands, String name, String redactedUri) {
        this.commands = commands;
        this.settings = settings;
        this.redactedUri = redactedUri;
        this.lanes = new SendLanes(name, settings.sendLanes, settings.sendQueue);
        for (int i = 0; i < settings.sendLanes; i++) {
            queues.add(new ConcurrentLinkedQueue<>());
        }
    }

    /**
     * Sends {@code raw} to {@code destination}; never blocks.
     *
     * @param check     runs on the lane just before the send (may throw to fail it), or {@code null}
     * @param receivers gets how many subscribers received a channel message (-1 for a list or stream),
     *                  on the lane, or {@code null}
     */
    CompletableFuture<Void> send(RedisDestination destination, byte[] raw, Runnable check, LongConsumer receivers) {
        int lane = Math.floorMod(destination.key().hashCode(), queues.size());
        Send send = new Send(destination, raw, check, receivers);
        queues.get(lane).add(send);
        CompletableFuture<Void> task = lanes.submit(lane, () -> {
            while (!send.settled()) {
                drain(lane);
            }
            return null;
        });
        if (task.isCompletedExceptionally() && !closed) {
            logRefusal();
        }
        task.whenComplete((ignored, refused) -> { // refused now (lane full), or at close
            if (refused != null && send.cancel()) {
                send.done.completeExceptionally(refused);
            }
        });
        return send.done;
    }

    /** A full lane fails each send's future; the log says so too, at most every 10 s. */
    private void logRefusal() {
        long now = System.nanoTime();
        long last = lastRefusalLogged.get();
        if (now - last > REFUSAL_LOG_INTERVAL_NANOS && lastRefusalLogged.compareAndSet(last, now)) {
            log.warn("Sends to Redis at {} are refused: a send lane is full ({} {} per lane, {} {}) and none of its"
                    + " sends left for a while: Redis is away. Their futures fail with a ConnectionException; logged at"
                    + " most every 10 s",
                    redactedUri, RedisProperties.SEND_QUEUE, settings.sendQueue, RedisProperties.SEND_LANES,
                    settings.sendLanes);
        }
    }

    private void drain(int lane) {
        ConcurrentLinkedQueue<Send> queue = queues.get(lane);
        List<Send> batch = new ArrayList<>();
        Send next;
        while (batch.size() < MAX_BATCH && (next = queue.poll()) != null) {
            if (next.take()) {
                batch.add(next);
            }
        }
        try {
            run(batch);
        } catch (RuntimeException e) { // a send must never be left open
            batch.forEach(send -> send.done.completeExceptionally(e));
        }
    }

    private void run(List<Send> batch) {
        List<Send> ready = new ArrayList<>(batch.size());
        for (Send send : batch) {
            try {
                if (send.check != null) {
                    send.check.run();
                }
                ready.add(send);
            } catch (RuntimeException e) {
                send.done.completeExceptionally(e);
            }
        }
        if (ready.size() == 1) { // the usual case when nothing waits: a plain command, no pipeline
            Send send = ready.get(0);
            complete(send, commands.run(send.command(), jedis -> writeAlone(send, jedis)));
        } else if (!ready.isEmpty()) {
            String what = ready.size() + " commands (" + ready.get(0).command() + "...) in one pipeline";
            List<Response<?>> responses = commands.run(what, jedis -> {
                Pipeline pipeline = jedis.pipelined();
                List<Response<?>> written = new ArrayList<>(ready.size());
                for (Send send : ready) {
                    written.add(write(send, pipeline));
                }
                pipeline.sync();
                return written;
            });
            for (int i = 0; i < ready.size(); i++) {
                Send send = ready.get(i);
                try {
                    complete(send, responses.get(i).get());
                } catch (JedisException e) { // Redis refused this command only (wrong key type...)
                    send.done.completeExceptionally(commands.translate(send.command(), e));
                }
            }
        }
    }

    private Response<?> write(Send send, Pipeline pipeline) {
        byte[] key = send.destination.keyBytes();
        return switch (send.destination.kind()) {
            case CHANNEL -> pipeline.publish(key, send.raw);
            case LIST -> pipeline.rpush(key, send.raw);
            case STREAM -> pipeline.xadd(key, xaddParams(), Map.of(StreamConsumer.DATA_FIELD, send.raw));
        };
    }

    private Object writeAlone(Send send, Jedis jedis) {
        byte[] key = send.destination.keyBytes();
        return switch (send.destination.kind()) {
            case CHANNEL -> jedis.publish(key, send.raw);
            case LIST -> jedis.rpush(key, send.raw);
            case STREAM -> jedis.xadd(key, xaddParams(), Map.of(StreamConsumer.DATA_FIELD, send.raw));
        };
    }

    private XAddParams xaddParams() {
        XAddParams params = XAddParams.xAddParams();
        if (settings.streamMaxLen > 0) {
            params.maxLen(settings.streamMaxLen).approximateTrimming();
        }
        return params;
    }

    private static void complete(Send send, Object result) {
        if (send.receivers != null) {
            send.receivers.accept(send.destination.kind() == RedisDestination.Kind.CHANNEL && result instanceof Long count
                    ? count : -1);
        }
        send.done.complete(null);
    }

    /** Gives the queued sends up to {@code drain} to leave; the rest fail with BrokerClosedException. */
    void close(Duration drain) {
        closed = true;
        lanes.close(drain);
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(5));
    }

    private static final class Send {
        private static final int WAITING = 0;
        private static final int TAKEN = 1;
        private static final int CANCELLED = 2;

        final RedisDestination destination;
        final byte[] raw;
        final Runnable check;
        final LongConsumer receivers;
        final CompletableFuture<Void> done = new CompletableFuture<>();
        private final AtomicInteger state = new AtomicInteger(WAITING);

        Send(RedisDestination destination, byte[] raw, Runnable check, LongConsumer receivers) {
            this.destination = destination;
            this.raw = raw;
            this.check = check;
            this.receivers = receivers;
        }

        String command() {
            return switch (destination.kind()) {
                case CHANNEL -> "PUBLISH";
                case LIST -> "RPUSH";
                case STREAM -> "XADD";
            };
        }

        boolean take() {
            return state.compareAndSet(WAITING, TAKEN);
        }

        boolean cancel() {
            return state.compareAndSet(WAITING, CANCELLED);
        }

        boolean settled() {
            return state.get() != WAITING;
        }
    }
}
