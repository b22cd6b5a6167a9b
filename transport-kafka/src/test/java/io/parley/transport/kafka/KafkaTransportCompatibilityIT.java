package io.parley.transport.kafka;

import io.parley.tck.Capability;
import io.parley.tck.KitEnvironment;
import io.parley.tck.TransportCompatibilityKit;

/** Every rule of the kit against a real Kafka broker (KRaft), started by {@link KafkaBroker}. */
class KafkaTransportCompatibilityIT extends TransportCompatibilityKit {

    @Override
    protected KitEnvironment environment() {
        String uri;
        try {
            uri = KafkaBroker.sharedUri();
        } catch (Exception e) {
            throw new IllegalStateException("could not start the test Kafka broker", e);
        }
        return KitEnvironment.builder(uri, "kafka")
                .lacks(Capability.NO_RESPONDERS, "Kafka cannot tell that a topic has no consumer")
                .lacks(Capability.GROUP_WORK_SHARING, "topics Parley creates have 1 partition (kafka.partitions), and a"
                        + " group shares work only across partitions")
                .build();
    }
}
