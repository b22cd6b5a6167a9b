package io.parley.transport.rabbit;

import io.parley.api.Broker;
import io.parley.api.Message;
import io.parley.api.RequestOptions;
import io.parley.api.SubscribeOptions;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Many requests truly in flight on ONE connection: the handler holds every request until all 200 have
 * arrived, which can only happen if none waits for another's reply (Propan and FastStream allow one
 * outstanding request per connection).
 */
class RabbitConcurrencyIT {

    private static final int REQUESTS = 200;

    @Test
    void twoHundredRequestsAreInFlightAtOnceOnOneConnection() throws Exception {
        String queue = "parley-it.concurrency." + UUID.randomUUID();
        CountDownLatch allArrived = new CountDownLatch(REQUESTS);
        try (Broker server = Broker.connect(RabbitTestSupport.URI);
             Broker client = Broker.connect(RabbitTestSupport.URI)) {
            server.subscribe(queue, Integer.class, SubscribeOptions.builder().concurrency(REQUESTS).build(), n -> {
                allArrived.countDown();
                if (!allArrived.await(20, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("only " + (REQUESTS - allArrived.getCount()) + " requests arrived together");
                }
                return n * 2;
            });
            List<CompletableFuture<Message>> replies = new ArrayList<>();
            for (int i = 0; i < REQUESTS; i++) {
                replies.add(client.rpc().requestAsync(queue, i, RequestOptions.timeout(Duration.ofSeconds(30))));
            }
            assertTrue(allArrived.await(20, TimeUnit.SECONDS), "all " + REQUESTS + " requests were at the handler at once");
            for (int i = 0; i < REQUESTS; i++) {
                assertEquals(i * 2, replies.get(i).get(20, TimeUnit.SECONDS).body(Integer.class));
            }
            assertEquals(0, client.rpc().pendingRequests());
        } finally {
            RabbitTestSupport.deleteQueues(RabbitTestSupport.URI, List.of(queue));
        }
    }
}
