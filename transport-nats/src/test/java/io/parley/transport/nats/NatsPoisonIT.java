package io.parley.transport.nats;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.ErrorListener;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.Subscription;
import io.parley.api.Broker;
import io.parley.api.RemoteHandlerException;
import io.parley.api.RequestOptions;
import io.parley.tck.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Header blocks jnats cannot read, from a raw publisher, in the details the kit's rule 10.06 does not
 * look at: what the handler and the sender of a bad message get, a bad reply, and that the poisons
 * really do silence a plain jnats connection.
 */
class NatsPoisonIT {

    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final String NOT_UTF8 = "a header value that is not UTF-8 (C3 28 FF FE)";
    private static final String UTF8 = "a header value in UTF-8 that is not ASCII (as nats-py and nats.go send it)";

    private final NatsRawSender raw = new NatsRawSender(NatsTestSupport.URI);
    private final String subject = "parley-it.poison." + UUID.randomUUID();
    private Broker parley;
    private Connection plain;

    @BeforeEach
    void connect() throws Exception {
        parley = Broker.connect(NatsTestSupport.URI);
        plain = Nats.connect(NatsTestSupport.URI);
    }

    @AfterEach
    void close() throws Exception {
        parley.close();
        plain.close();
    }

    @Test
    void aUtf8HeaderValueFromAnotherClientArrivesIntact() throws Exception {
        AtomicReference<Map<String, String>> headers = new AtomicReference<>();
        parley.subscribe(subject, io.parley.api.Message.class, message -> {
            headers.set(message.headers());
            return "seen";
        });
        Subscription answers = plain.subscribe(plain.createInbox());
        plain.flush(WAIT);

        raw.send(UTF8, subject, answers.getSubject(), "id-utf8");

        Message answer = answers.nextMessage(WAIT);
        assertNotNull(answer, "no answer");
        assertEquals("seen", new String(answer.getData(), StandardCharsets.UTF_8));
        assertEquals("id-utf8", answer.getHeaders().getFirst("correlation_id"));
        assertEquals("caf\u00e9 \u00fcber", headers.get().get("x-name"));
    }

    @Test
    void anUnreadableMessageIsAnsweredWithAnErrorAndNeverHandled() throws Exception {
        AtomicInteger handled = new AtomicInteger();
        parley.subscribe(subject, String.class, body -> {
            handled.incrementAndGet();
            return "handled " + body;
        });
        Subscription answers = plain.subscribe(plain.createInbox());
        plain.flush(WAIT);

        raw.send(NOT_UTF8, subject, answers.getSubject(), "id-bad");

        Message answer = answers.nextMessage(WAIT);
        assertNotNull(answer, "no error reply");
        assertEquals("400", answer.getHeaders().getFirst("Nats-Service-Error-Code"));
        assertEquals("id-bad", answer.getHeaders().getFirst("correlation_id"));
        String error = answer.getHeaders().getFirst("Nats-Service-Error");
        assertTrue(error.startsWith("the request could not be read or decoded (error id "), error);
        assertEquals(Optional.of("handled next"), parley.rpc().request(subject, "next", String.class,
                RequestOptions.timeout(WAIT)), "the subscription goes on");
        assertEquals(1, handled.get(), "the bad message never reached the handler");
        assertEquals(null, answers.nextMessage(Duration.ofMillis(200)), "answered once");
    }

    @Test
    void anUnreadableReplyFailsItsRequestAtOnce() throws Exception {
        Dispatcher responder = plain.createDispatcher(request -> {
            try {
                if (new String(request.getData(), StandardCharsets.UTF_8).equals("poison")) {
                    raw.publish(request.getReplyTo(), null, ("NATS/1.0\r\nx: \u00ff\u00fe\r\n\r\n")
                            .getBytes(StandardCharsets.ISO_8859_1), "not for you".getBytes(StandardCharsets.UTF_8));
                } else {
                    plain.publish(request.getReplyTo(), request.getData());
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        responder.subscribe(subject);
        plain.flush(WAIT);

        long start = System.nanoTime();
        RemoteHandlerException failure = assertThrows(RemoteHandlerException.class, () -> parley.rpc()
                .request(subject, "poison", RequestOptions.timeout(Duration.ofSeconds(30))));
        long took = (System.nanoTime() - start) / 1_000_000;

        assertEquals(502, failure.code());
        assertTrue(failure.remoteMessage().contains("the reply could not be read"), failure.remoteMessage());
        assertTrue(took < 5_000, "took " + took + " ms, as if it had waited for its timeout");
        assertEquals("fine", parley.rpc().request(subject, "fine", RequestOptions.timeout(WAIT)).orElseThrow()
                .bodyAsString(), "the reply subscription goes on");
    }

    /**
     * The reason for the guard: without it one such message ends jnats' reader thread and the
     * connection, still CONNECTED, hears nothing more (not even the PONG of a flush). Should a jnats
     * release stop doing that, this test fails and says so.
     */
    @Test
    void aPlainJnatsConnectionGoesDeafAndAGuardedOneDoesNot() throws Exception {
        ErrorListener quiet = new ErrorListener() { // jnats would log the dead reader at close (java.util.logging)
        };
        try (Connection unguarded = Nats.connect(new Options.Builder().server(NatsTestSupport.URI).errorListener(quiet).build());
             Connection guarded = Nats.connect(new Options.Builder().server(NatsTestSupport.URI)
                     .dataPortType("io.parley.transport.nats.internal.GuardedDataPort").build())) {
            Subscription deaf = unguarded.subscribe(subject);
            Subscription hearing = guarded.subscribe(subject);
            unguarded.flush(WAIT);
            guarded.flush(WAIT);

            raw.send(NOT_UTF8, subject, null, "id-1");
            plain.publish(subject, "after".getBytes(StandardCharsets.UTF_8));

            Message first = hearing.nextMessage(WAIT);
            assertNotNull(first);
            assertTrue(first.getHeaders().containsKey("Parley-Unreadable"));
            assertEquals("after", new String(hearing.nextMessage(WAIT).getData(), StandardCharsets.UTF_8));
            guarded.flush(WAIT);
            Await.until("the unguarded connection still says CONNECTED", WAIT,
                    () -> unguarded.getStatus() == Connection.Status.CONNECTED);
            assertThrows(TimeoutException.class, () -> unguarded.flush(Duration.ofSeconds(2)),
                    "jnats " + Nats.CLIENT_VERSION + " read past a header block it cannot parse: the guard may no"
                            + " longer be needed");
            assertEquals(null, deaf.nextMessage(Duration.ofMillis(100)));
        }
    }
}
