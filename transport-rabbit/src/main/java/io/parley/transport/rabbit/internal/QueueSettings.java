package io.parley.transport.rabbit.internal;

import com.rabbitmq.client.ShutdownSignalException;
import io.parley.api.ConfigurationException;
import io.parley.api.ConnectionException;
import io.parley.api.MessagingException;
import io.parley.api.SubscribeOptions;
import io.parley.spi.TransportSettings;
import io.parley.transport.rabbit.RabbitProperties;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The queue a subscription consumes, from its destination, group and {@code rabbit.queue.*}
 * properties. On the default exchange the destination IS the queue (as FastStream and Propan name
 * it), so every subscriber of a destination competes for its messages. With a named exchange, each
 * group gets the queue {@code <destination>.<group>} and a subscriber without group a private one,
 * each bound with the destination as key: every group and every group-less subscriber gets each message.
 * Named queues are durable and never deleted by default, so that no message waits in vain for a
 * member that died; a group-less subscriber's private queue goes with it.
 */
final class QueueSettings {

    private static final Set<String> KEYS = Set.of(RabbitProperties.QUEUE_DURABLE, RabbitProperties.QUEUE_AUTO_DELETE,
            RabbitProperties.QUEUE_EXCLUSIVE, RabbitProperties.QUEUE_DECLARE, RabbitProperties.QUEUE_BINDING_KEY,
            RabbitProperties.QUEUE_PREFETCH);

    final String destination;
    final String name;
    final boolean durable;
    final boolean autoDelete;
    final boolean exclusive;
    final boolean declare;
    final Map<String, Object> arguments;
    final String bindingKey;
    final int prefetch;

    private QueueSettings(String destination, String name, boolean durable, boolean autoDelete, boolean exclusive,
                          boolean declare, Map<String, Object> arguments, String bindingKey, int prefetch) {
        this.destination = destination;
        this.name = name;
        this.durable = durable;
        this.autoDelete = autoDelete;
        this.exclusive = exclusive;
        this.declare = declare;
        this.arguments = arguments;
        this.bindingKey = bindingKey;
        this.prefetch = prefetch;
    }

    static QueueSettings from(String destination, SubscribeOptions options, String exchange, int concurrency) {
        Map<String, String> properties = options.properties();
        List<String> problems = new ArrayList<>();
        Map<String, Object> arguments = new HashMap<>();
        TransportSettings.unknownKeys(properties, "rabbit.", KEYS, List.of(RabbitProperties.QUEUE_ARGUMENT_PREFIX),
                "subscription property", "", problems);
        for (Map.Entry<String, String> entry : properties.entrySet()) {
            String key = entry.getKey();
            if (key.startsWith(RabbitProperties.QUEUE_ARGUMENT_PREFIX)) {
                arguments.put(key.substring(RabbitProperties.QUEUE_ARGUMENT_PREFIX.length()), argument(entry.getValue()));
            }
        }
        // a named queue outlives its consumers (a member that dies leaves its work to the next one) and,
        // durable, a broker restart: the safe default, as Spring AMQP's; FastStream's are not durable
        boolean durable = TransportSettings.flag(properties, RabbitProperties.QUEUE_DURABLE, true, problems);
        boolean autoDelete = TransportSettings.flag(properties, RabbitProperties.QUEUE_AUTO_DELETE, false, problems);
        boolean exclusive = TransportSettings.flag(properties, RabbitProperties.QUEUE_EXCLUSIVE, false, problems);
        boolean declare = TransportSettings.flag(properties, RabbitProperties.QUEUE_DECLARE, true, problems);
        int prefetch = (int) TransportSettings.number(properties, RabbitProperties.QUEUE_PREFETCH, concurrency, 1, 65_535, problems);
        String bindingKey = properties.getOrDefault(RabbitProperties.QUEUE_BINDING_KEY, destination);
        if (exchange.isEmpty() && properties.containsKey(RabbitProperties.QUEUE_BINDING_KEY)) {
            problems.add(RabbitProperties.QUEUE_BINDING_KEY + " needs the broker property " + RabbitProperties.EXCHANGE);
        }
        if (!problems.isEmpty()) {
            throw new ConfigurationException("Cannot subscribe to '" + destination + "' on RabbitMQ: "
                    + String.join("; ", problems), problems);
        }
        String name = destination;
        if (!exchange.isEmpty()) {
            if (options.group().isPresent()) {
                name = destination + "." + options.group().get();
            } else { // a private, server-named queue for this subscriber alone: nobody else could resume it
                name = "";
                durable = false;
                exclusive = true;
                autoDelete = true;
                declare = true;
            }
        }
        return new QueueSettings(destination, name, durable, autoDelete, exclusive, declare, Map.copyOf(arguments),
                bindingKey, prefetch);
    }

    /** Queue arguments are typed in AMQP (x-message-ttl is a number): whole numbers and booleans become such. */
    private static Object argument(String value) {
        try {
            return Long.parseLong(value.strip());
        } catch (NumberFormatException notANumber) {
            return value.equalsIgnoreCase("true") || value.equalsIgnoreCase("false") ? Boolean.parseBoolean(value) : value;
        }
    }

    /** A typed error for a failed declare, bind or consume. */
    MessagingException failure(IOException e, String redactedUri) {
        String reason = e.getCause() instanceof ShutdownSignalException signal ? signal.getMessage() : e.getMessage();
        String text = reason == null ? e.toString() : reason;
        if (text.contains("PRECONDITION_FAILED")) {
            return new ConfigurationException("Queue '" + name + "' exists on " + redactedUri + " with other settings ("
                    + text + "); Parley declared it durable=" + durable + ", auto-delete=" + autoDelete + ", exclusive="
                    + exclusive + ", arguments " + arguments.keySet() + ": subscribe with the rabbit.queue.* properties"
                    + " of the existing queue (rabbit.queue.durable, rabbit.queue.auto-delete, rabbit.queue.argument.*),"
                    + " set rabbit.queue.declare=false to use it as it is, or delete it", e);
        }
        if (text.contains("NOT_FOUND")) {
            return new ConfigurationException("Queue '" + name + "' does not exist on " + redactedUri + " (" + text
                    + "); let Parley declare it (rabbit.queue.declare=true)", e);
        }
        if (text.contains("RESOURCE_LOCKED") || text.contains("ACCESS_REFUSED")) {
            return new ConfigurationException("Queue '" + name + "' on " + redactedUri + " cannot be used (" + text
                    + "); it is exclusive to another connection, or the user lacks the permission", e);
        }
        return new ConnectionException("Cannot subscribe to '" + destination + "' on RabbitMQ at " + redactedUri
                + " (" + text + ")", e);
    }
}
