/** Parley over MQTT 5 (Mosquitto and other MQTT 5 brokers), with Eclipse Paho. */
module io.parley.transport.mqtt {
    requires io.parley.api;
    requires org.eclipse.paho.mqttv5.client;
    requires org.slf4j;

    exports io.parley.transport.mqtt;

    provides io.parley.spi.TransportProvider with io.parley.transport.mqtt.internal.MqttTransportProvider;
}
