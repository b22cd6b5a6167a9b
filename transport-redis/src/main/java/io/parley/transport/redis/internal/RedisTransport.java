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
import redis.clients.jedis.params.XAddParams;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
 */
final class RedisTransport implements Transport {

    private static final Logger log = LoggerFactory.getLogger(RedisTransport.class);
    private static final AtomicInteger CONNECTIONS = new AtomicInteger();
    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);
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
    private final Set<TransportSubscription> subscriptions = ConcurrentHashMap.newKeySet();
    private final AtomicInteger threads = new AtomicInteger();
    private volatile boolean closed;

    RedisTransport(TransportContext context) {
        this.redactedUri = context.redactedUri();
        this.settings = RedisSettings.parse(context.uri(), redactedUri, context.options().properties());
        this.replies = context.replies();
        this.codec = new EnvelopeCodec(settings.envelope);
        this.name = "parley-redis-" + CONNECTIONS.incrementAndGet();
        String id = UUID.randomUUID().toString().replace("-", "");
        this.replyChannelPrefix = REPLY_PREFIX + id + ".";
        this.commands = new RedisCommands(settings, name, redactedUri);
        try {
            commands.run("PING", jedis -> jedis.ping());
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
        Envelope reply;
        try {
            reply = EnvelopeCodec.decode(channelName, message);
        } catch (CodecException e) {
            log.warn("Dropped an unreadable reply on '{}': {}", channelName, e.getMessage());
            return;
        }
        // the channel names the request: authoritative, and the only clue when the responder did not copy the id
        String correlationId = channelName.substring(replyChannelPrefix.length());
        if (!correlationId.equals(reply.correlationId())) {
            reply = reply.toBuilder().correlationId(correlationId).build();
        }
        replies.onReply(reply);
    }

    @Override
    public CompletionStage<Void> publish(Envelope message) {
        ensureOpen();
        try {
            send(RedisDestination.parse(message.destination()), codec.encode(message));
            return DONE;
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public CompletionStage<Void> request(Envelope request) {
        ensureOpen();
        try {
            if (!replyLoop.isSubscribed() && !replyLoop.awaitSubscribed(settings.timeoutMillis)) {
                throw new ConnectionException("The reply subscription to Redis at " + redactedUri
                        + " is down (reconnecting); the request was not sent");
            }
            RedisDestination destination = RedisDestination.parse(request.destination());
            byte[] raw = codec.encode(request.toBuilder().replyTo(replyChannelPrefix + request.correlationId()).build());
            long receivers = send(destination, raw);
            if (receivers == 0) {
                replies.onNoResponders(request.correlationId());
            }
            return DONE;
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
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
        try {
            EnvelopeFormat shape = request.nativeMessage() instanceof byte[] raw ? EnvelopeCodec.formatOf(raw) : null;
            byte[] encoded;
            if (shape == null || shape == codec.format()) {
                encoded = codec.encode(reply);
            } else {
                try {
                    encoded = new EnvelopeCodec(shape).encode(reply);
                } catch (CodecException e) {
                    log.warn("A reply on '{}' cannot travel in the requester's {} envelope ({}); sending it in the {} "
                            + "envelope", reply.destination(), shape.propertyValue(), e.getMessage(),
                            codec.format().propertyValue());
                    encoded = codec.encode(reply);
                }
            }
            send(RedisDestination.parse(reply.destination()), encoded);
            return DONE;
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Sends to the destination; returns how many subscribers got it, or -1 when Redis cannot tell. */
    private long send(RedisDestination destination, byte[] raw) {
        return switch (destination.kind()) {
            case CHANNEL -> commands.run("PUBLISH", jedis -> jedis.publish(destination.keyBytes(), raw));
            case LIST -> {
                commands.run("RPUSH", jedis -> jedis.rpush(destination.keyBytes(), raw));
                yield -1L;
            }
            case STREAM -> {
                XAddParams params = XAddParams.xAddParams();
                if (settings.streamMaxLen > 0) {
                    params.maxLen(settings.streamMaxLen).approximateTrimming();
                }
                commands.run("XADD", jedis -> jedis.xadd(destination.keyBytes(), params,
                        Map.of(StreamConsumer.DATA_FIELD, raw)));
                yield -1L;
            }
        };
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
