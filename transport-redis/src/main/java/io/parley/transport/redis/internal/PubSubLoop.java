package io.parley.transport.redis.internal;

import io.parley.api.ConnectionException;
import io.parley.spi.TlsSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.BinaryJedisPubSub;
import redis.clients.jedis.Jedis;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One channel (or pattern) subscription on a connection of its own, read by one daemon thread.
 * When the connection breaks, the thread reconnects with a growing pause and subscribes again;
 * {@link #onConnectionLost} and {@link #onSubscribed} tell the owner. Messages published while the
 * subscription was down are lost: that is Redis Pub/Sub.
 */
abstract class PubSubLoop {

    private static final Logger log = LoggerFactory.getLogger(PubSubLoop.class);

    private final RedisSettings settings;
    private final String clientName;
    private final String redactedUri;
    private final byte[] channel;
    private final boolean pattern;
    private final Thread thread;
    private volatile Listener listener; // a fresh one per connection: it holds that connection's state
    private boolean recovering; // the loop thread's own: the subscription was lost and is not back yet
    private volatile long lastPong = System.nanoTime();
    private volatile boolean running = true;
    private volatile Jedis connection;
    /** Completes when the current connection's subscription is confirmed; replaced after a loss. */
    private volatile CompletableFuture<Void> subscribed = new CompletableFuture<>();

    PubSubLoop(RedisSettings settings, String clientName, String redactedUri, String channel, boolean pattern,
               String threadName) {
        this.settings = settings;
        this.clientName = clientName;
        this.redactedUri = redactedUri;
        this.channel = channel.getBytes(StandardCharsets.UTF_8);
        this.pattern = pattern;
        this.thread = new Thread(this::run, threadName);
        this.thread.setDaemon(true);
    }

    /** Called on the loop's thread for each message; {@code channel} is the one it was published on. */
    abstract void onMessage(byte[] channel, byte[] message);

    /** The subscription was lost; it is being re-established. */
    void onConnectionLost(Exception cause) {
    }

    /**
     * Starts the thread and waits until Redis confirmed the subscription, so that a message
     * published afterwards is received.
     *
     * @throws ConnectionException when that does not happen within the timeout
     */
    void start() {
        thread.start();
        try {
            subscribed.get(settings.timeoutMillis * 2L, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            close();
            String tls = TlsSupport.describeFailure(e.getCause(), settings.address.getHost()).orElse(null);
            throw new ConnectionException("Cannot subscribe to Redis channel '" + new String(channel,
                    StandardCharsets.UTF_8) + "' at " + redactedUri + ": " + (e instanceof TimeoutException
                    ? "no confirmation within " + settings.timeoutMillis * 2L + " ms"
                    : tls != null ? tls : e.getCause().getMessage())
                    + (tls != null ? "" : ". Check that Redis runs and the URI is right"), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new ConnectionException("Interrupted while subscribing to Redis at " + redactedUri, e);
        }
    }

    boolean isSubscribed() {
        return subscribed.isDone() && !subscribed.isCompletedExceptionally();
    }

    /** Waits at most {@code millis} for the subscription to be (re-)established; returns whether it is. */
    boolean awaitSubscribed(long millis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (running) {
            CompletableFuture<Void> current = subscribed;
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return isSubscribed();
            }
            try {
                current.get(left, TimeUnit.NANOSECONDS);
                return true;
            } catch (ExecutionException e) {
                // the attempt failed; the loop installs a new future for the next one
                Thread.onSpinWait();
            } catch (TimeoutException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }

    /**
     * Called regularly by the transport's timer: sends a PING on the subscribed connection, and
     * breaks the connection (so that the loop reconnects) when the PINGs of the last
     * {@code 3 * interval} went unanswered, which is how a silently dead connection shows.
     */
    void keepAlive(long intervalMillis) {
        Listener current = listener;
        Jedis jedis = connection;
        if (!running || current == null || jedis == null || !isSubscribed()) {
            return;
        }
        if (System.nanoTime() - lastPong > TimeUnit.MILLISECONDS.toNanos(3 * intervalMillis)) {
            log.warn("Redis subscription to '{}' at {} answered no PING for {} ms; reconnecting",
                    new String(channel, StandardCharsets.UTF_8), redactedUri, 3 * intervalMillis);
            lastPong = System.nanoTime();
            closeQuietly(jedis);
            return;
        }
        try {
            synchronized (current) { // one writer at a time on the connection (close() unsubscribes)
                current.ping();
            }
        } catch (RuntimeException e) {
            log.debug("PING on the subscription to '{}' failed: {}", new String(channel, StandardCharsets.UTF_8),
                    e.toString());
        }
    }

    private void run() {
        long backoff = 50;
        while (running) {
            Jedis jedis = null;
            try {
                jedis = settings.connect(clientName);
                connection = jedis;
                Listener listener = new Listener();
                this.listener = listener;
                if (!running) {
                    break;
                }
                if (pattern) {
                    jedis.psubscribe(listener, channel); // blocks until unsubscribed or the connection breaks
                } else {
                    jedis.subscribe(listener, channel);
                }
                if (!running) {
                    break;
                }
                throw new IllegalStateException("the subscription ended without being closed");
            } catch (Exception e) {
                if (!running) {
                    break;
                }
                CompletableFuture<Void> current = subscribed;
                boolean wasUp = current.isDone() && !current.isCompletedExceptionally();
                subscribed = new CompletableFuture<>(); // before failing the old one: waiters move on to it
                current.completeExceptionally(e);
                if (wasUp) {
                    log.warn("Redis subscription to '{}' at {} was lost ({}); reconnecting",
                            new String(channel, StandardCharsets.UTF_8), redactedUri, e.toString());
                    onConnectionLost(e);
                    recovering = true;
                    backoff = 50;
                } else {
                    log.debug("Subscribing to '{}' at {} failed: {}", new String(channel, StandardCharsets.UTF_8),
                            redactedUri, e.toString());
                }
                pause(backoff);
                backoff = Math.min(backoff * 2, settings.reconnectMaxBackoffMillis);
            } finally {
                connection = null;
                closeQuietly(jedis);
            }
        }
    }

    private void pause(long millis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        synchronized (this) {
            while (running) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    return;
                }
                try {
                    wait(left); // close() notifies
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    /** Stops the loop: unsubscribes, closes the connection, and waits briefly for the thread. */
    void close() {
        synchronized (this) {
            if (!running) {
                return;
            }
            running = false;
            notifyAll();
        }
        subscribed.completeExceptionally(new ConnectionException("closed"));
        Listener listener = this.listener;
        try {
            if (listener != null && listener.isSubscribed()) {
                synchronized (listener) {
                    if (pattern) {
                        listener.punsubscribe();
                    } else {
                        listener.unsubscribe();
                    }
                }
            }
        } catch (RuntimeException e) {
            log.debug("Unsubscribing from '{}' failed: {}", new String(channel, StandardCharsets.UTF_8), e.toString());
        }
        if (Thread.currentThread() != thread) {
            try {
                thread.join(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        // the connection breaks the read if the unsubscribe could not be sent (Redis is down)
        closeQuietly(connection);
        if (Thread.currentThread() != thread) {
            try {
                thread.join(1_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void closeQuietly(Jedis jedis) {
        if (jedis != null) {
            try {
                jedis.close();
            } catch (RuntimeException ignored) {
                // closing a broken connection
            }
        }
    }

    private final class Listener extends BinaryJedisPubSub {
        @Override
        public void onMessage(byte[] channel, byte[] message) {
            deliver(channel, message);
        }

        @Override
        public void onPMessage(byte[] pattern, byte[] channel, byte[] message) {
            deliver(channel, message);
        }

        /** A failure here must not end the subscription: it would look like a lost connection. */
        private void deliver(byte[] channel, byte[] message) {
            try {
                PubSubLoop.this.onMessage(channel, message);
            } catch (RuntimeException e) {
                log.error("A message on '{}' could not be handled; the subscription goes on",
                        new String(channel, StandardCharsets.UTF_8), e);
            }
        }

        @Override
        public void onSubscribe(byte[] channel, int subscribedChannels) {
            confirmed();
        }

        @Override
        public void onPSubscribe(byte[] pattern, int subscribedChannels) {
            confirmed();
        }

        @Override
        public void onPong(byte[] pattern) {
            lastPong = System.nanoTime();
        }

        private void confirmed() {
            lastPong = System.nanoTime();
            if (recovering) {
                recovering = false;
                log.info("Redis subscription to '{}' at {} is back", new String(channel, StandardCharsets.UTF_8),
                        redactedUri);
            }
            subscribed.complete(null);
        }
    }
}
