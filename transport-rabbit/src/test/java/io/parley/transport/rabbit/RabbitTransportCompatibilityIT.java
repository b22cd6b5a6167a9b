package io.parley.transport.rabbit;

import io.parley.tck.Capability;
import io.parley.tck.KitEnvironment;
import io.parley.tck.TransportCompatibilityKit;

/** Every rule of the kit against a real RabbitMQ, on the default exchange (a destination is a queue). */
class RabbitTransportCompatibilityIT extends TransportCompatibilityKit {

    @Override
    protected KitEnvironment environment() {
        return KitEnvironment.builder(RabbitTestSupport.URI, "rabbit")
                .lacks(Capability.FAN_OUT, "on the default exchange a destination is one queue and its consumers compete,"
                        + " as with FastStream and Propan; set rabbit.exchange for fan-out (RabbitExchangeCompatibilityIT)")
                .build();
    }
}
