/** Parley over Redis: Pub/Sub channels, lists and streams, with jedis. */
module io.parley.transport.redis {
    requires io.parley.api;
    requires redis.clients.jedis;
    requires org.apache.commons.pool2;
    requires org.slf4j;

    exports io.parley.transport.redis;

    provides io.parley.spi.TransportProvider with io.parley.transport.redis.internal.RedisTransportProvider;
}
