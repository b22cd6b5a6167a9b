package io.parley.transport.rabbit;

import io.parley.api.BrokerOptions;
import io.parley.tck.KitEnvironment;
import io.parley.tck.TransportCompatibilityKit;

/**
 * Every rule of the kit with rabbit.exchange=amq.topic: a queue per group, fan-out to every group; the
 * fault rules against a private node (the same one as the default exchange's kit run).
 */
class RabbitExchangeCompatibilityIT extends TransportCompatibilityKit {

    @Override
    protected KitEnvironment environment() {
        return RabbitTestSupport.kit(BrokerOptions.builder().property(RabbitProperties.EXCHANGE, "amq.topic").build())
                .build();
    }
}
