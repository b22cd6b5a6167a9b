package io.parley.transport.redis.internal;

import io.parley.api.ConfigurationException;
import io.parley.api.ConnectionException;
import io.parley.spi.Envelope;
import io.parley.spi.InboundHandler;
import io.parley.spi.TransportSubscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;

import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * A subscription that reads with blocking commands (BLPOP, XREAD, XREADGROUP) on a connection of
 * its own, from one daemon thread. The connection breaks: the thread reconnects with a growing
 * pause. Closing wakes the blocked read with {@code CLIENT UNBLOCK} from a pooled connection, so
 * that an element Redis already handed over is never lost with a closed socket. While the core pauses
 * it (its handlers are busy), the loop reads nothing, so what waits stays in Redis.
 */
abstract class BlockingLoop implements TransportSubscription {

    private static final Logger log = LoggerFactory.getLogger(BlockingLoop.class);

    final RedisSettings settings;
    final RedisCommands commands;
    final RedisDestination destination;
    final String destinationName;
    final InboundHandler handler;
    private final String clientName;
    private final String redactedUri;
    private final Thread thread;
    private final Runnable onClosed;
    volatile boolean running = true;
    private boolean pauseRequested; // guarded by this: the core asked for no more messages for now
    private volatile Jedis connection;
    private volatile long clientId = -1;

    BlockingLoop(RedisSettings settings, RedisCommands commands, String clientName, String redactedUri,
                 String destinationName, RedisDestination destination, InboundHandler handler, String threadName,
                 Runnable onClosed) {
        this.settings = settings;
        this.commands = commands;
        this.clientName = clientName;
        this.redactedUri = redactedUri;
        this.destinationName = destinationName;
        this.destination = destination;
        this.handler = handler;
        this.onClosed = onClosed;
        this.thread = new Thread(this::run, threadName);
        this.thread.setDaemon(true);
    }

    /** Runs on each new connection before reading (create the consumer group, find the start id...). */
    abstract void prepare(Jedis jedis, boolean reconnect);

    /** One blocking read and the dispatch of what it returned. */
    abstract void readOnce(Jedis jedis);

    /** The longest a blocking read of this loop asks Redis to wait, in milliseconds. */
    abstract long blockMillis();

    /**
     * Connects and prepares on the caller's thread (so that an unreachable Redis is a
     * {@link ConnectionException} from subscribe), then starts reading.
     */
    void start() {
        try {
            connection = connect(false);
        } catch (JedisException e) {
            running = false;
            throw commands.translate("subscribing to '" + destinationName + "'", e);
        } catch (RuntimeException e) {
            running = false;
            throw e;
        }
        thread.start();
    }

    private Jedis connect(boolean reconnect) {
        Jedis jedis = settings.connect(clientName);
        try {
            clientId = jedis.clientId();
            // blocking reads keep a finite socket timeout: a connection that died silently (no RST,
            // e.g. a network partition) ends the read instead of hanging it for ever
            jedis.getConnection().setSoTimeout((int) Math.min(Integer.MAX_VALUE, blockMillis() + settings.timeoutMillis));
            if (!reconnect) {
                checkType(jedis);
            }
            prepare(jedis, reconnect);
            return jedis;
        } catch (RuntimeException e) {
            jedis.close();
            throw e;
        }
    }

    /** A key of another type would fail every read: say so at subscribe time. */
    private void checkType(Jedis jedis) {
        String expected = destination.kind() == RedisDestination.Kind.LIST ? "list" : "stream";
        String actual = jedis.type(destination.keyBytes());
        if (!actual.equals("none") && !actual.equals(expected)) {
            throw new ConfigurationException("Cannot subscribe to '" + destinationName + "': the Redis key '"
                    + destination.key() + "' holds a " + actual + ", not a " + expected);
        }
    }

    private void run() {
        long backoff = 50;
        boolean lost = false;
        String lastProblem = null; // the same failure again is logged at DEBUG only
        while (running) {
            try {
                Jedis jedis = connection;
                if (jedis == null) {
                    jedis = connect(true);
                    connection = jedis;
                    if (lost) {
                        log.info("Reading '{}' from {} again", destinationName, redactedUri);
                        lost = false;
                    }
                    backoff = 50;
                }
                if (waitWhilePaused()) {
                    continue; // paused by the core: read nothing, look again (closing, resumed) soon
                }
                readOnce(jedis);
                lastProblem = null;
            } catch (JedisException e) {
                if (!running) {
                    break;
                }
                dropConnection();
                String problem = e.toString();
                if (!lost && !problem.equals(lastProblem)) {
                    log.warn("Reading '{}' from {} failed ({}); retrying", destinationName, redactedUri, problem);
                    lost = e instanceof JedisConnectionException;
                } else {
                    log.debug("Reading '{}' from {} failed again: {}", destinationName, redactedUri, problem);
                }
                lastProblem = problem;
                backOff(backoff);
                backoff = Math.min(backoff * 2, settings.reconnectMaxBackoffMillis);
            } catch (RuntimeException e) {
                log.error("The reader of '{}' failed; it goes on", destinationName, e);
                backOff(backoff);
            }
        }
        dropConnection();
    }

    /**
     * Hands one message to the core; {@code settled} runs when the core is done with it: with
     * {@code handled = false} when the subscription refused it because it is closing. A message the
     * transport could not read comes with {@link Envelope#problem()} set: the core logs it, answers
     * it when it can, and fails its stage, so it is settled as handled (never delivered again).
     */
    void dispatch(Envelope envelope, Settle settled) {
        CompletionStage<Void> outcome;
        try {
            outcome = handler.onMessage(envelope);
        } catch (RuntimeException e) {
            log.error("The core failed on a message of '{}' ({})", destinationName, envelope.position(), e);
            settled.settle(true);
            return;
        }
        outcome.whenComplete((ignored, failure) -> {
            settled.settle(!InboundHandler.notHandled(failure));
        });
    }

    @FunctionalInterface
    interface Settle {
        void settle(boolean handled);
    }

    private void dropConnection() {
        Jedis jedis = connection;
        connection = null;
        if (jedis != null) {
            try {
                jedis.close();
            } catch (RuntimeException ignored) {
                // already broken
            }
        }
    }

    private void backOff(long millis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        synchronized (this) {
            while (running) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    return;
                }
                try {
                    wait(left);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    /** While the core asks for no more, waits (at most one blocking read's time); whether it waited. */
    private boolean waitWhilePaused() {
        synchronized (this) {
            if (!pauseRequested || !running) {
                return false;
            }
            try {
                wait(blockMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return true;
        }
    }

    @Override
    public boolean pausable() {
        return true;
    }

    @Override
    public void pause() {
        synchronized (this) {
            pauseRequested = true;
        }
    }

    @Override
    public void resume() {
        synchronized (this) {
            pauseRequested = false;
            notifyAll();
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (!running) {
                return;
            }
            running = false;
            notifyAll();
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.timeoutMillis);
        while (thread.isAlive() && Thread.currentThread() != thread && System.nanoTime() < deadline) {
            long id = clientId;
            if (id >= 0 && connection != null) {
                try {
                    commands.run("CLIENT UNBLOCK", jedis -> jedis.clientUnblock(id));
                } catch (RuntimeException e) {
                    break; // Redis is unreachable: closing the socket below ends the read
                }
            }
            try {
                thread.join(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (thread.isAlive() && Thread.currentThread() != thread) {
            dropConnection();
            try {
                thread.join(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        onClosed.run();
    }
}
