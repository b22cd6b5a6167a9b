package io.parley.transport.rabbit.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.AlreadyClosedException;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Delivery;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.impl.recovery.AutorecoveringConnection;
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
 * handler failed, or the message could not be read or decoded (RabbitMQ dead-letters it if the queue
 * has a dead-letter exchange, else drops it; the core has logged it): a bad message is never
 * delivered again for ever. Closing stops deliveries at once, returns the messages the handlers had
 * not started to the queue, and closes the channel when the messages being handled are settled.
 * Delivery is at least once: a message whose ack was lost (the connection dropped, or the broker died
 * before it wrote the ack of a persistent message to disk) comes again, flagged redelivered.
 */
final class RabbitSubscription implements TransportSubscription {

    private static final Logger log = LoggerFactory.getLogger(RabbitSubscription.class);

    private final Connection connection;
    private final Channel channel;
    private final QueueSettings queue;
    private final String queueName;
    private final String consumerTag;
    private final Object lock = new Object(); // acks come from handler threads
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicBoolean channelClosed = new AtomicBoolean();
    private volatile boolean closed;

    RabbitSubscription(Connection connection, QueueSettings queue, InboundHandler handler, String exchange) throws IOException {
        this.connection = connection;
        this.queue = queue;
        this.channel = connection.createChannel();
        try {
            channel.basicQos(queue.prefetch);
            String name = queue.name;
            if (queue.declare) { // amqp-client records it, to declare it again after a reconnect
                name = channel.queueDeclare(queue.name, queue.durable, queue.exclusive, queue.autoDelete, queue.arguments)
                        .getQueue();
            }
            if (!exchange.isEmpty()) {
                channel.queueBind(name, exchange, queue.bindingKey);
            }
            this.queueName = name;
            this.consumerTag = channel.basicConsume(name, false, new DefaultConsumer(channel) {
                @Override
                public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
                    deliver(handler, envelope, props, body);
                }

                @Override
                public void handleCancel(String tag) {
                    // the broker cancels a consumer whose queue was deleted: nothing arrives any more
                    log.warn("RabbitMQ cancelled the subscription to '{}' (queue '{}' was deleted?); subscribe again"
                            + " to receive", queue.destination, queue.name);
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
                    new Delivery(envelope, props, body), RabbitMessages.position(envelope.getDeliveryTag(),
                            envelope.isRedeliver(), props)));
        } catch (RuntimeException e) {
            stage = CompletableFuture.failedFuture(e);
        }
        // refused before any handler saw it: the subscription was closing (a reply that failed later,
        // with the same exception, belongs to a message that was handled)
        boolean refusedAtOnce = stage instanceof CompletableFuture<?> future && future.isCompletedExceptionally();
        stage.whenComplete((ignored, failure) -> {
            boolean unhandled = refusedAtOnce && InboundHandler.notHandled(failure);
            settle(envelope.getDeliveryTag(), failure, unhandled, props.getCorrelationId());
        });
    }

    /** Acks, or rejects a failed message; one the handler never got ({@code unhandled}) goes back to the queue. */
    private void settle(long deliveryTag, Throwable failure, boolean unhandled, String correlationId) {
        try {
            synchronized (lock) {
                if (channel.isOpen()) {
                    if (failure == null) {
                        channel.basicAck(deliveryTag, false);
                    } else {
                        channel.basicReject(deliveryTag, unhandled);
                    }
                }
            }
            if (unhandled) {
                log.debug("Returned a message of '{}' to its queue unhandled (delivery tag {}): the subscription closed",
                        queue.destination, deliveryTag);
            } else if (failure != null) { // the core has logged why, once, at WARN
                log.debug("Rejected a message of '{}' (delivery tag {}, correlation id {}): {}; RabbitMQ dead-letters it"
                        + " when the queue has a dead-letter exchange, else drops it", queue.destination, deliveryTag,
                        correlationId, failure.toString());
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
        if (connection instanceof AutorecoveringConnection recovering) {
            // the queue stays on the broker (durable), but this connection no longer declares it after
            // a reconnect, on a channel that is gone, unless another subscription of it consumes it
            recovering.excludeQueueFromRecovery(queueName, true);
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
