package io.parley.transport.nats.internal;

import io.parley.api.ConfigurationException;
import io.parley.spi.TransportContext;
import io.parley.spi.TransportSettings;
import io.parley.transport.nats.NatsProperties;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a {@code nats://} or {@code tls://} URI and the {@code nats.*} properties ask for, checked
 * all at once: {@code nats://[user:password@|token@]host[:port][,host[:port]...]}.
 */
final class NatsSettings {

    private static final Set<String> KNOWN = Set.of(NatsProperties.USER, NatsProperties.PASSWORD, NatsProperties.TOKEN,
            NatsProperties.CONNECTION_NAME, NatsProperties.CONNECT_TIMEOUT_MS, NatsProperties.RECONNECT_WAIT_MS,
            NatsProperties.MAX_RECONNECTS, NatsProperties.RECONNECT_BUFFER_BYTES);

    final List<String> servers = new ArrayList<>();
    String user;
    char[] password;
    char[] token;
    String connectionName = "parley";
    Duration connectTimeout = Duration.ofSeconds(5);
    Duration reconnectWait = Duration.ofMillis(250);
    int maxReconnects = -1;
    long reconnectBufferBytes = 8L * 1024 * 1024;

    static NatsSettings from(TransportContext context) {
        NatsSettings settings = new NatsSettings();
        List<String> problems = new ArrayList<>();
        settings.readUri(context.uri(), problems);
        settings.readProperties(context.options().properties(), problems);
        if (!problems.isEmpty()) {
            throw new ConfigurationException("Cannot use NATS URI " + context.redactedUri() + ": "
                    + String.join("; ", problems), problems);
        }
        return settings;
    }

    private void readUri(URI uri, List<String> problems) {
        String scheme = uri.getScheme();
        String authority = uri.getRawAuthority();
        if (authority == null || authority.isBlank()) {
            problems.add("no host: write nats://host:4222 (several servers: nats://host1:4222,host2:4222)");
            return;
        }
        int at = authority.lastIndexOf('@');
        if (at >= 0) {
            String userInfo = authority.substring(0, at);
            int colon = userInfo.indexOf(':');
            if (colon >= 0) {
                user = TransportSettings.percentDecode(userInfo.substring(0, colon));
                password = TransportSettings.percentDecode(userInfo.substring(colon + 1)).toCharArray();
            } else {
                token = TransportSettings.percentDecode(userInfo).toCharArray();
            }
            authority = authority.substring(at + 1);
        }
        for (String hostPort : authority.split(",")) {
            String trimmed = hostPort.strip();
            if (trimmed.isEmpty()) {
                problems.add("an empty server in the server list");
                continue;
            }
            int colon = trimmed.lastIndexOf(':');
            if (colon >= 0 && !trimmed.endsWith("]")) {
                try {
                    int port = Integer.parseInt(trimmed.substring(colon + 1));
                    if (port < 1 || port > 65535) {
                        problems.add("port " + port + " of server " + (servers.size() + 1) + " is out of range");
                    }
                } catch (NumberFormatException e) {
                    problems.add("server " + (servers.size() + 1) + " has a port that is not a number");
                }
            } else {
                trimmed = trimmed + ":4222";
            }
            servers.add(scheme + "://" + trimmed);
        }
        if (uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/")) {
            problems.add("a NATS URI has no path; remove '" + uri.getRawPath() + "'");
        }
        if (uri.getRawQuery() != null) {
            problems.add("query parameters are not read; use the nats.* properties (see the transport's README)");
        }
    }

    private void readProperties(Map<String, String> properties, List<String> problems) {
        for (Map.Entry<String, String> entry : properties.entrySet()) {
            String key = entry.getKey();
            if (key.startsWith("nats.") && !KNOWN.contains(key)) {
                problems.add("unknown property " + key + "; known: " + String.join(", ", KNOWN.stream().sorted().toList()));
            }
        }
        if (properties.containsKey(NatsProperties.USER)) {
            user = properties.get(NatsProperties.USER);
        }
        if (properties.containsKey(NatsProperties.PASSWORD)) {
            password = properties.get(NatsProperties.PASSWORD).toCharArray();
        }
        if (properties.containsKey(NatsProperties.TOKEN)) {
            token = properties.get(NatsProperties.TOKEN).toCharArray();
        }
        if (token != null && user != null) {
            problems.add("both a token and a user are given; use one");
        }
        if (user != null && password == null) {
            problems.add("a user without a password");
        }
        connectionName = properties.getOrDefault(NatsProperties.CONNECTION_NAME, connectionName);
        connectTimeout = Duration.ofMillis(TransportSettings.number(properties, NatsProperties.CONNECT_TIMEOUT_MS, connectTimeout.toMillis(), 1, Integer.MAX_VALUE, problems));
        reconnectWait = Duration.ofMillis(TransportSettings.number(properties, NatsProperties.RECONNECT_WAIT_MS, reconnectWait.toMillis(), 0, Integer.MAX_VALUE, problems));
        maxReconnects = (int) TransportSettings.number(properties, NatsProperties.MAX_RECONNECTS, maxReconnects, -1, Integer.MAX_VALUE, problems);
        reconnectBufferBytes = TransportSettings.number(properties, NatsProperties.RECONNECT_BUFFER_BYTES, reconnectBufferBytes, 0, Integer.MAX_VALUE, problems);
    }
}
