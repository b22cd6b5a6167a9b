package io.parley.tck;

import io.parley.api.Broker;
import io.parley.api.BrokerOptions;
import io.parley.api.SubscribeOptions;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * A group member in a process of its own, for the rules that kill one (10.04, 10.05): the kit starts
 * it with the test's class path and kills it with {@code kill -9}. Not for applications.
 *
 * <p>Arguments: broker URI, destination, group, milliseconds each message takes. Transport properties
 * come as system properties {@code parley.kit.property.<key>}. It prints {@code READY} once subscribed,
 * then {@code HANDLED <body>} for each message, flushed before the handler returns (so before the
 * broker is told the message is done): a line the kit reads was handled.
 */
public final class KitMember {

    static final String PROPERTY_PREFIX = "parley.kit.property.";
    static final String READY = "READY";
    static final String HANDLED = "HANDLED ";

    private KitMember() {
    }

    public static void main(String[] args) throws Exception {
        String uri = args[0];
        String destination = args[1];
        String group = args[2];
        long workMillis = Long.parseLong(args[3]);
        BrokerOptions.Builder options = BrokerOptions.builder();
        System.getProperties().stringPropertyNames().stream().filter(key -> key.startsWith(PROPERTY_PREFIX))
                .forEach(key -> options.property(key.substring(PROPERTY_PREFIX.length()), System.getProperty(key)));
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        Broker broker = Broker.connect(uri, options.build());
        broker.subscribe(destination, String.class, SubscribeOptions.group(group), body -> {
            Thread.sleep(workMillis); // the work a real member would do, so that the kill lands mid-stream
            synchronized (out) {
                out.println(HANDLED + body);
                out.flush();
            }
            return null;
        });
        synchronized (out) {
            out.println(READY);
            out.flush();
        }
        new CountDownLatch(1).await(Duration.ofMinutes(10).toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        broker.close(); // only reached when nobody killed it
    }
}
