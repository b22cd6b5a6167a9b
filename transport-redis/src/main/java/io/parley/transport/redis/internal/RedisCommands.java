package io.parley.transport.redis.internal;

import io.parley.api.ConnectionException;
import io.parley.api.MessagingException;
import io.parley.spi.TlsSupport;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;

import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.function.Function;

/**
 * The pool of command connections shared by every thread of one transport. A Jedis connection is
 * not thread-safe: each command borrows one for its duration only.
 */
final class RedisCommands implements AutoCloseable {

    private final JedisPool pool;
    private final String redactedUri;
    private final String host;
    private final int timeoutMillis;
    private final int poolSize;

    RedisCommands(RedisSettings settings, String clientName, String redactedUri) {
        this.redactedUri = redactedUri;
        this.host = settings.address.getHost();
        this.timeoutMillis = settings.timeoutMillis;
        this.poolSize = settings.poolSize;
        GenericObjectPoolConfig<Jedis> config = new GenericObjectPoolConfig<>();
        config.setMaxTotal(settings.poolSize);
        config.setMaxIdle(settings.poolSize); // idle connections stay: opening one costs a round trip or three
        config.setMinIdle(0);
        config.setMaxWait(Duration.ofMillis(settings.timeoutMillis));
        config.setJmxEnabled(false);
        this.pool = new JedisPool(config, settings.sockets, settings.clientConfig(clientName));
    }

    /**
     * Runs {@code command} on a pooled connection. A connection that turns out broken (Redis was
     * restarted, so every idle connection is dead) is dropped with the other idle ones and the
     * command is tried once more on a new one. A command that timed out is not tried again: Redis
     * may have run it (it was frozen or slow, not gone), and a second try could do it twice. Nor is
     * one whose TLS handshake failed: the next would fail alike.
     *
     * @throws ConnectionException when Redis cannot be reached or does not answer in time
     * @throws MessagingException  when Redis refuses the command (wrong key type...)
     */
    <T> T run(String what, Function<Jedis, T> command) {
        try {
            return once(command);
        } catch (JedisConnectionException first) {
            pool.clear();
            if (timedOut(first) || tlsFailure(first).isPresent()) {
                throw translate(what, first);
            }
            try {
                return once(command);
            } catch (JedisException second) {
                second.addSuppressed(first);
                throw translate(what, second);
            }
        } catch (JedisException e) {
            throw translate(what, e);
        }
    }

    private <T> T once(Function<Jedis, T> command) {
        try (Jedis jedis = pool.getResource()) {
            return command.apply(jedis);
        }
    }

    private static boolean timedOut(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SocketTimeoutException) {
                return true;
            }
        }
        return false;
    }

    /** What failed in the TLS handshake, if {@code failure} is one (TlsSupport's words, the same on every transport). */
    Optional<String> tlsFailure(Throwable failure) {
        return TlsSupport.describeFailure(failure, host);
    }

    RuntimeException translate(String what, JedisException e) {
        Optional<String> tls = e instanceof JedisConnectionException ? tlsFailure(e) : Optional.empty();
        if (tls.isPresent()) {
            return new ConnectionException("Cannot connect to Redis at " + redactedUri + " (" + what + "): "
                    + tls.get(), e);
        }
        if (e instanceof JedisAccessControlException) {
            return new ConnectionException("Redis at " + redactedUri + " refused the credentials (" + what
                    + "); check the user and password of the URI", e);
        }
        if (String.valueOf(e.getMessage()).contains("without any password configured")) {
            return new ConnectionException("Redis at " + redactedUri + " refused the credentials (" + what + "): the URI"
                    + " gives a password but the server's default user has none; remove the password from the URI, or"
                    + " check that this is the Redis you meant (its requirepass or ACL)", e);
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof TlsSocketFactory.HandshakeUnanswered unanswered) {
                return new ConnectionException("Cannot connect to Redis at " + redactedUri + " (" + what + "): "
                        + unanswered.getMessage(), e);
            }
        }
        if (e instanceof JedisConnectionException && timedOut(e)) {
            return new ConnectionException("Redis at " + redactedUri + " did not answer " + what + " within "
                    + timeoutMillis + " ms (redis.timeout-ms): it is frozen, overloaded or cut off. It may still have"
                    + " run the command", e);
        }
        if (e instanceof JedisConnectionException) {
            return new ConnectionException("Cannot reach Redis at " + redactedUri + " (" + what + "): "
                    + e.getMessage() + ". Check that Redis runs and the URI is right", e);
        }
        if (e.getCause() instanceof NoSuchElementException) {
            return new ConnectionException("No pooled connection to Redis at " + redactedUri + " was free within "
                    + timeoutMillis + " ms for " + what + ": all " + poolSize + " are busy (redis.pool-size)", e);
        }
        return new MessagingException("Redis at " + redactedUri + " refused " + what + ": " + e.getMessage(), e);
    }

    @Override
    public void close() {
        pool.close();
    }
}
