package io.parley.transport.rabbit.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Delivery;
import com.rabbitmq.client.Envelope;
import io.parley.spi.InboundHandler;
import io.parley.spi.TransportSubscription;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One consumer on its own channel: prefetch bounds the unacknowledged messages, each is acked when
 * the core is done with it (handler finished, reply sent) or rejected without requeue when the
 * handler failed or the body could not be decoded (RabbitMQ dead-letters it if the queue has a
 * dead-letter exchange, else drops it; either way it is logged). Closing stops deliveries at once
 * and closes the channel when the messages being handled are settled.
 */
final class RabbitSubscription implements TransportSubscription {

    private static final Logger log = LoggerFactory.getLogger(RabbitSubscription.class);

    private final Channel channel;
    private final QueueSettings queue;
    private final String consumerTag;
    private final Object lock = new Object(); // acks come from handler threads
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicBoolean channelClosed = new AtomicBoolean();
    private volatile boolean closed;

    RabbitSubscription(Connection connection, QueueSettings queue, InboundHandler handler, String exchange) throws IOException {
        this.queue = queue;
        this.channel = connection.createChannel();
        try {
            channel.basicQos(queue.prefetch);
            String name = queue.name;
            if (queue.declare) {
                name = channel.queueDeclare(queue.name, queue.durable, queue.exclusive, queue.autoDelete, queue.arguments)
                        .getQueue();
            }
            if (!exchange.isEmpty()) {
                channel.queueBind(name, exchange, queue.bindingKey);
            }
            this.consumerTag = channel.basicConsume(name, false, new DefaultConsumer(channel) {
                @Override
                public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
                    deliver(handler, envelope, props, body);
                }
            });
        } catch (IOException | RuntimeException e) {
            closeChannel();
            throw e;
        }
    }

    private void deliver(InboundHandler handler, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
        inFlight.incrementAndGet();
        CompletionStage<Void> stage;
        try {
            stage = handler.onMessage(RabbitMessages.envelope(queue.destination, props, body,
                    new Delivery(envelope, props, body)));
        } catch (RuntimeException e) {
            stage = CompletableFuture.failedFuture(e);
        }
        stage.whenComplete((ignored, failure) -> settle(envelope.getDeliveryTag(), failure, props.getCorrelationId()));
    }

    private void settle(long deliveryTag, Throwable failure, String correlationId) {
        try {
            synchronized (lock) {
                if (channel.isOpen()) {
                    if (failure == null) {
                        channel.basicAck(deliveryTag, false);
                    } else {
                        channel.basicReject(deliveryTag, false);
                    }
                }
            }
            if (failure != null) {
                log.warn("Rejected a message of '{}' (correlation id {}): {}; RabbitMQ dead-letters it when the queue"
                        + " has a dead-letter exchange, else drops it", queue.destination, correlationId, failure.toString());
            }
        } catch (IOException | AlreadyClosedException e) { // unacked: RabbitMQ delivers it again (at least once)
            log.debug("Could not settle a message of '{}' ({}); RabbitMQ will deliver it again", queue.destination, e.toString());
        } finally {
            if (inFlight.decrementAndGet() == 0 && closed) {
                closeChannel();
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            synchronized (lock) {
                if (channel.isOpen()) {
                    channel.basicCancel(consumerTag);
                }
            }
        } catch (IOException | AlreadyClosedException e) {
            log.debug("Cancelling the consumer of '{}': {}", queue.destination, e.toString());
        }
        if (inFlight.get() == 0) {
            closeChannel();
        }
    }

    private void closeChannel() {
        if (channelClosed.compareAndSet(false, true)) {
            try {
                if (channel.isOpen()) {
                    channel.close();
                }
            } catch (IOException | TimeoutException | AlreadyClosedException e) {
                log.debug("Closing the channel of '{}': {}", queue.destination, e.toString());
            }
        }
    }
}
