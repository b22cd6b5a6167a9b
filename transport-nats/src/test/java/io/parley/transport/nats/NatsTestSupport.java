package io.parley.transport.nats;

import io.nats.client.Connection;
import io.nats.client.Nats;


/** Where the tests' NATS server is, and small helpers shared by the ITs. */
final class NatsTestSupport {

    /** The shared server: PARLEY_NATS_URI, or the one scripts/test.sh makes sure of. */
    static final String URI = System.getenv().getOrDefault("PARLEY_NATS_URI", "nats://127.0.0.1:4222");

    private NatsTestSupport() {
    }

    /** The connected server's max_payload, read from its INFO. */
    static long serverMaxPayload() throws Exception {
        try (Connection connection = Nats.connect(URI)) {
            return connection.getServerInfo().getMaxPayload();
        }
    }
}
