package io.parley.benchmarks;

import java.util.List;

/** The cases compared on each broker. */
final class Cases {

    static List<EchoCase> forBroker(String broker, String uri) {
        List<EchoCase> others = switch (broker) {
            case "nats" -> List.of(new NatsRawEcho(uri));
            case "rabbit" -> List.of(new RabbitRawEcho(uri), new SpringRabbitEcho(uri));
            case "redis" -> List.of(new RedisRawEcho(uri));
            case "kafka" -> List.of(new KafkaRawEcho(uri), new SpringKafkaEcho(uri));
            default -> throw new IllegalArgumentException("unknown broker " + broker);
        };
        List<EchoCase> all = new java.util.ArrayList<>();
        all.add(new ParleyEcho(broker, uri, false));
        all.add(new ParleyEcho(broker, uri, true));
        all.addAll(others);
        return all;
    }

    private Cases() {
    }
}
