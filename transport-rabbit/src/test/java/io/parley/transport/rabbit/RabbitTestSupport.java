package io.parley.transport.rabbit;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.parley.api.BrokerOptions;
import io.parley.tck.KitEnvironment;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.UUID;

/** Where the tests' RabbitMQ is, and small helpers shared by the ITs. */
final class RabbitTestSupport {

    /** The shared broker: PARLEY_RABBIT_URI, or the one scripts/test.sh makes sure of. */
    static final String URI = System.getenv().getOrDefault("PARLEY_RABBIT_URI", "amqp://guest:guest@127.0.0.1:5672");

    /** The groups the kit subscribes with: on a named exchange each has a queue {@code <destination>.<group>}. */
    private static final List<String> KIT_GROUPS = List.of("workers", "a", "b");

    private RabbitTestSupport() {
    }

    /**
     * Deletes these queues from the broker at {@code uri}, whether they exist or not: Parley's queues
     * are durable and outlive the tests that made them.
     */
    static void deleteQueues(String uri, Collection<String> queues) {
        if (queues.isEmpty()) {
            return;
        }
        ConnectionFactory factory = new ConnectionFactory();
        try {
            factory.setUri(uri);
            try (Connection connection = factory.newConnection("parley-it-cleanup")) {
                Channel channel = connection.createChannel();
                for (String queue : queues) {
                    channel.queueDelete(queue); // deleting a queue that does not exist is fine
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException("Could not delete the test queues " + queues + " at the shared RabbitMQ", e);
        }
    }

    /**
     * The kit's environment for the shared broker with these options: the fault rules on the private
     * node, bad input from {@link RabbitRawSender}, a password the private node refuses, the private
     * node's TLS listener for the TLS rules, the shared broker's max_message_size (RabbitMQ's default,
     * 128 MiB, which the transport checks before sending), and the queues each test used deleted after it.
     */
    static KitEnvironment.Builder kit(BrokerOptions options) {
        RabbitNode node;
        try {
            node = RabbitNode.get();
        } catch (Exception e) {
            throw new IllegalStateException("cannot start a private RabbitMQ node for the fault rules"
                    + " (rabbitmq-server must be installed: apt-get install rabbitmq-server)", e);
        }
        String wrong = "refused-" + UUID.randomUUID().toString().substring(0, 8);
        String exchange = options.properties().getOrDefault(RabbitProperties.EXCHANGE, "");
        return withCleanup(KitEnvironment.builder(URI, "rabbit").options(options)
                .brokerControl(node.control())
                .rawSender(new RabbitRawSender(URI, exchange))
                .refusedLogin(node.uriWithWrongPassword(wrong), options, wrong)
                .bodyLimit(128L * 1024 * 1024)
                .tls(node.tlsUri(), node.tlsUriByOtherName(), node.certificates()));
    }

    /**
     * The kit's cleanup: deletes the queues of the destinations a test used on the shared broker, the
     * destination's own queue (default exchange) and the kit's group queues (named exchange).
     */
    static KitEnvironment.Builder withCleanup(KitEnvironment.Builder builder) {
        return builder.cleanup(destinations -> {
            List<String> queues = new ArrayList<>();
            for (String destination : destinations) {
                queues.add(destination);
                KIT_GROUPS.forEach(group -> queues.add(destination + "." + group));
            }
            deleteQueues(URI, queues);
        });
    }
}
