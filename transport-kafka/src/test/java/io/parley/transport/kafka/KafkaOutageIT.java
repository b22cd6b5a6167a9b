package io.parley.transport.kafka;

import io.parley.tck.Await;
import io.parley.api.Broker;
import io.parley.api.BrokerOptions;
import io.parley.api.RequestException;
import io.parley.api.RequestOptions;
import io.parley.transport.kafka.KafkaProperties;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A broker of its own is killed and started again: requests end within their timeout, and Parley resumes. */
class KafkaOutageIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(3);

    @Test
    void resumesAfterBrokerRestartAndNoRequestHangs() throws Exception {
        try (KafkaBroker kafka = KafkaBroker.start()) {
            BrokerOptions options = BrokerOptions.builder().property(KafkaProperties.CONNECT_TIMEOUT_MS, "30000").build();
            try (Broker responder = Broker.connect(kafka.uri(), options);
                 Broker requester = Broker.connect(kafka.uri(), options)) {
                responder.subscribe("outage", String.class, body -> "echo " + body);
                assertEquals(Optional.of("echo 1"), requester.rpc().request("outage", "1", String.class,
                        RequestOptions.timeout(Duration.ofSeconds(10))));

                kafka.kill();
                long killedAt = System.nanoTime();
                CompletableFuture<?> duringOutage = requester.rpc().requestAsync("outage", "2", RequestOptions.timeout(TIMEOUT));
                try {
                    duringOutage.get(TIMEOUT.plusSeconds(1).toMillis(), TimeUnit.MILLISECONDS);
                } catch (ExecutionException e) { // a reply or a typed failure; never a hang
                    assertInstanceOf(RequestException.class, e.getCause());
                }
                assertTrue(System.nanoTime() - killedAt < TIMEOUT.plusSeconds(1).toNanos(), "ended within its timeout");

                kafka.launch(); // the same broker: same ports and data
                Await.until("a request is answered after the restart", Duration.ofSeconds(90), () -> {
                    try {
                        return requester.rpc().request("outage", "3", String.class,
                                RequestOptions.timeout(Duration.ofSeconds(2))).equals(Optional.of("echo 3"));
                    } catch (RequestException e) {
                        return false;
                    }
                });
                assertEquals(Optional.of("echo 4"), requester.rpc().request("outage", "4", String.class,
                        RequestOptions.timeout(Duration.ofSeconds(10))));
            }
        }
    }
}
