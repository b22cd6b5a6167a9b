package io.parley.examples;

import io.parley.api.Broker;
import io.parley.api.RequestOptions;

import java.time.Duration;
import java.util.Optional;

/**
 * The README's quick start, compiled and run by the build so that it cannot rot: the code between
 * the markers is, line for line, the README's block after {@code <!-- quick-start -->}
 * (ReadmeQuickStartTest compares the two and runs this class).
 */
public final class QuickStart {

    private QuickStart() {
    }

    public static void main(String[] args) {
        // quick-start:begin
        try (Broker broker = Broker.connect("memory://")) {
            // A handler: what it returns is the reply.
            broker.subscribe("greetings", String.class, name -> "Hello, " + name + "!");

            // A request: blocks for the reply; Optional.empty() means no answer within the timeout.
            Optional<String> reply = broker.rpc().request("greetings", "Ada", String.class,
                    RequestOptions.timeout(Duration.ofSeconds(5)));
            System.out.println(reply.orElse("no answer")); // Hello, Ada!
        }
        // quick-start:end
    }
}
