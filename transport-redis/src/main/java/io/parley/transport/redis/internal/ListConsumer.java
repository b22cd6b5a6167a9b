package io.parley.transport.redis.internal;

import io.parley.spi.Envelope;
import io.parley.spi.InboundHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Protocol;

import java.util.List;

/**
 * A list read as a work queue: BLPOP, so each element goes to one consumer whatever its group.
 * A list has no acknowledgement: an element is consumed once popped (at most once). Only an
 * element the subscription refuses because it is closing goes back to the head of the list.
 */
final class ListConsumer extends BlockingLoop {

    private static final Logger log = LoggerFactory.getLogger(ListConsumer.class);
    /** Seconds a BLPOP waits (as {@link #blockMillis()}): then the loop checks that it should go on. */
    private static final byte[] BLOCK_SECONDS = {'5'};

    private long elements; // the loop thread's own: numbers the popped elements for log lines

    ListConsumer(RedisSettings settings, RedisCommands commands, String clientName, String redactedUri,
                 String destinationName, RedisDestination destination, InboundHandler handler, String threadName,
                 Runnable onClosed) {
        super(settings, commands, clientName, redactedUri, destinationName, destination, handler, threadName,
                onClosed);
    }

    @Override
    long blockMillis() {
        return 5_000;
    }

    @Override
    void prepare(Jedis jedis, boolean reconnect) {
        // nothing to set up: elements pushed before the first BLPOP wait in the list
    }

    @Override
    void readOnce(Jedis jedis) {
        // sendCommand, not blpop(): it keeps the connection's finite socket timeout
        Object reply = jedis.sendCommand(Protocol.Command.BLPOP, destination.keyBytes(), BLOCK_SECONDS);
        if (!(reply instanceof List<?> popped) || popped.size() < 2 || !(popped.get(1) instanceof byte[] raw)) {
            return; // timed out, or woken by CLIENT UNBLOCK
        }
        if (!running) {
            pushBack(raw);
            return;
        }
        Envelope envelope = EnvelopeCodec.read(destinationName, raw, "popped element " + ++elements);
        dispatch(envelope, handled -> {
            if (!handled) {
                pushBack(raw);
            }
        });
    }

    private void pushBack(byte[] raw) {
        try {
            commands.run("LPUSH", jedis -> jedis.lpush(destination.keyBytes(), raw));
        } catch (RuntimeException e) {
            log.warn("Lost a message of '{}': it was popped while the subscription closed and could not be pushed "
                    + "back: {}", destinationName, e.getMessage());
        }
    }
}
