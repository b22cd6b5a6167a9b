package io.parley.transport.redis;

import io.parley.tck.Await;
import io.parley.api.Broker;
import io.parley.api.BrokerOptions;
import io.parley.api.ConfigurationException;
import io.parley.api.ConnectionException;
import io.parley.api.RequestOptions;
import io.parley.api.SubscribeOptions;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.Jedis;

import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Connecting, failing to connect, and closing without leaving threads or connections behind. */
class RedisLifecycleIT {

    private static long parleyRedisThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.isAlive() && thread.getName().startsWith("parley-redis-")).count();
    }

    private static long parleyConnections(Jedis jedis) {
        return jedis.clientList().lines().filter(line -> line.contains(" name=parley-redis-")).count();
    }

    @Test
    void closeLeavesNoThreadsAndNoConnections() throws Exception {
        String name = "parley-it.life." + UUID.randomUUID().toString().substring(0, 8);
        long threadsBefore = parleyRedisThreads();
        try (Jedis admin = new Jedis(URI.create(RedisTestSupport.URI))) {
            long connectionsBefore = parleyConnections(admin);
            Broker broker = Broker.connect(RedisTestSupport.URI);
            for (String destination : new String[]{name + ".channel with space", "list:" + name + ".list",
                    "stream:" + name + ".stream"}) {
                broker.subscribe(destination, String.class, body -> body);
                broker.subscribe(destination, String.class, SubscribeOptions.group("g"), body -> body);
                assertEquals("x", broker.rpc().request(destination, "x", RequestOptions.timeout(Duration.ofSeconds(5)))
                        .orElseThrow().bodyAsString());
            }
            assertTrue(parleyRedisThreads() > threadsBefore);
            broker.close();
            Await.until("every parley-redis thread ended", Duration.ofSeconds(5),
                    () -> parleyRedisThreads() == threadsBefore);
            Await.until("every connection of the broker is closed", Duration.ofSeconds(5),
                    () -> parleyConnections(admin) == connectionsBefore);
            RedisTestSupport.deleteKeys(name + "*");
        }
    }

    @Test
    void unreachableRedisIsAConnectionExceptionWithoutThePassword() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        long threadsBefore = parleyRedisThreads();
        ConnectionException e = assertThrows(ConnectionException.class,
                () -> Broker.connect("redis://app:hunter2@127.0.0.1:" + port));
        assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
        assertTrue(e.getMessage().contains("127.0.0.1:" + port), e.getMessage());
        assertEquals(threadsBefore, parleyRedisThreads());
    }

    @Test
    void wrongPasswordIsAConnectionException() {
        // the shared Redis has no password: AUTH with one fails
        ConnectionException e = assertThrows(ConnectionException.class, () -> Broker.connect(
                RedisTestSupport.URI.replace("redis://", "redis://nobody:hunter2@")));
        assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
    }

    @Test
    void aPasswordForAServerWithoutOneIsRefusedNotIgnored() {
        // redis://:password@ against a server whose default user needs none: HELLO 2 AUTH let it in silently
        ConnectionException e = assertThrows(ConnectionException.class, () -> Broker.connect(
                RedisTestSupport.URI.replace("redis://", "redis://:hunter2@")));
        assertTrue(e.getMessage().contains("refused the credentials") && e.getMessage().contains("has none"),
                e.getMessage());
        assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
    }

    @Test
    void redisSubscriptionPropertiesAreRefusedNotIgnored() {
        try (Broker broker = Broker.connect(RedisTestSupport.URI)) {
            ConfigurationException e = assertThrows(ConfigurationException.class, () -> broker.subscribe("x", String.class,
                    SubscribeOptions.builder().property("redis.kind", "list").build(), body -> body));
            assertTrue(e.getMessage().contains("redis.kind"), e.getMessage());
        }
    }

    @Test
    void aKeyOfAnotherTypeIsRefusedAtSubscribe() {
        String key = "parley-it.life.string." + UUID.randomUUID().toString().substring(0, 8);
        long threadsBefore = parleyRedisThreads();
        try (Jedis admin = new Jedis(URI.create(RedisTestSupport.URI)); Broker broker = Broker.connect(RedisTestSupport.URI)) {
            admin.set(key, "not a list");
            for (String kind : new String[]{"list:", "stream:"}) {
                ConfigurationException e = assertThrows(ConfigurationException.class,
                        () -> broker.subscribe(kind + key, String.class, body -> body));
                assertTrue(e.getMessage().contains("holds a string"), e.getMessage());
            }
            admin.del(key);
        }
        Await.until("no thread is left", Duration.ofSeconds(5), () -> parleyRedisThreads() == threadsBefore);
    }

    @Test
    void badPropertiesAreAConfigurationExceptionListingEveryProblem() {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> Broker.connect(RedisTestSupport.URI,
                BrokerOptions.builder().property(RedisProperties.ENVELOPE, "xml")
                        .property(RedisProperties.POOL_SIZE, "-1").build()));
        assertEquals(2, e.problems().size(), e.problems().toString());
    }
}
