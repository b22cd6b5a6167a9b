package io.parley.transport.mqtt.internal;

import io.parley.spi.Envelope;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.eclipse.paho.mqttv5.common.packet.UserProperty;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EnvelopeMapperTest {

    @Test
    void envelopeToMqtt5Properties() {
        Envelope request = Envelope.builder("orders").body("hi".getBytes(StandardCharsets.UTF_8))
                .contentType("text/plain").correlationId("cid-1").replyTo("ignored: the transport gives it")
                .header("x-a", "1").header("x-b", "caf\u00e9").timeToLive(Duration.ofMillis(1500)).build();
        MqttMessage message = EnvelopeMapper.toMqtt(request, 1, "parley/reply/c1",
                EnvelopeMapper.correlationData("cid-1"));
        MqttProperties properties = message.getProperties();
        assertEquals(1, message.getQos());
        assertEquals("text/plain", properties.getContentType());
        assertEquals("parley/reply/c1", properties.getResponseTopic());
        assertArrayEquals("cid-1".getBytes(StandardCharsets.UTF_8), properties.getCorrelationData());
        assertEquals(2L, properties.getMessageExpiryInterval(), "rounded up to whole seconds");
        assertEquals(Set.of(new UserProperty("x-a", "1"), new UserProperty("x-b", "caf\u00e9")),
                Set.copyOf(properties.getUserProperties()), "one each (the envelope's headers keep no order)");
        assertEquals(2, properties.getUserProperties().size());
    }

    @Test
    void mqttToEnvelope() {
        MqttProperties properties = new MqttProperties();
        properties.setContentType("application/json");
        properties.setResponseTopic("answers");
        properties.setCorrelationData("cid-2".getBytes(StandardCharsets.UTF_8));
        properties.setUserProperties(List.of(new UserProperty("x-kind", "created")));
        Envelope envelope = EnvelopeMapper.fromMqtt("orders", new MqttMessage("{}".getBytes(), 1, false, properties));
        assertEquals("orders", envelope.destination());
        assertEquals("application/json", envelope.contentType());
        assertEquals("answers", envelope.replyTo());
        assertEquals("cid-2", envelope.correlationId());
        assertEquals(Map.of("x-kind", "created"), envelope.headers());
        assertNull(envelope.problem());
    }

    @Test
    void pythonStyleUserPropertiesAreFieldsNotHeaders() {
        MqttProperties properties = new MqttProperties();
        properties.setUserProperties(List.of(new UserProperty("content-type", "text/plain"),
                new UserProperty("reply_to", "answers"), new UserProperty("correlation_id", "cid-3"),
                new UserProperty("x-other", "y")));
        Envelope envelope = EnvelopeMapper.fromMqtt("orders", new MqttMessage("a".getBytes(), 1, false, properties));
        assertEquals("text/plain", envelope.contentType());
        assertEquals("answers", envelope.replyTo());
        assertEquals("cid-3", envelope.correlationId());
        assertEquals(Map.of("x-other", "y"), envelope.headers());
    }

    @Test
    void emptyMessageIsTheEndOfStreamSentinel() {
        Envelope envelope = EnvelopeMapper.fromMqtt("r", new MqttMessage(new byte[0], 1, false, new MqttProperties()));
        assertTrue(envelope.isEndOfStream());
    }

    @Test
    void binaryCorrelationDataIsKeptAsHex() {
        byte[] data = {0, (byte) 0xFF, 0x10};
        assertEquals("hex:00ff10", EnvelopeMapper.correlationId(data));
        assertEquals("abc", EnvelopeMapper.correlationId("abc".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void unreadableMessagesCarryAProblem() {
        // (a Response Topic with wildcards cannot be built with Paho: MqttRawSender sends one in the kit's 10.06)
        MqttProperties utf8 = new MqttProperties();
        utf8.setPayloadFormat(true);
        Envelope second = EnvelopeMapper.fromMqtt("d", new MqttMessage(new byte[] {(byte) 0xC3, 0x28}, 1, false, utf8));
        assertTrue(second.problem().contains("Payload Format Indicator"), second.problem());
    }

    @Test
    void packetSizeCountsEverything() {
        Envelope envelope = Envelope.builder("t").body(new byte[1000]).header("k", "v").build();
        MqttMessage message = EnvelopeMapper.toMqtt(envelope, 1, "r", new byte[36]);
        long size = EnvelopeMapper.packetSize("t", message);
        assertTrue(size > 1000 + 36 && size < 1100, "size " + size);
    }
}
