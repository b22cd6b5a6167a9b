package io.parley.transport.kafka.internal;

import io.parley.spi.Transport;
import io.parley.spi.TransportContext;
import io.parley.spi.TransportProvider;

import java.util.Set;

/** {@code kafka://host:9092[,host2:9092]}; client settings (SASL, TLS) as {@code kafka.client.*} properties. */
public final class KafkaTransportProvider implements TransportProvider {

    @Override
    public String name() {
        return "kafka";
    }

    @Override
    public Set<String> schemes() {
        return Set.of("kafka");
    }

    @Override
    public Transport open(TransportContext context) {
        return new KafkaTransport(context);
    }
}
