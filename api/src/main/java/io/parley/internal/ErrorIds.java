package io.parley.internal;

import java.util.concurrent.ThreadLocalRandom;

/**
 * The id an error reply and the responder's log line share: the requester can quote it, the
 * responder's operators find the details with it. Eight hex digits, random: unique enough within the
 * logs of one service, and no secret.
 */
final class ErrorIds {

    private ErrorIds() {
    }

    static String next() {
        return String.format("%08x", ThreadLocalRandom.current().nextInt());
    }
}
