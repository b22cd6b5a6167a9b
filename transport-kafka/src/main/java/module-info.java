/** Parley over Kafka: request/reply with a reply topic per connection, consumer groups, Spring Kafka's reply headers. */
module io.parley.transport.kafka {
    requires io.parley.api;
    requires kafka.clients;
    requires org.slf4j;

    exports io.parley.transport.kafka;
    // kafka-clients instantiates the TLS engine factory (ssl.engine.factory.class) by reflection
    exports io.parley.transport.kafka.internal to kafka.clients;

    provides io.parley.spi.TransportProvider with io.parley.transport.kafka.internal.KafkaTransportProvider;
}
