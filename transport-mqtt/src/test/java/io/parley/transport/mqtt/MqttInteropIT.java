package io.parley.transport.mqtt;

import io.parley.api.Broker;
import io.parley.api.Message;
import io.parley.api.PublishOptions;
import io.parley.api.Reply;
import io.parley.api.RequestOptions;
import org.eclipse.paho.mqttv5.client.IMqttToken;
import org.eclipse.paho.mqttv5.client.MqttAsyncClient;
import org.eclipse.paho.mqttv5.client.MqttCallback;
import org.eclipse.paho.mqttv5.client.MqttConnectionOptions;
import org.eclipse.paho.mqttv5.client.MqttDisconnectResponse;
import org.eclipse.paho.mqttv5.client.persist.MemoryPersistence;
import org.eclipse.paho.mqttv5.common.MqttException;
import org.eclipse.paho.mqttv5.common.MqttMessage;
import org.eclipse.paho.mqttv5.common.MqttSubscription;
import org.eclipse.paho.mqttv5.common.packet.MqttProperties;
import org.eclipse.paho.mqttv5.common.packet.UserProperty;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Parley and plain MQTT 5 clients (a raw Paho client, and {@code mosquitto_rr} where installed) call
 * each other with MQTT 5's own request/response: Response Topic and Correlation Data.
 */
class MqttInteropIT {

    private static final String URI = MqttTransportCompatibilityIT.SHARED_URI;
    private static final Duration WAIT = Duration.ofSeconds(10);

    private Broker parley;
    private MqttAsyncClient plain;
    private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
    private volatile BiConsumer<String, MqttMessage> onMessage = (topic, message) -> received.add(new Received(topic, message));

    private record Received(String topic, MqttMessage message) {
    }

    @BeforeEach
    void connect() throws MqttException {
        parley = Broker.connect(URI);
        java.net.URI parsed = java.net.URI.create(URI);
        plain = new MqttAsyncClient("tcp://" + parsed.getHost() + ":" + (parsed.getPort() < 0 ? 1883 : parsed.getPort()),
                "interop-" + UUID.randomUUID().toString().substring(0, 8), new MemoryPersistence());
        plain.setCallback(new MqttCallback() {
            @Override
            public void disconnected(MqttDisconnectResponse response) {
            }

            @Override
            public void mqttErrorOccurred(MqttException exception) {
            }

            @Override
            public void messageArrived(String topic, MqttMessage message) {
                onMessage.accept(topic, message);
            }

            @Override
            public void deliveryComplete(IMqttToken token) {
            }

            @Override
            public void connectComplete(boolean reconnect, String serverURI) {
            }

            @Override
            public void authPacketArrived(int reasonCode, MqttProperties properties) {
            }
        });
        MqttConnectionOptions options = new MqttConnectionOptions();
        options.setCleanStart(true);
        plain.connect(options).waitForCompletion(WAIT.toMillis());
    }

    @AfterEach
    void close() throws MqttException {
        if (parley != null) {
            parley.close();
        }
        if (plain != null) {
            plain.disconnect().waitForCompletion(WAIT.toMillis());
            plain.close();
        }
    }

    private static String topic(String hint) {
        return "parley-interop/" + hint + "/" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    void plainClientCallsParleyHandlerAndGetsItsCorrelationDataBack() throws Exception {
        String service = topic("greet");
        String responses = topic("responses");
        parley.subscribe(service, String.class, name -> Reply.of("Hello, " + name + "!").withHeader("x-served-by", "parley"));
        plain.subscribe(new MqttSubscription(responses, 1)).waitForCompletion(WAIT.toMillis());

        byte[] correlation = {0, (byte) 0xFF, 0x10, (byte) 0xC3, 0x28}; // not UTF-8: echoed as it is
        MqttProperties properties = new MqttProperties();
        properties.setResponseTopic(responses);
        properties.setCorrelationData(correlation);
        properties.setContentType("text/plain");
        plain.publish(service, new MqttMessage("Ada".getBytes(StandardCharsets.UTF_8), 1, false, properties))
                .waitForCompletion(WAIT.toMillis());

        Received reply = received.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertNotNull(reply, "no reply reached the plain MQTT client");
        assertEquals(responses, reply.topic());
        assertEquals("Hello, Ada!", new String(reply.message().getPayload(), StandardCharsets.UTF_8));
        assertArrayEquals(correlation, reply.message().getProperties().getCorrelationData());
        assertEquals("text/plain", reply.message().getProperties().getContentType());
        assertTrue(reply.message().getProperties().getUserProperties().contains(new UserProperty("x-served-by", "parley")));
    }

    @Test
    void parleyRequesterCallsPlainResponder() throws Exception {
        String service = topic("upper");
        onMessage = (topic, message) -> { // a plain MQTT 5 responder: echo Correlation Data, answer to Response Topic
            MqttProperties request = message.getProperties();
            MqttProperties answer = new MqttProperties();
            answer.setCorrelationData(request.getCorrelationData());
            answer.setContentType("text/plain");
            byte[] body = new String(message.getPayload(), StandardCharsets.UTF_8).toUpperCase()
                    .getBytes(StandardCharsets.UTF_8);
            try {
                plain.publish(request.getResponseTopic(), new MqttMessage(body, 1, false, answer));
            } catch (MqttException e) {
                throw new IllegalStateException(e);
            }
        };
        plain.subscribe(new MqttSubscription(service, 1)).waitForCompletion(WAIT.toMillis());

        for (int i = 0; i < 20; i++) {
            String reply = parley.rpc().request(service, "hello " + i, String.class,
                    RequestOptions.builder().timeout(WAIT).throwOnTimeout().build()).orElseThrow();
            assertEquals("HELLO " + i, reply);
        }
    }

    @Test
    void envelopeMapsOntoMqtt5Properties() throws Exception {
        String destination = topic("mapping");
        String replyTo = topic("mapping-replies");
        plain.subscribe(new MqttSubscription(destination, 1)).waitForCompletion(WAIT.toMillis());
        parley.publish(destination, Map.of("n", 1), PublishOptions.builder().replyTo(replyTo).correlationId("cid-7")
                .header("x-tenant", "caf\u00e9").build()).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);

        Received got = received.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertNotNull(got);
        MqttProperties properties = got.message().getProperties();
        assertEquals("application/json", properties.getContentType());
        assertEquals(replyTo, properties.getResponseTopic());
        assertArrayEquals("cid-7".getBytes(StandardCharsets.UTF_8), properties.getCorrelationData());
        assertEquals(List.of(new UserProperty("x-tenant", "caf\u00e9")), properties.getUserProperties());
        assertEquals(1, got.message().getQos(), "QoS 1 by default");
        assertEquals("{\"n\":1}", new String(got.message().getPayload(), StandardCharsets.UTF_8));
    }

    @Test
    void plainPublisherReachesParleyHandlerWithHeaders() throws Exception {
        String destination = topic("inbound");
        BlockingQueue<Message> seen = new LinkedBlockingQueue<>();
        parley.subscribe(destination, Message.class, message -> {
            seen.add(message);
            return null;
        });
        MqttProperties properties = new MqttProperties();
        properties.setContentType("application/json");
        properties.setUserProperties(List.of(new UserProperty("x-kind", "created")));
        plain.publish(destination, new MqttMessage("{\"a\":2}".getBytes(StandardCharsets.UTF_8), 1, false, properties))
                .waitForCompletion(WAIT.toMillis());
        Message message = seen.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertNotNull(message);
        assertEquals("created", message.header("x-kind"));
        assertEquals(Map.of("a", 2), message.body(Map.class));
        assertNotNull(message.unwrap(MqttMessage.class));
    }

    @Test
    void mosquittoRrGetsTheAnswerOfAParleyHandler() throws Exception {
        assumeTrue(PrivateMosquitto.installed("mosquitto_rr"), "mosquitto_rr is not installed");
        String service = topic("rr");
        parley.subscribe(service, String.class, name -> "Hello, " + name);
        java.net.URI parsed = java.net.URI.create(URI);
        Process rr = new ProcessBuilder("mosquitto_rr", "-V", "5", "-h", parsed.getHost(), "-p",
                Integer.toString(parsed.getPort() < 0 ? 1883 : parsed.getPort()), "-t", service, "-e", topic("rr-response"),
                "-m", "Grace", "-W", "10").redirectErrorStream(true).start();
        String output = read(rr);
        assertTrue(rr.waitFor(15, TimeUnit.SECONDS), "mosquitto_rr did not end");
        assertEquals(0, rr.exitValue(), output);
        assertEquals("Hello, Grace", output.strip());
    }

    private static String read(Process process) throws IOException {
        return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
}
