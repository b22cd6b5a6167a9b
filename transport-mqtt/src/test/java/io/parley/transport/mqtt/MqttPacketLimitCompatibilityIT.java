package io.parley.transport.mqtt;

import io.parley.tck.BrokerProcess;
import io.parley.tck.KitEnvironment;

/**
 * The kit once more, against a private Mosquitto with {@code max_packet_size}: the shared broker has no
 * limit under MQTT's own 256 MiB, so there rule 13.11 and the 10.06 poison "a body over the broker's
 * limit" are skipped; here they run. A message over the broker's Maximum Packet Size (from its CONNACK)
 * fails at once, typed, and is never sent (the broker would drop the connection for it).
 */
class MqttPacketLimitCompatibilityIT extends MqttTransportCompatibilityIT {

    /** Above 1 MiB and its headers, so that rule 3.08 still runs. */
    static final int MAX_PACKET_SIZE = 4 * 1024 * 1024;
    private static BrokerProcess limited;

    private static synchronized BrokerProcess limitedBroker() throws Exception {
        if (limited == null || !started.contains(limited)) {
            limited = PrivateMosquitto.withPacketLimit(MAX_PACKET_SIZE);
            started.add(limited);
        }
        return limited;
    }

    @Override
    protected String brokerUri() throws Exception {
        return limitedBroker().uri();
    }

    @Override
    protected KitEnvironment.Builder more(KitEnvironment.Builder builder) {
        // a body of this size is over the limit with the packet's headers; one byte more surely is
        return builder.bodyLimit(MAX_PACKET_SIZE);
    }
}
