package io.parley.benchmarks;

import java.util.concurrent.CompletableFuture;

/** One side of an echo: sends a body and gets the same body back. Opened by an {@link EchoCase}. */
interface EchoClient extends AutoCloseable {

    /** Sends {@code body} and blocks for its echo. */
    String call(String body) throws Exception;

    /** Sends {@code body}; the future completes with its echo. */
    CompletableFuture<String> callAsync(String body);

    @Override
    void close() throws Exception;
}
