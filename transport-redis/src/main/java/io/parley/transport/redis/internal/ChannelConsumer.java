package io.parley.transport.redis.internal;

import io.parley.spi.Envelope;
import io.parley.spi.InboundHandler;
import io.parley.spi.TransportSubscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.exceptions.JedisNoScriptException;
import redis.clients.jedis.params.SetParams;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * A Pub/Sub channel subscription: every subscriber receives every message.
 *
 * <p>Redis has no groups on channels, so every member of a Parley group receives each message too,
 * and exactly one handles it: the one that sets the claim key
 * {@code parley:claim:<group>:<channel>:<digest of the message>} ({@code SET NX PX}). So that the
 * members share the work instead of the fastest taking everything, each member is registered (with
 * an expiry it keeps refreshing) in {@code parley:members:<group>:<channel>}, and one script call per
 * message both picks the message's owner among the live members (by the digest) and, if that is
 * the caller, claims it. The other members try to claim it {@link #FALLBACK_MILLIS} later, which
 * only succeeds when the owner did not (it died, or joined a moment ago): no message is lost for a
 * group, none is handled twice. Cost: one round trip per message, for group members only.
 */
final class ChannelConsumer extends PubSubLoop implements TransportSubscription {

    private static final Logger log = LoggerFactory.getLogger(ChannelConsumer.class);
    /** How long a member that is not a message's owner waits before claiming it itself. */
    static final long FALLBACK_MILLIS = 200;
    /** How long a member stays registered without refreshing (it refreshes every third of it). */
    static final long MEMBER_TTL_MILLIS = 10_000;

    /**
     * KEYS: claim key, members key. ARGV: member id, claim TTL (ms), message hash. Returns 1 when
     * the caller owns and claimed the message, 0 when it owns it but another member claimed it
     * first, -1 when another live member owns it.
     */
    private static final byte[] CLAIM_SCRIPT = ("""
            local time = redis.call('TIME')
            local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
            local members = redis.call('ZRANGEBYSCORE', KEYS[2], now, '+inf')
            if #members > 0 then
              table.sort(members)
              if members[(tonumber(ARGV[3]) % #members) + 1] ~= ARGV[1] then
                return -1
              end
            end
            if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
              return 1
            end
            return 0
            """).getBytes(StandardCharsets.UTF_8);

    private static final byte[] CLAIM_SCRIPT_SHA = sha1Hex(CLAIM_SCRIPT);

    private final String destinationName;
    private final String channel;
    private final String group;
    private final InboundHandler handler;
    private final RedisCommands commands;
    private final RedisSettings settings;
    private final Runnable onClosed;
    private final byte[] memberId;
    private final byte[] membersKey;
    private final ScheduledThreadPoolExecutor claims; // group members only: fallback claims and membership
    private volatile boolean open = true;
    private long received; // the subscription thread's own: numbers the messages for log lines

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
        this.memberId = UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8);
        this.membersKey = ("parley:members:" + group + ":" + channel).getBytes(StandardCharsets.UTF_8);
        if (group == null) {
            this.claims = null;
        } else {
            this.claims = new ScheduledThreadPoolExecutor(1, runnable -> {
                Thread thread = new Thread(runnable, threadName + "-claims");
                thread.setDaemon(true);
                return thread;
            });
            this.claims.setRemoveOnCancelPolicy(true);
        }
    }

    @Override
    void start() {
        if (claims != null) {
            register(); // before subscribing, so that the other members count this one from its first message
            claims.scheduleWithFixedDelay(this::register, MEMBER_TTL_MILLIS / 3, MEMBER_TTL_MILLIS / 3,
                    TimeUnit.MILLISECONDS);
        }
        super.start();
    }

    private void register() {
        try {
            commands.run("ZADD (group member)", jedis -> {
                List<String> time = jedis.time(); // Redis's clock, as the claim script's: no skew between hosts
                long now = Long.parseLong(time.get(0)) * 1000 + Long.parseLong(time.get(1)) / 1000;
                jedis.zadd(membersKey, now + MEMBER_TTL_MILLIS, memberId);
                jedis.zremrangeByScore(membersKey, Double.NEGATIVE_INFINITY, now - MEMBER_TTL_MILLIS);
                return jedis.pexpire(membersKey, MEMBER_TTL_MILLIS * 2);
            });
        } catch (RuntimeException e) {
            log.debug("Could not refresh the membership of group '{}' on '{}': {}", group, channel, e.getMessage());
        }
    }

    @Override
    void onMessage(byte[] channelBytes, byte[] message) {
        String position = "channel message " + ++received;
        if (group == null) {
            deliver(message, position);
            return;
        }
        byte[] digest = digest(message);
        byte[] claimKey = ("parley:claim:" + group + ":" + channel + ":" + HexFormat.of().formatHex(digest, 0, 16))
                .getBytes(StandardCharsets.UTF_8);
        long hash = Integer.toUnsignedLong(ByteBuffer.wrap(digest).getInt());
        long outcome;
        try {
            List<byte[]> keys = List.of(claimKey, membersKey);
            List<byte[]> args = List.of(memberId, bytes(settings.channelClaimTtlMillis), bytes(hash));
            Object result = commands.run("claim script", jedis -> {
                try {
                    return jedis.evalsha(CLAIM_SCRIPT_SHA, keys, args);
                } catch (JedisNoScriptException notLoadedYet) { // first use on this server, or it restarted
                    return jedis.eval(CLAIM_SCRIPT, keys, args);
                }
            });
            outcome = result instanceof Long number ? number : 0;
        } catch (RuntimeException e) {
            log.warn("Could not claim a message of '{}' for group '{}' ({}); handling it, another member may too",
                    destinationName, group, e.getMessage());
            deliver(message, position);
            return;
        }
        if (outcome == 1) {
            deliver(message, position);
        } else if (outcome == -1 && open) {
            try {
                claims.schedule(() -> claimLate(claimKey, message, position), FALLBACK_MILLIS, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException closing) {
                log.debug("Closing: left a message of '{}' to the other members of group '{}'", destinationName, group);
            }
        }
    }

    /** The owner did not claim the message in time: whoever claims it now handles it. */
    private void claimLate(byte[] claimKey, byte[] message, String position) {
        if (!open) {
            return;
        }
        try {
            String won = commands.run("SET NX (group claim)", jedis -> jedis.set(claimKey, memberId,
                    SetParams.setParams().nx().px(settings.channelClaimTtlMillis)));
            if (won != null) {
                log.debug("Took over a message of '{}' for group '{}': its owner did not claim it", destinationName, group);
                deliver(message, position);
            }
        } catch (RuntimeException e) {
            log.warn("Could not claim a message of '{}' for group '{}' late ({}); handling it, another member may too",
                    destinationName, group, e.getMessage());
            deliver(message, position);
        }
    }

    /** An unreadable message goes to the core too (problem set): it logs it and answers it when it can. */
    private void deliver(byte[] message, String position) {
        Envelope envelope = EnvelopeCodec.read(destinationName, message, position);
        try {
            handler.onMessage(envelope); // no acknowledgement on a channel: the outcome changes nothing
        } catch (RuntimeException e) {
            log.error("The core failed on a message of '{}'", destinationName, e);
        }
    }

    /** The message's identity: its bytes include the random correlation id every Parley or FastStream message has. */
    private static byte[] digest(byte[] message) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(message);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    private static byte[] sha1Hex(byte[] script) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(script))
                    .getBytes(StandardCharsets.US_ASCII);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is part of every JDK", e);
        }
    }

    private static byte[] bytes(long number) {
        return Long.toString(number).getBytes(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() {
        open = false;
        super.close();
        if (claims != null) {
            claims.shutdownNow();
            try {
                commands.run("ZREM (group member)", jedis -> jedis.zrem(membersKey, memberId));
            } catch (RuntimeException e) {
                log.debug("Could not unregister from group '{}' on '{}': {}", group, channel, e.getMessage());
            }
        }
        onClosed.run();
    }
}
