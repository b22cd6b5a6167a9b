package io.parley.transport.redis;

import redis.clients.jedis.Jedis;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;



/** The shared Redis of the tests, and a wait with a deadline (no sleeps as synchronisation). */
final class RedisTestSupport {

    static final String URI = uri();

    private RedisTestSupport() {
    }

    private static String uri() {
        String value = System.getenv("PARLEY_REDIS_URI");
        return value == null || value.isBlank() ? "redis://127.0.0.1:6379" : value.strip();
    }

    /** Deletes the keys (lists, streams) a test run left behind, so the shared Redis does not fill up. */
    static void deleteKeys(String pattern) {
        try (Jedis jedis = new Jedis(java.net.URI.create(URI))) {
            String cursor = ScanParams.SCAN_POINTER_START;
            do {
                ScanResult<String> page = jedis.scan(cursor, new ScanParams().match(pattern).count(500));
                if (!page.getResult().isEmpty()) {
                    jedis.del(page.getResult().toArray(new String[0]));
                }
                cursor = page.getCursor();
            } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
        }
    }
}
