package io.parley.benchmarks;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.rabbit.AsyncRabbitTemplate;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.amqp.rabbit.listener.DirectMessageListenerContainer;
import org.springframework.amqp.rabbit.listener.adapter.MessageListenerAdapter;

/**
 * Spring AMQP as an expert would set it up for latency: RabbitTemplate with direct reply-to (its
 * default), AsyncRabbitTemplate (also direct reply-to) for requests in flight, and a
 * DirectMessageListenerContainer (listener on the client's own thread, no hand-off) answering
 * through a MessageListenerAdapter.
 */
final class SpringRabbitEcho extends EchoCase {

    private final String uri;

    SpringRabbitEcho(String uri) {
        super("rabbit", Kind.SPRING, "spring-rabbit 4.1 RabbitTemplate / AsyncRabbitTemplate, direct reply-to");
        this.uri = uri;
    }

    /** The listener adapter calls {@code handleMessage} and sends what it returns to the reply-to. */
    public static final class Echo {
        public String handleMessage(String body) {
            return body;
        }
    }

    @Override
    EchoClient open() throws Exception {
        CachingConnectionFactory serverFactory = new CachingConnectionFactory(URI.create(uri));
        CachingConnectionFactory clientFactory = new CachingConnectionFactory(URI.create(uri));
        String queue = Uris.fresh("bench-spring");
        RabbitAdmin admin = new RabbitAdmin(serverFactory);
        admin.declareQueue(new Queue(queue, false, false, true));

        DirectMessageListenerContainer container = new DirectMessageListenerContainer(serverFactory);
        container.setQueueNames(queue);
        container.setMessageListener(new MessageListenerAdapter(new Echo()));
        container.afterPropertiesSet();
        container.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (admin.getQueueInfo(queue) == null || admin.getQueueInfo(queue).getConsumerCount() == 0) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the Spring listener did not consume " + queue + " within 30 s");
            }
            java.util.concurrent.locks.LockSupport.parkNanos(10_000_000); // poll the broker every 10 ms
        }

        RabbitTemplate template = new RabbitTemplate(clientFactory);
        template.setReplyTimeout(10_000);
        template.setRoutingKey(queue);
        AsyncRabbitTemplate async = new AsyncRabbitTemplate(clientFactory, "", queue);
        async.setReceiveTimeout(10_000);
        async.start();

        return new EchoClient() {
            @Override
            public String call(String body) {
                Object reply = template.convertSendAndReceive(body);
                if (reply == null) {
                    throw new IllegalStateException("no reply within the template's timeout");
                }
                return (String) reply;
            }

            @Override
            public CompletableFuture<String> callAsync(String body) {
                return async.<String>convertSendAndReceive(body);
            }

            @Override
            public void close() {
                async.stop();
                container.stop();
                template.destroy();
                clientFactory.destroy();
                serverFactory.destroy();
            }
        };
    }
}
