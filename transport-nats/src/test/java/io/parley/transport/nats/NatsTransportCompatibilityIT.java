package io.parley.transport.nats;

import io.parley.tck.Capability;
import io.parley.tck.KitEnvironment;
import io.parley.tck.TransportCompatibilityKit;

/** Every rule of the kit against a real nats-server. */
class NatsTransportCompatibilityIT extends TransportCompatibilityKit {

    /** 1 MiB of body plus the headers must fit the server's max_payload for rule 3.08. */
    private static final long LARGE_BODY_WITH_HEADERS = 1024 * 1024 + 4096;

    @Override
    protected KitEnvironment environment() {
        KitEnvironment.Builder builder = KitEnvironment.builder(NatsTestSupport.URI, "nats");
        long maxPayload;
        try {
            maxPayload = NatsTestSupport.serverMaxPayload();
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the NATS server's max_payload at " + NatsTestSupport.URI, e);
        }
        if (maxPayload < LARGE_BODY_WITH_HEADERS) {
            builder.lacks(Capability.LARGE_MESSAGES, "the server's max_payload is " + maxPayload
                    + " bytes (nats-server's default is 1 MB); raise max_payload to carry 1 MiB bodies");
        }
        return builder.build();
    }
}
