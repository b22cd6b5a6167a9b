package io.parley.packaging;

import io.parley.api.Broker;
import io.parley.api.RequestOptions;
import io.parley.api.SubscribeOptions;

import java.net.URI;
import java.time.Duration;
import java.util.UUID;

/**
 * A service in miniature, run from each package the ITs build: for every URI given, connect, answer a
 * request of its own and print {@code OK <transport> <reply>}, or {@code FAILED <scheme> <error>}.
 * Exits 1 when one failed. (A command-line program: its output is its result.)
 */
public final class PackagingSmoke {

    private static final RequestOptions PATIENT = RequestOptions.builder().timeout(Duration.ofSeconds(20))
            .throwOnTimeout().build();
    /** On RabbitMQ a throw-away queue, not the durable default: nothing is left on the broker. */
    private static final SubscribeOptions THROW_AWAY = SubscribeOptions.builder()
            .property("rabbit.queue.durable", "false").property("rabbit.queue.auto-delete", "true").build();

    /** A record body: on the module path Jackson reaches it because module-info opens the package to it. */
    public record Ping(String text) {
    }

    private PackagingSmoke() {
    }

    public static void main(String[] args) {
        int failed = 0;
        for (String uri : args) {
            String scheme = URI.create(uri).getScheme(); // never the credentials
            try (Broker broker = Broker.connect(uri)) {
                String destination = "parley-packaging." + UUID.randomUUID();
                broker.subscribe(destination, Ping.class, THROW_AWAY, ping -> new Ping("echo " + ping.text()));
                Ping reply = broker.rpc().request(destination, new Ping("ping"), Ping.class, PATIENT).orElseThrow();
                System.out.println("OK " + broker.transportName() + " " + reply.text());
            } catch (RuntimeException e) {
                failed++;
                System.out.println("FAILED " + scheme + " " + e);
            }
        }
        System.exit(failed == 0 ? 0 : 1);
    }
}
