package io.parley.transport.nats;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import io.parley.api.Broker;
import io.parley.api.RequestOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** Parley and a plain jnats client, each on its own side of a request. */
class NatsInteropIT {

    private Connection plain;
    private Broker parley;
    private final String subject = "parley-it.interop." + UUID.randomUUID();

    @BeforeEach
    void connect() throws Exception {
        plain = Nats.connect(NatsTestSupport.URI);
        parley = Broker.connect(NatsTestSupport.URI);
    }

    @AfterEach
    void close() throws Exception {
        parley.close();
        plain.close();
    }

    @Test
    void plainJnatsRequestGetsParleyHandlersReply() throws Exception {
        parley.subscribe(subject, String.class, name -> "Hello, " + name);

        Message reply = plain.request(subject, "Ada".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(5));

        assertNotNull(reply, "no reply within 5 s");
        assertEquals("Hello, Ada", new String(reply.getData(), StandardCharsets.UTF_8));
        assertEquals("text/plain", reply.getHeaders().getFirst("content-type"));
    }

    @Test
    void pythonStyleJsonRequestIsDecodedAndAnsweredInJson() throws Exception {
        parley.subscribe(subject, Map.class, order -> Map.of("total", ((Number) order.get("qty")).intValue() * 3));
        Headers headers = new Headers().put("content-type", "application/json").put("correlation_id", "py-1");

        Message reply = plain.request(NatsMessage.builder().subject(subject).headers(headers)
                .data("{\"qty\": 2}".getBytes(StandardCharsets.UTF_8)).build(), Duration.ofSeconds(5));

        assertNotNull(reply, "no reply within 5 s");
        assertEquals("{\"total\":6}", new String(reply.getData(), StandardCharsets.UTF_8));
        assertEquals("application/json", reply.getHeaders().getFirst("content-type"));
        assertEquals("py-1", reply.getHeaders().getFirst("correlation_id"), "the reply copies the correlation id");
    }

    @Test
    void parleyRequestIsAnsweredByPlainResponderThatCopiesNothing() throws Exception {
        Dispatcher responder = plain.createDispatcher(request ->
                plain.publish(request.getReplyTo(), new String(request.getData(), StandardCharsets.UTF_8)
                        .toUpperCase().getBytes(StandardCharsets.UTF_8)));
        responder.subscribe(subject);
        plain.flush(Duration.ofSeconds(5));

        String reply = parley.rpc().request(subject, "shout", RequestOptions.timeout(Duration.ofSeconds(5)))
                .orElseThrow().bodyAsString();

        assertEquals("SHOUT", reply);
    }

    @Test
    void parleyRequestManyEndsOnPlainRespondersEmptySentinel() throws Exception {
        Dispatcher responder = plain.createDispatcher(request -> {
            for (String part : List.of("a", "b", "c")) {
                Headers headers = new Headers().put("content-type", "text/plain");
                plain.publish(request.getReplyTo(), headers, part.getBytes(StandardCharsets.UTF_8));
            }
            plain.publish(request.getReplyTo(), new byte[0]); // ADR-47 sentinel: no payload, no headers
        });
        responder.subscribe(subject);
        plain.flush(Duration.ofSeconds(5));

        List<String> replies = parley.rpc().requestMany(subject, "go",
                        RequestOptions.builder().timeout(Duration.ofSeconds(5)).build())
                .map(message -> message.body(String.class)).toList();

        assertEquals(List.of("a", "b", "c"), replies);
    }
}
