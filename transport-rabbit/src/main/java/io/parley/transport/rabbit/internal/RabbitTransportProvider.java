package io.parley.transport.rabbit.internal;

import io.parley.spi.Transport;
import io.parley.spi.TransportContext;
import io.parley.spi.TransportProvider;

import java.util.Set;

/**
 * {@code amqp://user:password@host:5672/vhost}, and {@code amqps://} for TLS (as is either scheme
 * with {@code BrokerOptions.tls}).
 */
public final class RabbitTransportProvider implements TransportProvider {

    @Override
    public String name() {
        return "rabbit";
    }

    @Override
    public Set<String> schemes() {
        return Set.of("amqp", "amqps");
    }

    @Override
    public Transport open(TransportContext context) {
        return new RabbitTransport(context);
    }
}
