package io.parley.transport.redis.internal;

import io.parley.api.BrokerClosedException;
import io.parley.api.CodecException;
import io.parley.api.ConfigurationException;
import io.parley.api.ConnectionException;
import io.parley.api.SubscribeOptions;
import io.parley.spi.Envelope;
import io.parley.spi.InboundHandler;
import io.parley.spi.ReplyListener;
import io.parley.spi.Transport;
import io.parley.spi.TransportContext;
import io.parley.spi.TransportSubscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One Parley connection to Redis: a pool for commands, and a connection of its own for each
 * subscription and for the reply address.
 *
 * <p>Reply address: the pattern subscription {@code parley.reply.<connection id>.*}, made once when
 * the transport opens. A request's {@code reply_to} is {@code parley.reply.<connection id>.<correlation
 * id>}, so that a reply finds its request by its channel even when the responder (Propan) does not
 * copy the correlation id, and no request costs a SUBSCRIBE.
 *
 * <p>Sends: publish, request and reply never run a Redis command on the caller's thread. They go to
 * {@link Sender}: {@link io.parley.spi.SendLanes} threads ({@code redis.send-lanes}), keyed by the
 * Redis key, that pipeline what waits. A frozen or slow Redis holds no application thread, and a
 * request's timeout stays a hard bound.
 */
final class RedisTransport implements Transport {

    private static final Logger log = LoggerFactory.getLogger(RedisTransport.class);
    private static final AtomicInteger CONNECTIONS = new AtomicInteger();
    static final String REPLY_PREFIX = "parley.reply.";

    private final RedisSettings settings;
    private final String redactedUri;
    private final ReplyListener replies;
    private final EnvelopeCodec codec;
    private final RedisCommands commands;
    private final String name;
    private final String replyChannelPrefix;
    private final PubSubLoop replyLoop;
    private final ScheduledThreadPoolExecutor timer;
    private final Sender sender;
    private final Set<TransportSubscription> subscriptions = ConcurrentHashMap.newKeySet();
    private final AtomicInteger threads = new AtomicInteger();
    private volatile boolean closed;

    RedisTransport(TransportContext context) {
        this.redactedUri = context.redactedUri();
        this.settings = RedisSettings.parse(context.uri(), redactedUri, context.options());
        this.replies = context.replies();
        this.codec = new EnvelopeCodec(settings.envelope);
        this.name = "parley-redis-" + CONNECTIONS.incrementAndGet();
        String id = UUID.randomUUID().toString().replace("-", "");
        this.replyChannelPrefix = REPLY_PREFIX + id + ".";
        this.commands = new RedisCommands(settings, name, redactedUri);
        try {
            commands.run("PING on connect", jedis -> jedis.ping());
        } catch (RuntimeException e) {
            commands.close();
            throw e;
        }
        this.timer = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, name + "-timer");
            thread.setDaemon(true);
            return thread;
        });
        this.timer.setRemoveOnCancelPolicy(true);
        this.replyLoop = new PubSubLoop(settings, name + "-replies", redactedUri, replyChannelPrefix + "*", true,
                name + "-replies") {
            @Override
            void onMessage(byte[] channel, byte[] message) {
                onReply(channel, message);
            }

            @Override
            void onConnectionLost(Exception cause) {
                // Pub/Sub keeps nothing for a disconnected subscriber: replies sent meanwhile are gone
                replies.onConnectionLost("the Redis reply subscription at " + redactedUri + " was lost: " + cause);
            }
        };
        try {
            replyLoop.start();
        } catch (RuntimeException e) {
            commands.close();
            timer.shutdownNow();
            throw e;
        }
        this.sender = new Sender(settings, commands, name + "-send", redactedUri);
        timer.scheduleWithFixedDelay(this::keepAlive, settings.keepAliveMillis, settings.keepAliveMillis,
                TimeUnit.MILLISECONDS);
    }

    /** PINGs every subscribed connection, so that one that died without a word is noticed. */
    private void keepAlive() {
        try {
            replyLoop.keepAlive(settings.keepAliveMillis);
            for (TransportSubscription subscription : subscriptions) {
                if (subscription instanceof PubSubLoop loop) {
                    loop.keepAlive(settings.keepAliveMillis);
                }
            }
        } catch (RuntimeException e) { // a periodic task that throws is never run again
            log.warn("The keep-alive of the Redis subscriptions at {} failed; it goes on", redactedUri, e);
        }
    }

    private void onReply(byte[] channel, byte[] message) {
        String channelName = new String(channel, StandardCharsets.UTF_8);
        // the channel names the request: authoritative, and the only clue when the responder did not copy the id
        String correlationId = channelName.substring(replyChannelPrefix.length());
        Envelope reply = EnvelopeCodec.read(channelName, message, null);
        // an unreadable reply keeps its problem: the core fails its request at once (code 502)
        if (!correlationId.equals(reply.correlationId())) {
            reply = reply.toBuilder().correlationId(correlationId).build();
        }
        replies.onReply(reply);
    }

    /*
     * publish, request and reply encode on the caller's thread (a body the envelope cannot carry fails
     * at once) and hand the command to a send lane, keyed by the Redis key: they return at once
     * whatever Redis does, one destination's messages keep their order, and so do the replies to one
     * request (their reply channel is their key). The core's timeout bounds every request.
     */

    @Override
    public CompletionStage<Void> publish(Envelope message) {
        ensureOpen();
        RedisDestination destination;
        byte[] raw;
        try {
            destination = RedisDestination.parse(message.destination());
            raw = codec.encode(message);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return sender.send(destination, raw, null, null);
    }

    @Override
    public CompletionStage<Void> request(Envelope request) {
        ensureOpen();
        RedisDestination destination;
        byte[] raw;
        try {
            destination = RedisDestination.parse(request.destination());
            raw = codec.encode(request.toBuilder().replyTo(replyChannelPrefix + request.correlationId()).build());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        long handedOver = System.nanoTime();
        return sender.send(destination, raw, () -> awaitReplySubscription(handedOver), receivers -> {
            if (receivers == 0) {
                replies.onNoResponders(request.correlationId());
            }
        });
    }

    /**
     * A request sent while the reply subscription reconnects would lose its reply: wait for it, at
     * most {@code redis.timeout-ms} after the request was handed over (so requests queued together
     * wait together, not one after the other).
     */
    private void awaitReplySubscription(long handedOver) {
        if (replyLoop.isSubscribed()) {
            return;
        }
        long left = settings.timeoutMillis - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - handedOver);
        if (left <= 0 || !replyLoop.awaitSubscribed(left)) {
            throw new ConnectionException("The reply subscription to Redis at " + redactedUri
                    + " is down (reconnecting); the request was not sent");
        }
    }

    /**
     * Replies go where the request's reply_to says: a channel (PUBLISH, as the Python peers expect),
     * or a {@code list:}/{@code stream:} destination. They are written in the shape the request came
     * in, so a Propan or FastStream 0.5 requester can read them.
     */
    @Override
    public CompletionStage<Void> reply(Envelope request, Envelope reply) {
        ensureOpen();
        RedisDestination destination;
        byte[] encoded;
        try {
            destination = RedisDestination.parse(reply.destination());
            encoded = encodeReply(request, reply);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return sender.send(destination, encoded, null, null);
    }

    private byte[] encodeReply(Envelope request, Envelope reply) {
        EnvelopeFormat shape = request.nativeMessage() instanceof byte[] raw ? EnvelopeCodec.formatOf(raw) : null;
        if (shape == null || shape == codec.format()) {
            return codec.encode(reply);
        }
        try {
            return new EnvelopeCodec(shape).encode(reply);
        } catch (CodecException e) {
            log.warn("A reply on '{}' cannot travel in the requester's {} envelope ({}); sending it in the {} envelope",
                    reply.destination(), shape.propertyValue(), e.getMessage(), codec.format().propertyValue());
            return codec.encode(reply);
        }
    }

    @Override
    public TransportSubscription subscribe(String destinationName, SubscribeOptions options,
                                           InboundHandler handler) {
        ensureOpen();
        List<String> unknown = options.properties().keySet().stream().filter(key -> key.startsWith("redis.")).sorted()
                .toList();
        if (!unknown.isEmpty()) {
            throw new ConfigurationException("The Redis transport reads no subscription properties, got " + unknown
                    + "; choose the kind of destination by its prefix (list:, stream:) and set redis.* properties on "
                    + "BrokerOptions");
        }
        RedisDestination destination = RedisDestination.parse(destinationName);
        String group = options.group().orElse(null);
        String threadName = name + "-" + destination.kind().name().toLowerCase(Locale.ROOT) + "-"
                + threads.incrementAndGet() + "-" + destination.key();
        TransportSubscription[] self = new TransportSubscription[1];
        Runnable forget = () -> subscriptions.remove(self[0]);
        switch (destination.kind()) {
            case CHANNEL -> {
                ChannelConsumer consumer = new ChannelConsumer(settings, commands, threadName, redactedUri,
                        destinationName, destination, group, handler, threadName, forget);
                self[0] = consumer;
                subscriptions.add(consumer);
                try {
                    consumer.start();
                } catch (RuntimeException e) {
                    subscriptions.remove(consumer);
                    throw e;
                }
            }
            case LIST -> {
                ListConsumer consumer = new ListConsumer(settings, commands, threadName, redactedUri, destinationName,
                        destination, handler, threadName, forget);
                self[0] = consumer;
                start(consumer);
            }
            case STREAM -> {
                StreamConsumer consumer = new StreamConsumer(settings, commands, threadName, redactedUri,
                        destinationName, destination, handler, threadName, forget, group,
                        "parley-" + UUID.randomUUID().toString().substring(0, 13), timer);
                self[0] = consumer;
                start(consumer);
            }
        }
        return self[0];
    }

    private void start(BlockingLoop consumer) {
        subscriptions.add(consumer);
        try {
            consumer.start();
        } catch (RuntimeException e) {
            subscriptions.remove(consumer);
            consumer.close();
            throw e;
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (TransportSubscription subscription : subscriptions) {
            try {
                subscription.close();
            } catch (RuntimeException e) {
                log.warn("Closing a Redis subscription failed", e);
            }
        }
        // the replies and messages still queued leave before the connections close (Redis permitting)
        sender.close(Duration.ofMillis(settings.timeoutMillis));
        replyLoop.close();
        timer.shutdownNow();
        commands.close();
    }

    private void ensureOpen() {
        if (closed) {
            throw new BrokerClosedException("The Redis transport for " + redactedUri + " is closed");
        }
    }
}
