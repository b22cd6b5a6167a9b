package io.parley.transport.rabbit.internal;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.TopologyRecoveryException;
import com.rabbitmq.client.impl.ForgivingExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.regex.Pattern;

/**
 * amqp-client's exception handler, quieter and without user names: the transport logs an outage once
 * at WARN and the recovery once at INFO, so each failed recovery attempt (every
 * {@code rabbit.recovery-interval-ms} while the broker is away) is DEBUG, not an ERROR with a stack
 * trace. amqp-client names connections and channels {@code amqp://user@host:port/vhost}: the user
 * is cut from every line.
 */
final class RabbitExceptionHandler extends ForgivingExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(RabbitExceptionHandler.class);
    private static final Pattern USER_INFO = Pattern.compile("(amqps?://)[^@/\\s]*@");

    @Override
    public void handleUnexpectedConnectionDriverException(Connection connection, Throwable exception) {
        log.debug("The RabbitMQ connection failed: {}", redact(String.valueOf(exception)));
    }

    @Override
    public void handleConnectionRecoveryException(Connection connection, Throwable exception) {
        log.debug("A recovery attempt failed, trying again: {}", redact(String.valueOf(exception)));
    }

    @Override
    public void handleChannelRecoveryException(Channel channel, Throwable exception) {
        log.warn("Could not reopen channel {} after reconnecting to RabbitMQ: {}", channel.getChannelNumber(),
                redact(String.valueOf(exception)));
    }

    @Override
    public void handleTopologyRecoveryException(Connection connection, Channel channel, TopologyRecoveryException e) {
        log.warn("Could not restore a queue, binding or consumer after reconnecting to RabbitMQ: {}",
                redact(e.getMessage() + (e.getCause() == null ? "" : " (" + e.getCause() + ")")));
    }

    @Override
    protected void log(String message, Throwable exception) {
        log.warn(redact(message), exception);
    }

    static String redact(String text) {
        return text == null ? null : USER_INFO.matcher(text).replaceAll("$1");
    }
}
