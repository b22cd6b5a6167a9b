package io.parley.transport.redis.internal;

import io.parley.api.ConfigurationException;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A Parley destination name read as a Redis object: {@code list:<key>} is a list (work queue),
 * {@code stream:<key>} a stream, {@code channel:<name>} or any other name a Pub/Sub channel.
 */
record RedisDestination(Kind kind, String key, byte[] keyBytes) {

    enum Kind { CHANNEL, LIST, STREAM }

    static final String LIST_PREFIX = "list:";
    static final String STREAM_PREFIX = "stream:";
    static final String CHANNEL_PREFIX = "channel:";

    static RedisDestination parse(String destination) {
        Kind kind = Kind.CHANNEL;
        String key = destination;
        if (destination.startsWith(LIST_PREFIX)) {
            kind = Kind.LIST;
            key = destination.substring(LIST_PREFIX.length());
        } else if (destination.startsWith(STREAM_PREFIX)) {
            kind = Kind.STREAM;
            key = destination.substring(STREAM_PREFIX.length());
        } else if (destination.startsWith(CHANNEL_PREFIX)) {
            key = destination.substring(CHANNEL_PREFIX.length());
        }
        if (key.isEmpty()) {
            throw new ConfigurationException("Destination '" + destination + "' names no Redis "
                    + kind.name().toLowerCase(Locale.ROOT) + " after its prefix");
        }
        return new RedisDestination(kind, key, key.getBytes(StandardCharsets.UTF_8));
    }
}
