package io.parley.transport.mqtt.internal;

import io.parley.spi.Envelope;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.eclipse.paho.mqttv5.common.packet.UserProperty;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Parley envelope as an MQTT 5 message and back. Native properties carry the standard fields:
 * Content Type, Response Topic (reply-to), Correlation Data (the correlation id's UTF-8 bytes) and
 * Message Expiry Interval (a request's timeout); user headers are User Properties. Readers also take
 * {@code content-type}, {@code reply_to} and {@code correlation_id} user properties from peers that
 * write the Python peers' header names instead of the native properties.
 */
final class EnvelopeMapper {

    /** Prefix of the correlation id of a message whose Correlation Data is not UTF-8 text. */
    static final String BINARY_CORRELATION = "hex:";

    /** MQTT's largest packet: the Remaining Length field holds at most this, plus the fixed header. */
    static final long MQTT_MAX_PACKET = 268_435_455L + 5;

    private EnvelopeMapper() {
    }

    /**
     * {@code envelope} as an MQTT message.
     *
     * @param responseTopic   the Response Topic, or null
     * @param correlationData the Correlation Data, or null
     */
    static MqttMessage toMqtt(Envelope envelope, int qos, String responseTopic, byte[] correlationData) {
        MqttProperties properties = new MqttProperties();
        if (envelope.contentType() != null) {
            properties.setContentType(envelope.contentType());
        }
        if (responseTopic != null) {
            properties.setResponseTopic(responseTopic);
        }
        if (correlationData != null) {
            properties.setCorrelationData(correlationData);
        }
        Duration ttl = envelope.timeToLive();
        if (ttl != null && !ttl.isNegative() && !ttl.isZero()) {
            // whole seconds, rounded up: a broker must never drop a request its requester still waits for
            long seconds = Math.min(0xFFFF_FFFFL - 1, (ttl.toMillis() + 999) / 1000);
            properties.setMessageExpiryInterval(seconds);
        }
        if (!envelope.headers().isEmpty()) {
            List<UserProperty> user = new ArrayList<>(envelope.headers().size());
            envelope.headers().forEach((name, value) -> user.add(new UserProperty(name, value == null ? "" : value)));
            properties.setUserProperties(user);
        }
        MqttMessage message = new MqttMessage(envelope.body(), qos, false, properties);
        return message;
    }

    /** A received message as an envelope for {@code destination}. */
    static Envelope fromMqtt(String destination, MqttMessage message) {
        MqttProperties properties = message.getProperties();
        Envelope.Builder builder = Envelope.builder(destination).body(message.getPayload()).nativeMessage(message);
        String contentType = properties == null ? null : properties.getContentType();
        String replyTo = properties == null ? null : properties.getResponseTopic();
        byte[] correlationData = properties == null ? null : properties.getCorrelationData();
        String correlationId = correlationData == null ? null : correlationId(correlationData);
        Map<String, String> headers = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        List<UserProperty> user = properties == null ? List.of() : properties.getUserProperties();
        for (UserProperty property : user) {
            String name = property.getKey();
            String value = property.getValue();
            if (name.indexOf('\uFFFD') >= 0 || value.indexOf('\uFFFD') >= 0) {
                // the client decodes bytes that are not UTF-8 as U+FFFD: the sender's text is lost
                problems.add("user property '" + name + "' is not valid UTF-8");
            }
            switch (name) {
                case Envelope.CONTENT_TYPE -> contentType = contentType == null ? value : contentType;
                case Envelope.REPLY_TO -> replyTo = replyTo == null ? value : replyTo;
                case Envelope.CORRELATION_ID -> correlationId = correlationId == null ? value : correlationId;
                default -> headers.put(name, value);
            }
        }
        if (contentType != null && contentType.indexOf('\uFFFD') >= 0) {
            problems.add("the content type is not valid UTF-8");
        }
        if (replyTo != null && (replyTo.indexOf('+') >= 0 || replyTo.indexOf('#') >= 0)) {
            // Mosquitto passes such a Response Topic on, but nobody can publish the answer to it
            problems.add("the Response Topic '" + replyTo + "' is a topic filter (wildcards), not a topic to answer to");
            replyTo = null;
        }
        if (properties != null && properties.getPayloadFormat() && !isUtf8(message.getPayload())) {
            problems.add("the Payload Format Indicator says UTF-8 text, but the payload is not UTF-8");
        }
        builder.contentType(contentType).replyTo(replyTo).correlationId(correlationId).headers(headers);
        if (!problems.isEmpty()) {
            builder.problem(String.join("; ", problems));
        }
        return builder.build();
    }

    /** Correlation Data as Parley's correlation id: its UTF-8 text, or {@code hex:...} when it is not text. */
    static String correlationId(byte[] data) {
        return isUtf8(data) ? new String(data, StandardCharsets.UTF_8)
                : BINARY_CORRELATION + HexFormat.of().formatHex(data);
    }

    static boolean isUtf8(byte[] data) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(data));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    /** The Correlation Data for a Parley correlation id: its UTF-8 bytes. */
    static byte[] correlationData(String correlationId) {
        return correlationId.getBytes(StandardCharsets.UTF_8);
    }

    /** A generous estimate of the PUBLISH packet's size, to compare with the broker's Maximum Packet Size. */
    static long packetSize(String topic, MqttMessage message) {
        long size = 5 + 2 + utf8Length(topic) + 2 + 4 + message.getPayload().length;
        MqttProperties properties = message.getProperties();
        size += properties.getContentType() == null ? 0 : 3 + utf8Length(properties.getContentType());
        size += properties.getResponseTopic() == null ? 0 : 3 + utf8Length(properties.getResponseTopic());
        size += properties.getCorrelationData() == null ? 0 : 3 + properties.getCorrelationData().length;
        size += properties.getMessageExpiryInterval() == null ? 0 : 5;
        for (UserProperty property : properties.getUserProperties()) {
            size += 5 + utf8Length(property.getKey()) + utf8Length(property.getValue());
        }
        return size;
    }

    private static long utf8Length(String text) {
        return text.getBytes(StandardCharsets.UTF_8).length;
    }
}
