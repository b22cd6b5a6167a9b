package io.parley.transport.rabbit.internal;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import io.parley.api.ConnectionException;
import io.parley.api.MessagingException;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * One channel that publishes, guarded by its own lock (amqp-client channels must not publish from
 * two threads at once). The transport spreads sends over several of these, so no lock is global.
 * With publisher confirms, it completes each publish when the broker acknowledges it.
 */
final class SendChannel {

    final Channel channel;
    private final Object lock = new Object();
    private final boolean confirms;
    private final ConcurrentNavigableMap<Long, CompletableFuture<Void>> unconfirmed = new ConcurrentSkipListMap<>();
    private final Map<String, CompletableFuture<Void>> unconfirmedById = new ConcurrentHashMap<>();

    SendChannel(Channel channel, boolean confirms) throws IOException {
        this.channel = channel;
        this.confirms = confirms;
        if (confirms) {
            channel.confirmSelect();
            channel.addConfirmListener((tag, multiple) -> settle(tag, multiple, null),
                    (tag, multiple) -> settle(tag, multiple, new MessagingException(
                            "RabbitMQ did not accept the message (negative publisher confirm)")));
        }
    }

    /** Publishes; with confirms the returned stage completes on the broker's acknowledgement. */
    CompletableFuture<Void> publish(String exchange, String routingKey, boolean mandatory, AMQP.BasicProperties props,
                                    byte[] body, boolean confirm) throws IOException {
        if (!(confirms && confirm)) {
            synchronized (lock) {
                channel.basicPublish(exchange, routingKey, mandatory, props, body);
            }
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> confirmed = new CompletableFuture<>();
        synchronized (lock) {
            long tag = channel.getNextPublishSeqNo();
            unconfirmed.put(tag, confirmed);
            if (props.getMessageId() != null) {
                unconfirmedById.put(props.getMessageId(), confirmed);
                confirmed.whenComplete((v, e) -> unconfirmedById.remove(props.getMessageId(), confirmed));
            }
            channel.basicPublish(exchange, routingKey, mandatory, props, body);
        }
        return confirmed;
    }

    /** A mandatory message came back unroutable: its confirm must fail, not succeed. */
    void returned(String messageId, String routingKey) {
        CompletableFuture<Void> waiting = messageId == null ? null : unconfirmedById.remove(messageId);
        if (waiting != null) {
            waiting.completeExceptionally(new MessagingException("RabbitMQ returned the message to '" + routingKey
                    + "': no queue is bound for it"));
        }
    }

    /** The channel is gone: what was not confirmed will never be. */
    void failUnconfirmed(String why) {
        for (Long tag : unconfirmed.keySet()) {
            CompletableFuture<Void> future = unconfirmed.remove(tag);
            if (future != null) {
                future.completeExceptionally(new ConnectionException("No publisher confirm: " + why));
            }
        }
    }

    private void settle(long tag, boolean multiple, Exception failure) {
        ConcurrentNavigableMap<Long, CompletableFuture<Void>> done = multiple ? unconfirmed.headMap(tag, true)
                : unconfirmed.subMap(tag, true, tag, true);
        for (Long settled : done.keySet()) {
            CompletableFuture<Void> future = unconfirmed.remove(settled);
            if (future != null) {
                if (failure == null) {
                    future.complete(null);
                } else {
                    future.completeExceptionally(failure);
                }
            }
        }
    }
}
