/** Parley over RabbitMQ (AMQP 0-9-1), with amqp-client. */
module io.parley.transport.rabbit {
    requires io.parley.api;
    requires com.rabbitmq.client;
    requires org.slf4j;

    exports io.parley.transport.rabbit;

    provides io.parley.spi.TransportProvider with io.parley.transport.rabbit.internal.RabbitTransportProvider;
}
