package io.parley.benchmarks;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** One side of an echo: sends a body and gets the same body back. Opened by an {@link EchoCase}. */
interface EchoClient extends AutoCloseable {

    /** Sends {@code body} and blocks for its echo; by default, waits for {@link #callAsync}. */
    default String call(String body) throws Exception {
        return callAsync(body).get(10, TimeUnit.SECONDS);
    }

    /** Sends {@code body}; the future completes with its echo. */
    CompletableFuture<String> callAsync(String body);

    @Override
    void close() throws Exception;
}
