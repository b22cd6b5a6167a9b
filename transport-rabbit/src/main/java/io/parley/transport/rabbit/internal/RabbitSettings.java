package io.parley.transport.rabbit.internal;

import io.parley.spi.BrokerAddress;
import io.parley.spi.TransportContext;
import io.parley.spi.TransportSettings;
import io.parley.transport.rabbit.RabbitProperties;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What an {@code amqp://user:password@host:port/vhost} URI and the broker's {@code rabbit.*}
 * properties ask for, checked all at once. An empty path or "/" means the default vhost "/" (as the
 * Python peers read it; amqp-client alone would read "/" as the empty vhost); "%2F" is "/" too.
 */
final class RabbitSettings {

    private static final Set<String> BROKER_KEYS = Set.of(RabbitProperties.REPLY_MODE, RabbitProperties.CHANNELS,
            RabbitProperties.PUBLISHER_CONFIRMS, RabbitProperties.PERSISTENT, RabbitProperties.EXCHANGE,
            RabbitProperties.RECOVERY_INTERVAL_MS, RabbitProperties.CONNECT_TIMEOUT_MS, RabbitProperties.CONNECTION_NAME,
            RabbitProperties.MAX_MESSAGE_SIZE, RabbitProperties.SEND_BUFFER);
    /** RabbitMQ 3.x's default max_message_size; amqp-client alone refuses inbound bodies over 64 MiB. */
    static final int DEFAULT_MAX_MESSAGE_SIZE = 128 * 1024 * 1024;
    /** The most RabbitMQ's max_message_size can be set to. */
    static final int LARGEST_MESSAGE_SIZE = 512 * 1024 * 1024;

    boolean tls;
    String host;
    int port;
    String user = "guest";
    String password = "guest";
    String vhost = "/";
    boolean directReplyTo = true;
    int channels = 4;
    boolean publisherConfirms = true;
    boolean persistent = true;
    String exchange = "";
    int recoveryIntervalMillis = 1000;
    int connectTimeoutMillis = 10_000;
    String connectionName = "parley";
    int maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE;
    int sendBuffer = 10_000;

    static RabbitSettings from(TransportContext context) {
        RabbitSettings settings = new RabbitSettings();
        List<String> problems = new ArrayList<>();
        settings.readUri(context.uri(), context.options().tls().isPresent(), problems);
        settings.readProperties(context.options().properties(), problems);
        TransportSettings.throwIfAny("RabbitMQ", context.redactedUri(), problems);
        return settings;
    }

    private void readUri(URI uri, boolean tlsOptions, List<String> problems) {
        // TlsOptions turn TLS on whatever the scheme: amqp:// with them goes to the TLS port too
        tls = tlsOptions || "amqps".equalsIgnoreCase(uri.getScheme());
        BrokerAddress address = BrokerAddress.read(uri, tls ? 5671 : 5672, "amqp://user:password@host:5672/vhost", problems);
        address.oneServer("RabbitMQ", problems);
        if (address.server() != null) {
            host = address.server().host();
            port = address.server().port();
        }
        if (address.user().isPresent()) {
            user = address.user().get();
            password = address.password().orElse("");
        }
        if (!address.path().isEmpty()) {
            vhost = address.path();
        }
        address.noQuery("use the rabbit.* properties (see the transport's README)", problems);
    }

    private void readProperties(Map<String, String> properties, List<String> problems) {
        TransportSettings.unknownKeys(properties, "rabbit.", BROKER_KEYS, List.of(), "broker property",
                "rabbit.queue.* properties go on SubscribeOptions", problems);
        String mode = properties.getOrDefault(RabbitProperties.REPLY_MODE, "direct");
        if (mode.equals("queue")) {
            directReplyTo = false;
        } else if (!mode.equals("direct")) {
            problems.add(RabbitProperties.REPLY_MODE + " must be 'direct' or 'queue', not '" + mode + "'");
        }
        channels = (int) TransportSettings.number(properties, RabbitProperties.CHANNELS, channels, 1, 64, problems);
        publisherConfirms = TransportSettings.flag(properties, RabbitProperties.PUBLISHER_CONFIRMS, publisherConfirms, problems);
        persistent = TransportSettings.flag(properties, RabbitProperties.PERSISTENT, persistent, problems);
        exchange = properties.getOrDefault(RabbitProperties.EXCHANGE, "");
        recoveryIntervalMillis = (int) TransportSettings.number(properties, RabbitProperties.RECOVERY_INTERVAL_MS, recoveryIntervalMillis, 1,
                Integer.MAX_VALUE, problems);
        connectTimeoutMillis = (int) TransportSettings.number(properties, RabbitProperties.CONNECT_TIMEOUT_MS, connectTimeoutMillis, 1,
                Integer.MAX_VALUE, problems);
        connectionName = properties.getOrDefault(RabbitProperties.CONNECTION_NAME, connectionName);
        maxMessageSize = (int) TransportSettings.number(properties, RabbitProperties.MAX_MESSAGE_SIZE, maxMessageSize, 1,
                LARGEST_MESSAGE_SIZE, problems);
        sendBuffer = (int) TransportSettings.number(properties, RabbitProperties.SEND_BUFFER, sendBuffer, 1, 1_000_000, problems);
    }
}
