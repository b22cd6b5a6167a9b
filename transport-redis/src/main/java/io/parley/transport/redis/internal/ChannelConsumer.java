package io.parley.transport.redis.internal;

import io.parley.api.CodecException;
import io.parley.spi.Envelope;
import io.parley.spi.InboundHandler;
import io.parley.spi.TransportSubscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.params.SetParams;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A Pub/Sub channel subscription: every subscriber receives every message. Redis has no groups on
 * channels, so the members of a Parley group each receive the message too, and only the one that
 * first sets the claim key {@code parley:claim:<group>:<channel>:<digest of the message>} (SET NX
 * PX) handles it. That costs one round trip per message, for group members only.
 */
final class ChannelConsumer extends PubSubLoop implements TransportSubscription {

    private static final Logger log = LoggerFactory.getLogger(ChannelConsumer.class);
    private static final byte[] CLAIMED = {'1'};

    private final String destinationName;
    private final String channel;
    private final String group;
    private final InboundHandler handler;
    private final RedisCommands commands;
    private final RedisSettings settings;
    private final Runnable onClosed;

    ChannelConsumer(RedisSettings settings, RedisCommands commands, String clientName, String redactedUri,
                    String destinationName, RedisDestination destination, String group, InboundHandler handler,
                    String threadName, Runnable onClosed) {
        super(settings, clientName, redactedUri, destination.key(), false, threadName);
        this.settings = settings;
        this.commands = commands;
        this.destinationName = destinationName;
        this.channel = destination.key(); // "orders" and "channel:orders" are one channel, so one claim
        this.group = group;
        this.handler = handler;
        this.onClosed = onClosed;
    }

    @Override
    void onMessage(byte[] channel, byte[] message) {
        if (group != null && !claim(message)) {
            return;
        }
        Envelope envelope;
        try {
            envelope = EnvelopeCodec.decode(destinationName, message);
        } catch (CodecException e) {
            log.warn("Dropped an unreadable message on '{}': {}", destinationName, e.getMessage());
            return;
        }
        try {
            handler.onMessage(envelope); // no acknowledgement on a channel: the outcome changes nothing
        } catch (RuntimeException e) {
            log.error("The core failed on a message of '{}'", destinationName, e);
        }
    }

    /**
     * Whether this member won the message for its group. When Redis cannot be asked, the member
     * handles the message: a possible duplicate rather than a loss.
     */
    private boolean claim(byte[] message) {
        byte[] key = ("parley:claim:" + group + ":" + channel + ":" + digest(message))
                .getBytes(StandardCharsets.UTF_8);
        try {
            String won = commands.run("SET NX (group claim)", jedis -> jedis.set(key, CLAIMED,
                    SetParams.setParams().nx().px(settings.channelClaimTtlMillis)));
            return won != null;
        } catch (RuntimeException e) {
            log.warn("Could not claim a message of '{}' for group '{}' ({}); handling it, another member may too",
                    destinationName, group, e.getMessage());
            return true;
        }
    }

    /** The message's identity: its bytes include the random correlation id every Parley or FastStream message has. */
    private static String digest(byte[] message) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(message);
            return HexFormat.of().formatHex(hash, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    @Override
    public void close() {
        super.close();
        onClosed.run();
    }
}
