package io.parley.internal;

import io.parley.api.Broker;
import io.parley.api.CodecException;
import io.parley.api.Message;
import io.parley.fakes.ScriptedTransportProvider;
import io.parley.fakes.ScriptedTransportProvider.Scripted;
import io.parley.spi.Envelope;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A message the transport could not read (Envelope.problem) never reaches the handler; the core answers and fails it. */
class UnreadableMessageTest {

    @Test
    void unreadableRequestGetsA400AndFailsItsStageWithoutRunningTheHandler() throws Exception {
        String name = "unreadable-" + UUID.randomUUID();
        try (Broker broker = Broker.connect("scripted://" + name)) {
            AtomicInteger handled = new AtomicInteger();
            broker.subscribe("orders", Message.class, message -> handled.incrementAndGet());
            Scripted transport = ScriptedTransportProvider.get(name);

            CompletableFuture<Void> stage = transport.deliver(Envelope.builder("orders")
                    .body(new byte[] {(byte) 0xC3, 0x28}).replyTo("answers").correlationId("c-1")
                    .position("offset 41").problem("header 'x-a' is not UTF-8").build()).toCompletableFuture();

            ExecutionException failure = assertThrows(ExecutionException.class, () -> stage.get(5, TimeUnit.SECONDS));
            assertInstanceOf(CodecException.class, failure.getCause());
            Envelope reply = transport.sent.poll(5, TimeUnit.SECONDS);
            assertNotNull(reply, "an error reply to the reply-to");
            assertEquals("answers", reply.destination());
            assertEquals("c-1", reply.correlationId());
            assertEquals("400", reply.headers().get(Envelope.ERROR_CODE));
            assertTrue(reply.headers().get(Envelope.ERROR).startsWith("the request could not be read or decoded (error id "),
                    reply.headers().get(Envelope.ERROR)); // what was wrong stays in the responder's log
            assertEquals(0, handled.get(), "the handler never sees an unreadable message");

            // without reply-to: nothing is sent, the stage still fails, and the subscription goes on
            CompletableFuture<Void> oneWay = transport.deliver(Envelope.builder("orders").problem("truncated")
                    .build()).toCompletableFuture();
            assertThrows(ExecutionException.class, () -> oneWay.get(5, TimeUnit.SECONDS));
            transport.deliver(Envelope.builder("orders").body("fine".getBytes(StandardCharsets.UTF_8)).build())
                    .toCompletableFuture().get(5, TimeUnit.SECONDS);
            assertEquals(1, handled.get());
            assertNull(transport.sent.poll());
        }
    }

    @Test
    void unreadableReplyFailsItsRequestAtOnceWithCode502() throws Exception {
        String name = "unreadable-reply-" + UUID.randomUUID();
        try (Broker broker = Broker.connect("scripted://" + name)) {
            Scripted transport = ScriptedTransportProvider.get(name);
            CompletableFuture<Message> reply = broker.rpc().requestAsync("orders", "get",
                    io.parley.api.RequestOptions.timeout(java.time.Duration.ofSeconds(30)));
            Envelope request = transport.sent.poll(5, TimeUnit.SECONDS);
            assertNotNull(request);
            assertEquals(java.time.Duration.ofSeconds(30), request.timeToLive(), "a request says how long it is wanted");
            transport.replies().onReply(Envelope.builder("inbox").correlationId(request.correlationId())
                    .body("looks like an answer".getBytes(StandardCharsets.UTF_8)).problem("header block truncated").build());

            ExecutionException failure = assertThrows(ExecutionException.class, () -> reply.get(1, TimeUnit.SECONDS));
            io.parley.api.RemoteHandlerException remote = assertInstanceOf(io.parley.api.RemoteHandlerException.class,
                    failure.getCause());
            assertEquals(502, remote.code());
            assertTrue(remote.remoteMessage().contains("header block truncated"), remote.remoteMessage());
            assertEquals(0, broker.rpc().pendingRequests());
        }
    }
}
