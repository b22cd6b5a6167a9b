package io.parley.benchmarks;

import java.util.List;

/** The cases compared on each broker. */
final class Cases {

    static List<EchoCase> forBroker(String broker, String uri) {
        return switch (broker) {
            case "nats" -> List.of(new ParleyEcho(broker, uri), new NatsRawEcho(uri));
            case "rabbit" -> List.of(new ParleyEcho(broker, uri), new RabbitRawEcho(uri), new SpringRabbitEcho(uri));
            case "redis" -> List.of(new ParleyEcho(broker, uri), new RedisRawEcho(uri));
            case "kafka" -> List.of(new ParleyEcho(broker, uri), new KafkaRawEcho(uri), new SpringKafkaEcho(uri));
            default -> throw new IllegalArgumentException("unknown broker " + broker);
        };
    }

    private Cases() {
    }
}
