package io.parley.transport.redis.internal;

import io.parley.spi.Envelope;
import io.parley.spi.InboundHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisDataException;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A stream subscription. With a group: XREADGROUP in the Redis consumer group named after the
 * Parley group, XACK once the core is done with the entry, and XAUTOCLAIM of entries another
 * consumer read but left unacknowledged for {@code redis.stream.claim-idle-ms} (it died), so a
 * request is not lost with a server instance. While an entry is being handled its idle time is
 * reset regularly (XCLAIM ... JUSTID), so a slow handler's entry is not taken from it, also while
 * the broker closes and lets running handlers finish. A closing member gives the entries it read but
 * will not handle back at once (their idle time set to the claim time), so the others claim them at
 * their next round. Without a group: XREAD from the stream's
 * last entry at subscribe time, every subscriber gets every entry, nothing to acknowledge.
 */
final class StreamConsumer extends BlockingLoop {

    private static final Logger log = LoggerFactory.getLogger(StreamConsumer.class);
    /** The single field of an entry that holds the envelope, as FastStream writes it. */
    static final byte[] DATA_FIELD = "__data__".getBytes(StandardCharsets.UTF_8);
    private static final int COUNT = 10;

    private final String group;
    private final String consumer;
    private final long claimIntervalMillis;
    private final long blockMillis;
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    private final ScheduledFuture<?> heartbeat;
    private long nextClaim;
    private String lastId; // no-group reader position, used by the loop thread only

    StreamConsumer(RedisSettings settings, RedisCommands commands, String clientName, String redactedUri,
                   String destinationName, RedisDestination destination, InboundHandler handler, String threadName,
                   Runnable onClosed, String group, String consumer, ScheduledExecutorService timer) {
        super(settings, commands, clientName, redactedUri, destinationName, destination, handler, threadName,
                onClosed);
        this.group = group;
        this.consumer = consumer;
        this.claimIntervalMillis = Math.max(20, Math.min(settings.streamClaimIdleMillis / 2, 5_000));
        this.blockMillis = Math.min(claimIntervalMillis, 2_000);
        this.heartbeat = group == null ? null : timer.scheduleWithFixedDelay(this::touchInFlight,
                claimIntervalMillis, claimIntervalMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    long blockMillis() {
        return blockMillis;
    }

    @Override
    void prepare(Jedis jedis, boolean reconnect) {
        if (group != null) {
            // a new subscription starts at the end; after a reconnect the group may be missing because
            // Redis restarted empty, and then every entry in the new stream is unhandled: start at 0
            createGroup(jedis, reconnect ? "0" : "$");
            return;
        }
        String newest = newestId(jedis);
        if (lastId == null) {
            lastId = newest == null ? "0-0" : newest;
        } else if (newest == null || compareIds(newest, lastId) < 0) {
            lastId = "0-0"; // the stream was recreated (Redis restarted without persistence): read it all
        }
    }

    private void createGroup(Jedis jedis, String startId) {
        try {
            jedis.xgroupCreate(destination.keyBytes(), bytes(group), bytes(startId), true);
        } catch (JedisDataException e) {
            if (e.getMessage() == null || !e.getMessage().startsWith("BUSYGROUP")) {
                throw e;
            }
        }
    }

    private String newestId(Jedis jedis) {
        Object reply = jedis.sendCommand(Protocol.Command.XREVRANGE, destination.keyBytes(), bytes("+"), bytes("-"),
                bytes("COUNT"), bytes("1"));
        if (reply instanceof List<?> entries && !entries.isEmpty() && entries.get(0) instanceof List<?> entry) {
            return text(entry.get(0));
        }
        return null;
    }

    @Override
    void readOnce(Jedis jedis) {
        if (group == null) {
            Object reply = jedis.sendCommand(Protocol.Command.XREAD, bytes("COUNT"), bytes(COUNT),
                    bytes("BLOCK"), bytes(blockMillis), bytes("STREAMS"), destination.keyBytes(), bytes(lastId));
            for (Entry entry : entriesOfRead(reply)) {
                lastId = entry.id;
                if (!running) {
                    return; // nothing to give back: a no-group reader's position is its own
                }
                dispatch(envelope(entry), handled -> { });
            }
            return;
        }
        if (System.nanoTime() - nextClaim >= 0) {
            claimAbandoned(jedis);
            nextClaim = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(claimIntervalMillis);
        }
        Object reply;
        try {
            reply = jedis.sendCommand(Protocol.Command.XREADGROUP, bytes("GROUP"), bytes(group),
                    bytes(consumer), bytes("COUNT"), bytes(COUNT), bytes("BLOCK"), bytes(blockMillis),
                    bytes("STREAMS"), destination.keyBytes(), bytes(">"));
        } catch (JedisDataException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("NOGROUP")) {
                createGroup(jedis, "0"); // the stream or its group was deleted (or Redis restarted empty)
                return;
            }
            throw e;
        }
        handleAll(entriesOfRead(reply));
    }

    /**
     * Hands a batch to the core. The whole batch counts as in flight from the start, so that the
     * heartbeat also covers the entries still waiting while the subscription is at its concurrency.
     */
    private void handleAll(List<Entry> entries) {
        for (Entry entry : entries) {
            inFlight.add(entry.id);
        }
        for (Entry entry : entries) {
            handle(entry);
        }
    }

    /** Takes over entries that other consumers of the group read but never acknowledged. */
    private void claimAbandoned(Jedis jedis) {
        String cursor = "0-0";
        for (int round = 0; round < 10 && running; round++) {
            Object reply = jedis.sendCommand(Protocol.Command.XAUTOCLAIM, destination.keyBytes(), bytes(group),
                    bytes(consumer), bytes(settings.streamClaimIdleMillis), bytes(cursor), bytes("COUNT"),
                    bytes(COUNT));
            if (!(reply instanceof List<?> parts) || parts.size() < 2) {
                return;
            }
            cursor = text(parts.get(0));
            List<Entry> claimed = entries(parts.get(1));
            if (!claimed.isEmpty()) {
                log.info("Claimed {} entries of '{}' (group '{}') that another consumer gave back, or left"
                        + " unacknowledged for more than {} ms", claimed.size(), destinationName, group,
                        settings.streamClaimIdleMillis);
            }
            handleAll(claimed);
            if ("0-0".equals(cursor)) {
                return;
            }
        }
    }

    private void handle(Entry entry) {
        if (!running) {
            inFlight.remove(entry.id);
            giveBack(entry.id);
            return;
        }
        // an unreadable entry fails its stage in the core: acknowledged too, so it is not claimed again
        dispatch(envelope(entry), handled -> {
            inFlight.remove(entry.id);
            if (handled) {
                ack(entry.id);
            } else {
                giveBack(entry.id);
            }
        });
    }

    /**
     * An entry this member read but will not handle (it is closing) stays pending in the group; marked
     * as idle for the claim time, the other members take it at their next claim round, not a claim time later.
     */
    private void giveBack(String id) {
        try {
            commands.run("XCLAIM", jedis -> jedis.sendCommand(Protocol.Command.XCLAIM, destination.keyBytes(),
                    bytes(group), bytes(consumer), bytes("0"), bytes(id), bytes("IDLE"),
                    bytes(settings.streamClaimIdleMillis), bytes("JUSTID")));
        } catch (RuntimeException e) {
            log.debug("Could not give entry {} of '{}' back to group '{}' at once; it is claimed after {} ms: {}", id,
                    destinationName, group, settings.streamClaimIdleMillis, e.getMessage());
        }
    }

    /** The entry as the core gets it: an entry without the data field is unreadable, not skipped unseen. */
    private Envelope envelope(Entry entry) {
        String position = "entry " + entry.id;
        if (entry.data == null) {
            return Envelope.builder(destinationName).position(position).problem("the stream entry has no "
                    + new String(DATA_FIELD, StandardCharsets.UTF_8) + " field (its fields: " + entry.fields + ")").build();
        }
        return EnvelopeCodec.read(destinationName, entry.data, position);
    }

    private void ack(String id) {
        try {
            commands.run("XACK", jedis -> jedis.xack(destination.keyBytes(), bytes(group), bytes(id)));
        } catch (RuntimeException e) {
            log.warn("Could not acknowledge entry {} of '{}' (group '{}'); it will be handled again after {} ms: {}",
                    id, destinationName, group, settings.streamClaimIdleMillis, e.getMessage());
        }
    }

    /** Resets the idle time of the entries being handled, so that nobody claims them meanwhile. */
    private void touchInFlight() {
        if (inFlight.isEmpty()) {
            ScheduledFuture<?> self = heartbeat;
            if (!running && self != null) {
                self.cancel(false); // closed, and the last handler finished
            }
            return;
        }
        List<byte[]> args = new ArrayList<>();
        args.add(destination.keyBytes());
        args.add(bytes(group));
        args.add(bytes(consumer));
        args.add(bytes("0"));
        for (String id : inFlight) {
            args.add(bytes(id));
        }
        args.add(bytes("JUSTID"));
        try {
            commands.run("XCLAIM", jedis -> jedis.sendCommand(Protocol.Command.XCLAIM, args.toArray(new byte[0][])));
        } catch (RuntimeException e) {
            log.debug("Could not refresh the entries being handled on '{}': {}", destinationName, e.getMessage());
        }
    }


    // ---- RESP2 replies of XREAD / XREADGROUP / XAUTOCLAIM

    /** An entry: its id, and its data field, or the names of its fields when it has none. */
    record Entry(String id, byte[] data, List<String> fields) {
    }

    /** [[key, [[id, [field, value, ...]], ...]], ...] or null on timeout. */
    static List<Entry> entriesOfRead(Object reply) {
        List<Entry> entries = new ArrayList<>();
        if (reply instanceof List<?> streams) {
            for (Object stream : streams) {
                if (stream instanceof List<?> pair && pair.size() == 2) {
                    entries.addAll(entries(pair.get(1)));
                }
            }
        }
        return entries;
    }

    static List<Entry> entries(Object list) {
        List<Entry> entries = new ArrayList<>();
        if (list instanceof List<?> items) {
            for (Object item : items) {
                if (item instanceof List<?> entry && !entry.isEmpty()) {
                    Object fields = entry.size() > 1 ? entry.get(1) : null;
                    byte[] data = data(fields);
                    entries.add(new Entry(text(entry.get(0)), data, data == null ? fieldNames(fields) : List.of()));
                }
            }
        }
        return entries;
    }

    private static byte[] data(Object fields) {
        if (fields instanceof List<?> values) {
            for (int i = 0; i + 1 < values.size(); i += 2) {
                if (values.get(i) instanceof byte[] name && Arrays.equals(name, DATA_FIELD)
                        && values.get(i + 1) instanceof byte[] value) {
                    return value;
                }
            }
        }
        return null;
    }

    private static List<String> fieldNames(Object fields) {
        List<String> names = new ArrayList<>();
        if (fields instanceof List<?> values) {
            for (int i = 0; i < values.size(); i += 2) {
                names.add(text(values.get(i)));
            }
        }
        return names;
    }

    static int compareIds(String a, String b) {
        long[] x = parseId(a);
        long[] y = parseId(b);
        int first = Long.compareUnsigned(x[0], y[0]);
        return first != 0 ? first : Long.compareUnsigned(x[1], y[1]);
    }

    private static long[] parseId(String id) {
        int dash = id.indexOf('-');
        return dash < 0 ? new long[]{Long.parseUnsignedLong(id), 0}
                : new long[]{Long.parseUnsignedLong(id.substring(0, dash)), Long.parseUnsignedLong(id.substring(dash + 1))};
    }

    private static String text(Object value) {
        return value instanceof byte[] raw ? new String(raw, StandardCharsets.UTF_8) : String.valueOf(value);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] bytes(long number) {
        return Long.toString(number).getBytes(StandardCharsets.US_ASCII);
    }
}
