package io.parley.examples;

import io.parley.api.Broker;
import io.parley.api.Message;
import io.parley.api.RequestOptions;

import java.time.Duration;
import java.util.Optional;

/** The README's quick start, compiled by the build so that it cannot rot (ReadmeTest compares the two). */
public final class QuickStart {

    private QuickStart() {
    }

    public static void main(String[] args) {
        greet();
    }

    static String greet() {
        String answer;
        // quick-start:begin
        try (Broker broker = Broker.connect("memory://")) {
            // A handler: what it returns is the reply.
            broker.subscribe("greetings", String.class, name -> "Hello, " + name + "!");

            // A blocking request; Optional.empty() means no answer within the timeout.
            Optional<Message> reply = broker.rpc().request("greetings", "Ada",
                    RequestOptions.timeout(Duration.ofSeconds(5)));
            answer = reply.map(Message::bodyAsString).orElse("no answer");
            System.out.println(answer); // Hello, Ada!
        }
        // quick-start:end
        return answer;
    }
}
