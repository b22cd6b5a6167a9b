package io.parley.transport.redis.internal;

import io.parley.api.BrokerOptions;
import io.parley.spi.TlsSupport;
import io.parley.spi.BrokerAddress;
import io.parley.spi.TransportSettings;
import io.parley.api.ConfigurationException;
import io.parley.transport.redis.RedisProperties;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.DefaultJedisSocketFactory;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.JedisSocketFactory;

import javax.net.ssl.SSLContext;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Everything the transport reads from the URI and the broker's properties, checked at once. */
final class RedisSettings {

    static final int DEFAULT_PORT = 6379;

    private static final Set<String> KNOWN = Set.of(RedisProperties.ENVELOPE, RedisProperties.POOL_SIZE,
            RedisProperties.SEND_LANES, RedisProperties.SEND_QUEUE,
            RedisProperties.TIMEOUT_MS, RedisProperties.RECONNECT_MAX_BACKOFF_MS, RedisProperties.KEEPALIVE_MS,
            RedisProperties.CHANNEL_CLAIM_TTL_MS,
            RedisProperties.STREAM_CLAIM_IDLE_MS, RedisProperties.STREAM_MAXLEN);

    final HostAndPort address;
    final String user;
    final String password;
    final int database;
    /** TLS: a {@code rediss://} URI or {@link BrokerOptions#tls()}. */
    final boolean tls;
    final EnvelopeFormat envelope;
    final int poolSize;
    final int sendLanes;
    final int sendQueue;
    final int timeoutMillis;
    final long reconnectMaxBackoffMillis;
    final long keepAliveMillis;
    final long channelClaimTtlMillis;
    final long streamClaimIdleMillis;
    final long streamMaxLen;
    /** Opens every connection of the transport, over TLS when {@link #tls}. */
    final JedisSocketFactory sockets;

    private RedisSettings(Builder b) {
        this.address = new HostAndPort(b.host, b.port);
        this.user = b.user;
        this.password = b.password;
        this.database = b.database;
        this.tls = b.tls;
        this.envelope = b.envelope;
        this.poolSize = (int) b.poolSize;
        this.sendLanes = (int) b.sendLanes;
        this.sendQueue = (int) b.sendQueue;
        this.timeoutMillis = (int) b.timeoutMillis;
        this.reconnectMaxBackoffMillis = b.reconnectMaxBackoffMillis;
        this.keepAliveMillis = b.keepAliveMillis;
        this.channelClaimTtlMillis = b.channelClaimTtlMillis;
        this.streamClaimIdleMillis = b.streamClaimIdleMillis;
        this.streamMaxLen = b.streamMaxLen;
        JedisClientConfig tcp = DefaultJedisClientConfig.builder().connectionTimeoutMillis(timeoutMillis)
                .socketTimeoutMillis(timeoutMillis).build();
        this.sockets = b.sslContext == null ? new DefaultJedisSocketFactory(address, tcp)
                : new TlsSocketFactory(address, tcp, b.sslContext, b.verifyHostname);
    }

    /** A new connection named {@code clientName}, over TLS when the settings say so. */
    Jedis connect(String clientName) {
        return new Jedis(sockets, clientConfig(clientName));
    }

    /** Connection settings for a client named {@code clientName} (visible in CLIENT LIST). */
    JedisClientConfig clientConfig(String clientName) {
        // CLIENT SETNAME refuses spaces and newlines, which a destination name may hold
        String safeName = clientName.replaceAll("[^!-~]", "_");
        // no protocol: no HELLO, so the server's RESP2 (the raw stream replies are parsed in that shape),
        // and the credentials go as AUTH [user] password, which Redis refuses when the password is wrong,
        // or when the URI gives one that a server without passwords does not expect (HELLO 2 AUTH would
        // let any password in as the default user: a misconfiguration nobody would see)
        DefaultJedisClientConfig.Builder config = DefaultJedisClientConfig.builder()
                .connectionTimeoutMillis(timeoutMillis)
                .socketTimeoutMillis(timeoutMillis)
                .database(database)
                .autoNegotiateProtocol(false) // what jedis does anyway, with a WARN per connection
                .clientName(safeName); // TLS is the socket factory's (sockets), with the options' context
        if (password != null) {
            config.user(user).password(password);
        }
        return config.build();
    }

    /**
     * Reads {@code redis://[user:password@]host[:port][/db]} (or {@code rediss://} for TLS), the
     * {@code redis.*} properties and the TLS options: given, they turn TLS on whatever the scheme;
     * {@code rediss://} without them uses the JVM's default context. Host names are verified unless
     * the options turn that off.
     *
     * @throws ConfigurationException listing every problem; it never holds the password
     */
    static RedisSettings parse(URI uri, String redactedUri, BrokerOptions options) {
        Map<String, String> properties = options.properties();
        List<String> problems = new ArrayList<>();
        Builder b = new Builder();
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("redis") && !scheme.equals("rediss")) {
            problems.add("the scheme must be redis or rediss, was '" + scheme + "'");
        }
        b.tls = scheme.equals("rediss") || options.tls().isPresent();
        BrokerAddress address = BrokerAddress.read(uri, DEFAULT_PORT, "redis://host:6379/0", problems);
        address.oneServer("Redis", problems);
        if (address.server() != null) {
            b.host = address.server().host();
            b.port = address.server().port();
        }
        if (address.user().isPresent()) {
            if (address.password().isEmpty()) {
                problems.add("the user info has no password (expected user:password@ or :password@)");
            } else {
                b.user = address.user().get().isEmpty() ? null : address.user().get();
                b.password = address.password().get();
            }
        }
        if (!address.path().isEmpty()) {
            try {
                b.database = Integer.parseInt(address.path());
                if (b.database < 0) {
                    problems.add("the database number must not be negative, was " + b.database);
                }
            } catch (NumberFormatException e) {
                problems.add("the path must be a database number such as /0, was '/" + address.path() + "'");
            }
        }
        address.noQuery("set redis.* broker properties instead", problems);
        TransportSettings.unknownKeys(properties, "redis.", KNOWN, List.of(), "property", "", problems);
        String envelope = properties.get(RedisProperties.ENVELOPE);
        if (envelope != null) {
            b.envelope = EnvelopeFormat.fromProperty(envelope);
            if (b.envelope == null) {
                b.envelope = EnvelopeFormat.FASTSTREAM_BINARY;
                problems.add(RedisProperties.ENVELOPE + " must be faststream-binary, faststream-json or propan-json, was '"
                        + envelope + "'");
            }
        }
        b.poolSize = TransportSettings.number(properties, RedisProperties.POOL_SIZE, b.poolSize, 1, 10_000, problems);
        b.sendLanes = TransportSettings.number(properties, RedisProperties.SEND_LANES, b.sendLanes, 1, 256, problems);
        b.sendQueue = TransportSettings.number(properties, RedisProperties.SEND_QUEUE, b.sendQueue, 1, 10_000_000, problems);
        b.timeoutMillis = TransportSettings.number(properties, RedisProperties.TIMEOUT_MS, b.timeoutMillis, 1, Integer.MAX_VALUE, problems);
        b.reconnectMaxBackoffMillis = TransportSettings.number(properties, RedisProperties.RECONNECT_MAX_BACKOFF_MS,
                b.reconnectMaxBackoffMillis, 1, Long.MAX_VALUE, problems);
        b.keepAliveMillis = TransportSettings.number(properties, RedisProperties.KEEPALIVE_MS, b.keepAliveMillis, 10, Long.MAX_VALUE,
                problems);
        b.channelClaimTtlMillis = TransportSettings.number(properties, RedisProperties.CHANNEL_CLAIM_TTL_MS, b.channelClaimTtlMillis, 1,
                Long.MAX_VALUE, problems);
        b.streamClaimIdleMillis = TransportSettings.number(properties, RedisProperties.STREAM_CLAIM_IDLE_MS, b.streamClaimIdleMillis, 1,
                Long.MAX_VALUE, problems);
        b.streamMaxLen = TransportSettings.number(properties, RedisProperties.STREAM_MAXLEN, b.streamMaxLen, 0, Long.MAX_VALUE, problems);
        TransportSettings.throwIfAny("Redis", redactedUri, problems);
        if (b.tls) {
            b.sslContext = TlsSupport.context(options);
            b.verifyHostname = TlsSupport.verifyHostname(options);
        }
        return new RedisSettings(b);
    }

    private static final class Builder {
        String host = "127.0.0.1";
        int port = DEFAULT_PORT;
        String user;
        String password;
        int database;
        boolean tls;
        SSLContext sslContext;
        boolean verifyHostname = true;
        EnvelopeFormat envelope = EnvelopeFormat.FASTSTREAM_BINARY;
        long poolSize = 32;
        long sendLanes = 4;
        long sendQueue = 10_000;
        long timeoutMillis = 2_000;
        long reconnectMaxBackoffMillis = 2_000;
        long keepAliveMillis = 5_000;
        long channelClaimTtlMillis = 60_000;
        long streamClaimIdleMillis = 20_000;
        long streamMaxLen;
    }
}
