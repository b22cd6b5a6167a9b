package io.parley.transport.rabbit;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DeliverCallback;
import io.parley.api.Broker;
import io.parley.api.RequestOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Parley and a plain amqp-client program, each on its own side of a request (the RabbitMQ tutorial pattern). */
class RabbitInteropIT {

    private Connection plain;
    private Broker parley;
    private final String queue = "parley-it.interop." + UUID.randomUUID();

    @BeforeEach
    void connect() throws Exception {
        ConnectionFactory factory = new ConnectionFactory();
        factory.setUri(RabbitTestSupport.URI);
        plain = factory.newConnection("parley-it-plain");
        parley = Broker.connect(RabbitTestSupport.URI);
    }

    @AfterEach
    void close() throws Exception {
        parley.close();
        plain.close();
        RabbitTestSupport.deleteQueues(RabbitTestSupport.URI, List.of(queue)); // durable: it outlives its subscriber
    }

    @Test
    void plainRpcClientGetsParleyHandlersReply() throws Exception {
        parley.subscribe(queue, String.class, name -> "Hello, " + name);
        Channel channel = plain.createChannel();
        String replyQueue = channel.queueDeclare().getQueue(); // the tutorial's exclusive reply queue
        String correlationId = UUID.randomUUID().toString();
        CompletableFuture<String> reply = new CompletableFuture<>();
        channel.basicConsume(replyQueue, true, (tag, delivery) -> {
            if (correlationId.equals(delivery.getProperties().getCorrelationId())) {
                reply.complete(delivery.getProperties().getContentType() + " "
                        + new String(delivery.getBody(), StandardCharsets.UTF_8));
            }
        }, tag -> { });

        channel.basicPublish("", queue, new AMQP.BasicProperties.Builder()
                .correlationId(correlationId).replyTo(replyQueue).build(), "Ada".getBytes(StandardCharsets.UTF_8));

        assertEquals("text/plain Hello, Ada", reply.get(5, TimeUnit.SECONDS));
    }

    @Test
    void parleyRequestIsAnsweredByPlainResponder() throws Exception {
        Channel channel = plain.createChannel();
        channel.queueDeclare(queue, false, false, true, null);
        DeliverCallback echo = (tag, request) -> {
            channel.basicPublish("", request.getProperties().getReplyTo(), new AMQP.BasicProperties.Builder()
                    .correlationId(request.getProperties().getCorrelationId()).build(),
                    new String(request.getBody(), StandardCharsets.UTF_8).toUpperCase().getBytes(StandardCharsets.UTF_8));
            channel.basicAck(request.getEnvelope().getDeliveryTag(), false);
        };
        channel.basicConsume(queue, false, echo, tag -> { });

        String reply = parley.rpc().request(queue, "shout", RequestOptions.timeout(Duration.ofSeconds(5)))
                .orElseThrow().bodyAsString();

        assertEquals("SHOUT", reply);
    }

    @Test
    void fastStreamStyleReplyToWithExchangeIsHonoured() throws Exception {
        parley.subscribe(queue, String.class, name -> "Hi " + name);
        Channel channel = plain.createChannel();
        String replyQueue = channel.queueDeclare().getQueue();
        channel.queueBind(replyQueue, "amq.direct", "replies-" + replyQueue);
        CompletableFuture<String> reply = new CompletableFuture<>();
        channel.basicConsume(replyQueue, true, (tag, delivery) ->
                reply.complete(new String(delivery.getBody(), StandardCharsets.UTF_8)), tag -> { });

        // FastStream's "routing_key|exchange": publish the reply to amq.direct with that key
        channel.basicPublish("", queue, new AMQP.BasicProperties.Builder().correlationId("fs-1")
                .replyTo("replies-" + replyQueue + "|amq.direct").build(), "Bo".getBytes(StandardCharsets.UTF_8));

        assertEquals("Hi Bo", reply.get(5, TimeUnit.SECONDS));
    }
}
