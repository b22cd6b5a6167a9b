package io.parley.benchmarks;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * amqp-client by hand, as the RabbitMQ RPC tutorial with direct reply-to: correlation ids in a map,
 * many requests in flight on one channel; the responder acks after publishing its reply.
 */
final class RabbitRawEcho extends EchoCase {

    private static final String DIRECT_REPLY_TO = "amq.rabbitmq.reply-to";

    private final String uri;

    RabbitRawEcho(String uri) {
        super("rabbit", Kind.RAW, "amqp-client, direct reply-to + correlation ids");
        this.uri = uri;
    }

    @Override
    EchoClient open() throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(uri);
        Connection serverConnection = factory.newConnection("bench-raw-server");
        Connection clientConnection = factory.newConnection("bench-raw-client");
        String queue = Uris.fresh("bench-raw");

        Channel serverChannel = serverConnection.createChannel();
        serverChannel.queueDeclare(queue, false, true, true, null);
        serverChannel.basicQos(128);
        serverChannel.basicConsume(queue, false, (tag, request) -> {
            AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
                    .correlationId(request.getProperties().getCorrelationId()).build();
            serverChannel.basicPublish("", request.getProperties().getReplyTo(), props, request.getBody());
            serverChannel.basicAck(request.getEnvelope().getDeliveryTag(), false);
        }, tag -> { });

        Map<String, CompletableFuture<String>> pending = new ConcurrentHashMap<>();
        AtomicLong ids = new AtomicLong();
        Channel clientChannel = clientConnection.createChannel();
        // Direct reply-to: consume the pseudo-queue (no-ack) on the channel that publishes the requests.
        clientChannel.basicConsume(DIRECT_REPLY_TO, true, (tag, reply) -> {
            CompletableFuture<String> future = pending.remove(reply.getProperties().getCorrelationId());
            if (future != null) {
                future.complete(new String(reply.getBody(), StandardCharsets.UTF_8));
            }
        }, tag -> { });

        return new EchoClient() {
            @Override
            public CompletableFuture<String> callAsync(String body) {
                String id = Long.toString(ids.incrementAndGet());
                CompletableFuture<String> future = new CompletableFuture<>();
                pending.put(id, future);
                AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
                        .correlationId(id).replyTo(DIRECT_REPLY_TO).build();
                try {
                    clientChannel.basicPublish("", queue, props, body.getBytes(StandardCharsets.UTF_8));
                } catch (Exception e) {
                    pending.remove(id);
                    future.completeExceptionally(e);
                }
                return future;
            }

            @Override
            public void close() throws Exception {
                clientConnection.close();
                serverConnection.close();
            }
        };
    }
}
