package io.parley.transport.rabbit;

import io.parley.api.BrokerOptions;
import io.parley.tck.Capability;
import io.parley.tck.KitEnvironment;
import io.parley.tck.TransportCompatibilityKit;

/**
 * Every rule of the kit against a real RabbitMQ, on the default exchange (a destination is a queue);
 * the fault rules against a private node.
 */
class RabbitTransportCompatibilityIT extends TransportCompatibilityKit {

    @Override
    protected KitEnvironment environment() {
        return RabbitTestSupport.kit(BrokerOptions.defaults())
                .lacks(Capability.FAN_OUT, "on the default exchange a destination is one queue and its consumers compete,"
                        + " as with FastStream and Propan; set rabbit.exchange for fan-out (RabbitExchangeCompatibilityIT)")
                .build();
    }
}
