package io.parley.transport.mqtt.internal;

import io.parley.spi.Transport;
import io.parley.spi.TransportContext;
import io.parley.spi.TransportProvider;

import java.util.Set;

/** The {@code mqtt} transport: {@code mqtt://host:1883} and {@code mqtts://host:8883} (MQTT 5). */
public final class MqttTransportProvider implements TransportProvider {

    @Override
    public String name() {
        return "mqtt";
    }

    @Override
    public Set<String> schemes() {
        return Set.of("mqtt", "mqtts");
    }

    @Override
    public Transport open(TransportContext context) {
        return MqttTransport.open(context);
    }
}
