package io.parley.transport.mqtt.internal;

import io.parley.api.BrokerOptions;
import io.parley.api.ConfigurationException;
import io.parley.api.SubscribeOptions;
import io.parley.api.TlsOptions;
import io.parley.transport.mqtt.MqttProperties;
import org.junit.jupiter.api.Test;

import javax.net.ssl.SSLContext;
import java.net.URI;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MqttSettingsTest {

    private static MqttSettings read(String uri) {
        return read(uri, BrokerOptions.defaults());
    }

    private static MqttSettings read(String uri, BrokerOptions options) {
        return MqttSettings.read(URI.create(uri), "<redacted>", options);
    }

    @Test
    void defaults() {
        MqttSettings settings = read("mqtt://broker.example.com");
        assertEquals("broker.example.com", settings.servers().get(0).host());
        assertEquals(1883, settings.servers().get(0).port());
        assertFalse(settings.tls());
        assertEquals(1, settings.qos());
        assertEquals(Duration.ofSeconds(10), settings.connectTimeout());
        assertEquals(30, settings.keepAliveSeconds());
        assertEquals("parley/reply/", settings.replyTopicPrefix());
        assertEquals(0, settings.maxInFlight(), "0: the broker's Receive Maximum");
        assertEquals(10_000, settings.subscriptionBuffer());
        assertTrue(settings.user().isEmpty());
        assertArrayEquals(new String[] {"tcp://broker.example.com:1883"}, settings.pahoUris());
    }

    @Test
    void mqttsUsesTlsAndPort8883() {
        MqttSettings settings = read("mqtts://broker.example.com");
        assertTrue(settings.tls());
        assertEquals(8883, settings.servers().get(0).port());
        assertArrayEquals(new String[] {"ssl://broker.example.com:8883"}, settings.pahoUris());
    }

    @Test
    void tlsOptionsTurnTlsOnForMqtt() throws Exception {
        BrokerOptions options = BrokerOptions.builder().tls(TlsOptions.of(SSLContext.getDefault())).build();
        MqttSettings settings = read("mqtt://127.0.0.1:8884", options);
        assertTrue(settings.tls());
        assertArrayEquals(new String[] {"ssl://127.0.0.1:8884"}, settings.pahoUris());
    }

    @Test
    void userInfoIsDecoded() {
        MqttSettings settings = read("mqtt://sensor%40site:p%3Ass@127.0.0.1:1884");
        assertEquals("sensor@site", settings.user().orElseThrow());
        assertEquals("p:ss", settings.password().orElseThrow());
        assertFalse(settings.toString().contains("p:ss"), "toString shows no password");
    }

    @Test
    void serverListsAndIpv6() {
        MqttSettings settings = read("mqtt://[::1]:1884");
        assertArrayEquals(new String[] {"tcp://[::1]:1884"}, settings.pahoUris());
    }

    @Test
    void propertiesAreRead() {
        BrokerOptions options = BrokerOptions.builder()
                .property(MqttProperties.QOS, "2")
                .property(MqttProperties.CONNECT_TIMEOUT_MS, "2500")
                .property(MqttProperties.KEEP_ALIVE_S, "5")
                .property(MqttProperties.REPLY_TOPIC_PREFIX, "svc/replies/")
                .property(MqttProperties.MAX_IN_FLIGHT, "8")
                .property(MqttProperties.SUBSCRIPTION_BUFFER, "50")
                .property(MqttProperties.RECONNECT_MAX_DELAY_MS, "300")
                .property("nats.credentials", "ignored: another transport's")
                .build();
        MqttSettings settings = read("mqtt://127.0.0.1", options);
        assertEquals(2, settings.qos());
        assertEquals(Duration.ofMillis(2500), settings.connectTimeout());
        assertEquals(5, settings.keepAliveSeconds());
        assertEquals("svc/replies/", settings.replyTopicPrefix());
        assertEquals(8, settings.maxInFlight());
        assertEquals(50, settings.subscriptionBuffer());
        assertEquals(Duration.ofMillis(300), settings.reconnectMaxDelay());
    }

    @Test
    void everyProblemIsListedAtOnce() {
        BrokerOptions options = BrokerOptions.builder()
                .property(MqttProperties.QOS, "3")
                .property("mqtt.qso", "1")
                .property(MqttProperties.REPLY_TOPIC_PREFIX, "replies/+/")
                .property(MqttProperties.KEEP_ALIVE_S, "soon")
                .build();
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> read("mqtt://user:hunter2@127.0.0.1/path?x=1", options));
        assertEquals(6, e.problems().size(), e.problems().toString());
        assertTrue(e.getMessage().startsWith("Cannot use MQTT URI <redacted>: "), e.getMessage());
        assertTrue(e.getMessage().contains("mqtt.qso"), e.getMessage());
        assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
    }

    @Test
    void noHost() {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> read("mqtt:///"));
        assertTrue(e.getMessage().contains("no host"), e.getMessage());
    }

    @Test
    void subscriptionQos() {
        MqttSettings settings = read("mqtt://127.0.0.1");
        assertEquals(1, settings.subscriptionQos(SubscribeOptions.defaults()));
        assertEquals(0, settings.subscriptionQos(SubscribeOptions.builder().property(MqttProperties.QOS, "0").build()));
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> settings.subscriptionQos(
                SubscribeOptions.builder().property(MqttProperties.KEEP_ALIVE_S, "3").build()));
        assertTrue(e.getMessage().contains(MqttProperties.KEEP_ALIVE_S), e.getMessage());
    }
}
