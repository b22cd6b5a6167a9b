package io.parley.transport.rabbit;


/** Where the tests' RabbitMQ is, and small helpers shared by the ITs. */
final class RabbitTestSupport {

    /** The shared broker: PARLEY_RABBIT_URI, or the one scripts/test.sh makes sure of. */
    static final String URI = System.getenv().getOrDefault("PARLEY_RABBIT_URI", "amqp://guest:guest@127.0.0.1:5672");

    private RabbitTestSupport() {
    }
}
