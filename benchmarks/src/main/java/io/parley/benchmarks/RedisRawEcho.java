package io.parley.benchmarks;

import java.net.URI;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPubSub;
import redis.clients.jedis.RedisClient;

/**
 * jedis by hand: requests PUBLISHed as {@code id|replyChannel|body} on a channel, one reply channel
 * per requester subscribed once, correlation ids in a map. Commands go through a pooled client;
 * each subscription has its own connection and thread.
 */
final class RedisRawEcho extends EchoCase {

    private final String uri;

    RedisRawEcho(String uri) {
        super("redis", Kind.RAW, "jedis PUBLISH + one reply channel + correlation ids");
        this.uri = uri;
    }

    @Override
    EchoClient open() throws Exception {
        URI address = URI.create(uri);
        RedisClient commands = RedisClient.create(address);
        String channel = Uris.fresh("bench-raw");
        String replyChannel = channel + ".reply";
        Map<String, CompletableFuture<String>> pending = new ConcurrentHashMap<>();
        AtomicLong ids = new AtomicLong();

        Subscription server = Subscription.start(address, channel, message -> {
            int first = message.indexOf('|');
            int second = message.indexOf('|', first + 1);
            commands.publish(message.substring(first + 1, second), message.substring(0, first) + "|" + message.substring(second + 1));
        });
        Subscription replies = Subscription.start(address, replyChannel, message -> {
            int bar = message.indexOf('|');
            CompletableFuture<String> future = pending.remove(message.substring(0, bar));
            if (future != null) {
                future.complete(message.substring(bar + 1));
            }
        });

        return new EchoClient() {
            @Override
            public CompletableFuture<String> callAsync(String body) {
                String id = Long.toString(ids.incrementAndGet());
                CompletableFuture<String> future = new CompletableFuture<>();
                pending.put(id, future);
                commands.publish(channel, id + "|" + replyChannel + "|" + body);
                return future;
            }

            @Override
            public void close() throws Exception {
                replies.close();
                server.close();
                commands.close();
            }
        };
    }

    /** A SUBSCRIBE on its own connection and thread, ready once Redis confirmed it. */
    private static final class Subscription implements AutoCloseable {
        private final JedisPubSub pubSub;
        private final Thread thread;
        private final Jedis connection;

        private Subscription(JedisPubSub pubSub, Thread thread, Jedis connection) {
            this.pubSub = pubSub;
            this.thread = thread;
            this.connection = connection;
        }

        static Subscription start(URI address, String channel, java.util.function.Consumer<String> onMessage)
                throws InterruptedException {
            CountDownLatch subscribed = new CountDownLatch(1);
            JedisPubSub pubSub = new JedisPubSub() {
                @Override
                public void onSubscribe(String name, int count) {
                    subscribed.countDown();
                }

                @Override
                public void onMessage(String name, String message) {
                    onMessage.accept(message);
                }
            };
            Jedis connection = new Jedis(address);
            Thread thread = new Thread(() -> connection.subscribe(pubSub, channel), "bench-redis-" + channel);
            thread.setDaemon(true);
            thread.start();
            if (!subscribed.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("SUBSCRIBE " + channel + " not confirmed");
            }
            return new Subscription(pubSub, thread, connection);
        }

        @Override
        public void close() throws InterruptedException {
            pubSub.unsubscribe();
            thread.join(5_000);
            connection.close();
        }
    }
}
