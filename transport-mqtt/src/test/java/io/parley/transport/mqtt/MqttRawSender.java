package io.parley.transport.mqtt;

import io.parley.tck.RawSender;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Puts on Mosquitto, with {@link RawMqtt}, what Parley never writes (kit rule 10.06). Mosquitto 2.0
 * itself refuses strings that are not UTF-8 or hold control characters (it drops the sender's
 * connection), so of those only one is sent, to show that; the rest is what it does pass on.
 */
final class MqttRawSender implements RawSender {

    static final String NOT_UTF8_PAYLOAD = "Payload Format Indicator UTF-8 with a payload that is not UTF-8";
    static final String WILDCARD_RESPONSE_TOPIC = "a Response Topic with a wildcard";
    static final String BINARY_CORRELATION = "Correlation Data that is not UTF-8";
    static final String GARBAGE = "a payload of garbage without content type";
    static final String NOT_UTF8_USER_PROPERTY = "a user property that is not UTF-8 (the broker refuses it)";

    private static final byte[] NOT_UTF8 = {(byte) 0xC3, (byte) 0x28, (byte) 0xFF};

    private final String host;
    private final int port;

    MqttRawSender(String uri) {
        URI parsed = URI.create(uri);
        this.host = parsed.getHost();
        this.port = parsed.getPort() < 0 ? 1883 : parsed.getPort();
    }

    @Override
    public List<String> poisons() {
        return List.of(NOT_UTF8_PAYLOAD, WILDCARD_RESPONSE_TOPIC, BINARY_CORRELATION, GARBAGE, NOT_UTF8_USER_PROPERTY);
    }

    @Override
    public boolean send(String poison, String destination, String replyTo, String correlationId) throws Exception {
        RawMqtt.Properties properties = new RawMqtt.Properties();
        byte[] payload = "{\"id\":\"raw\",\"quantity\":1,\"items\":[],\"prices\":{}}".getBytes(StandardCharsets.UTF_8);
        boolean answerable = replyTo != null;
        switch (poison) {
            case NOT_UTF8_PAYLOAD -> {
                properties.payloadFormatUtf8();
                payload = NOT_UTF8;
                addReturnAddress(properties, replyTo, correlationId);
            }
            case WILDCARD_RESPONSE_TOPIC -> {
                properties.responseTopic(utf8(replyTo == null ? "parley-tck/+" : replyTo + "/+"));
                properties.correlationData(utf8(correlationId));
                answerable = false; // nobody can answer to a topic filter
            }
            case BINARY_CORRELATION -> {
                if (replyTo != null) {
                    properties.responseTopic(utf8(replyTo));
                }
                properties.correlationData(NOT_UTF8);
                answerable = false; // answered, but with Correlation Data that is not the kit's id
            }
            case GARBAGE -> {
                payload = new byte[] {0, (byte) 0xFF, 0x7B, 0x22, (byte) 0x80, 0x0A};
                addReturnAddress(properties, replyTo, correlationId);
            }
            case NOT_UTF8_USER_PROPERTY -> {
                properties.userProperty(utf8("x-bad"), NOT_UTF8);
                addReturnAddress(properties, replyTo, correlationId);
                answerable = false;
            }
            default -> throw new IllegalArgumentException("unknown poison " + poison);
        }
        try (RawMqtt raw = new RawMqtt(host, port)) {
            RawMqtt.Outcome outcome = raw.publish(destination, properties, payload);
            if (poison.equals(NOT_UTF8_USER_PROPERTY)) {
                if (outcome.accepted()) {
                    throw new AssertionError("Mosquitto took a user property that is not UTF-8: the transport must"
                            + " now mark such messages as unreadable");
                }
                return false;
            }
            if (!outcome.accepted()) {
                throw new AssertionError("the broker refused the raw poison '" + poison + "' (" + outcome + ")");
            }
        }
        return answerable;
    }

    private static void addReturnAddress(RawMqtt.Properties properties, String replyTo, String correlationId) {
        if (replyTo != null) {
            properties.responseTopic(utf8(replyTo));
        }
        properties.correlationData(utf8(correlationId));
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
