package io.parley.transport.redis.internal;

import io.parley.api.BrokerOptions;
import io.parley.api.ConfigurationException;
import io.parley.api.TlsOptions;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RedisSettingsTest {

    private static RedisSettings parse(String uri, Map<String, String> properties) {
        BrokerOptions.Builder options = BrokerOptions.builder();
        properties.forEach(options::property);
        return RedisSettings.parse(URI.create(uri), "redacted", options.build());
    }

    @Test
    void defaults() {
        RedisSettings settings = parse("redis://localhost", Map.of());
        assertEquals("localhost", settings.address.getHost());
        assertEquals(6379, settings.address.getPort());
        assertEquals(0, settings.database);
        assertFalse(settings.tls);
        assertNull(settings.password);
        assertEquals(EnvelopeFormat.FASTSTREAM_BINARY, settings.envelope);
        assertEquals(32, settings.poolSize);
        assertEquals(4, settings.sendLanes);
        assertEquals(10_000, settings.sendQueue);
        assertEquals(2_000, settings.timeoutMillis);
        assertEquals(5_000, settings.keepAliveMillis);
        assertEquals(60_000, settings.channelClaimTtlMillis);
        assertEquals(20_000, settings.streamClaimIdleMillis);
        assertEquals(0, settings.streamMaxLen);
    }

    @Test
    void userPasswordDatabaseAndTls() {
        RedisSettings settings = parse("rediss://app:p%40ss%3Aw+rd@redis.example:6380/3", Map.of());
        assertTrue(settings.tls);
        assertEquals("app", settings.user);
        assertEquals("p@ss:w+rd", settings.password);
        assertEquals(3, settings.database);
        assertEquals(6380, settings.address.getPort());
    }

    @Test
    void tlsOptionsTurnTlsOnWhateverTheScheme() throws Exception {
        assertFalse(parse("redis://h", Map.of()).sockets instanceof TlsSocketFactory);
        assertTrue(parse("rediss://h", Map.of()).sockets instanceof TlsSocketFactory);
        RedisSettings settings = RedisSettings.parse(URI.create("redis://h"), "redacted",
                BrokerOptions.builder().tls(TlsOptions.of(javax.net.ssl.SSLContext.getDefault())).build());
        assertTrue(settings.tls);
        assertTrue(settings.sockets instanceof TlsSocketFactory);
    }

    @Test
    void passwordOnly() {
        RedisSettings settings = parse("redis://:secret@h", Map.of());
        assertNull(settings.user);
        assertEquals("secret", settings.password);
    }

    @Test
    void propertiesAreRead() {
        RedisSettings settings = parse("redis://h", Map.of("redis.envelope", "propan-json", "redis.pool-size", "4",
                "redis.stream.claim-idle-ms", "500", "redis.stream.maxlen", "1000", "other.transport.key", "ignored",
                "redis.send-lanes", "2", "redis.send-queue", "50"));
        assertEquals(EnvelopeFormat.PROPAN_JSON, settings.envelope);
        assertEquals(4, settings.poolSize);
        assertEquals(2, settings.sendLanes);
        assertEquals(50, settings.sendQueue);
        assertEquals(500, settings.streamClaimIdleMillis);
        assertEquals(1000, settings.streamMaxLen);
    }

    @Test
    void everyProblemIsListedAndNoPasswordLeaks() {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> parse(
                "redis://user:topsecret@h/abc?timeout=3", Map.of("redis.envelope", "xml", "redis.pool-size", "0",
                        "redis.timeout-ms", "soon", "redis.unknown", "1", "redis.send-lanes", "0")));
        assertEquals(7, e.problems().size(), e.problems().toString());
        assertFalse(e.getMessage().contains("topsecret"), e.getMessage());
        assertTrue(e.getMessage().contains("redacted"), e.getMessage());
    }

    @Test
    void userWithoutPasswordIsAProblem() {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> parse("redis://onlyuser@h", Map.of()));
        assertFalse(e.getMessage().contains("onlyuser"), e.getMessage());
    }

    @Test
    void destinationKinds() {
        assertEquals(RedisDestination.Kind.CHANNEL, RedisDestination.parse("orders").kind());
        assertEquals("orders", RedisDestination.parse("channel:orders").key());
        RedisDestination list = RedisDestination.parse("list:jobs");
        assertEquals(RedisDestination.Kind.LIST, list.kind());
        assertEquals("jobs", list.key());
        RedisDestination stream = RedisDestination.parse("stream:orders:eu");
        assertEquals(RedisDestination.Kind.STREAM, stream.kind());
        assertEquals("orders:eu", stream.key());
        assertThrows(ConfigurationException.class, () -> RedisDestination.parse("list:"));
    }

    @Test
    void streamIdsCompareNumerically() {
        assertTrue(StreamConsumer.compareIds("10-0", "9-5") > 0);
        assertTrue(StreamConsumer.compareIds("5-2", "5-10") < 0);
        assertEquals(0, StreamConsumer.compareIds("7-1", "7-1"));
    }
}
