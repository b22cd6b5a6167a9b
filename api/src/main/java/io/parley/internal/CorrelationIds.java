package io.parley.internal;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Random UUID4 correlation ids, as the Python peers use. Drawn from ThreadLocalRandom: ids route
 * replies, they are not secrets, and UUID.randomUUID's SecureRandom is a shared hot spot.
 */
final class CorrelationIds {

    private CorrelationIds() {
    }

    static String next() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long most = (random.nextLong() & ~0xF000L) | 0x4000L;               // version 4
        long least = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L; // IETF variant
        return new UUID(most, least).toString();
    }
}
