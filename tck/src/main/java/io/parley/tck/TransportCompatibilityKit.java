package io.parley.tck;

import io.parley.api.Broker;
import io.parley.api.BrokerClosedException;
import io.parley.api.BrokerOptions;
import io.parley.api.CodecException;
import io.parley.api.ConfigurationException;
import io.parley.api.ConnectionException;
import io.parley.api.Handler;
import io.parley.api.MessagingException;
import io.parley.api.Message;
import io.parley.api.PublishOptions;
import io.parley.api.RemoteHandlerException;
import io.parley.api.Reply;
import io.parley.api.RequestException;
import io.parley.api.RequestOptions;
import io.parley.api.SubscribeOptions;
import io.parley.api.Subscriber;
import io.parley.api.TlsOptions;
import io.parley.api.TransportNotFoundException;
import io.parley.api.codec.Codec;
import io.parley.api.codec.EncodedBody;
import io.parley.spi.Envelope;
import io.parley.spi.InboundHandler;
import io.parley.spi.ReplyListener;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.io.IOException;
import java.net.InetAddress;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.Map;
import java.util.Iterator;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The transport compatibility kit: every rule of docs/SPEC.md as a test named after it
 * ({@code required_specNNN_...} or {@code optional_specNNN_...}). A transport runs it with one
 * subclass that says how to reach its broker:
 *
 * <pre>{@code
 * class NatsTransportCompatibilityIT extends TransportCompatibilityKit {
 *     protected KitEnvironment environment() {
 *         return KitEnvironment.builder("nats://127.0.0.1:4222", "nats").build();
 *     }
 * }
 * }</pre>
 *
 * Each test connects its own brokers (a "server" that subscribes and a "client" that requests,
 * two connections as two services would have) on destinations no other test uses, and closes
 * them afterwards. Optional rules whose capability the environment declares missing are skipped
 * with the declared reason.
 */
@ExtendWith(KitRunCheck.class)
public abstract class TransportCompatibilityKit {

    private static final Logger log = LoggerFactory.getLogger(TransportCompatibilityKit.class);

    /** Says how to reach the broker under test; called once per test. */
    protected abstract KitEnvironment environment();

    private KitEnvironment env;
    private final List<Broker> brokers = new CopyOnWriteArrayList<>();
    private final List<CountDownLatch> gates = new CopyOnWriteArrayList<>();
    private final FaultState faults = new FaultState();
    private Broker server;
    private Broker client;

    // ---------------------------------------------------------------- fixtures

    protected final KitEnvironment env() {
        if (env == null) {
            env = environment();
        }
        return env;
    }

    /** The broker that subscribes handlers. */
    protected final Broker server() {
        if (server == null) {
            server = connect();
        }
        return server;
    }

    /** The broker that sends requests: a connection of its own, as another service would have. */
    /**
     * A broker on the kit's observer (rules 13.14, 13.17-13.19), which wraps this environment's transport;
     * closed after the test.
     */
    private Broker observed(UnaryOperator<BrokerOptions.Builder> change) {
        Broker observed = env().connect(options -> change.apply(options.transport(ObservingTransportProvider.NAME)
                .property(ObservingTransportProvider.OBSERVED, env().transportName())));
        brokers.add(observed);
        return observed;
    }

    protected final Broker client() {
        if (client == null) {
            client = connect();
        }
        return client;
    }

    /** A further connection, closed after the test. */
    protected final Broker connect() {
        Broker broker = env().connect();
        brokers.add(broker);
        return broker;
    }

    /** A latch that handlers wait on; opened after each test so that no handler hangs on. */
    protected final CountDownLatch gate() {
        CountDownLatch gate = new CountDownLatch(1);
        gates.add(gate);
        return gate;
    }

    @AfterEach
    void closeBrokers() throws Exception {
        try {
            faults.repair(); // first: a broker left frozen or down would make every close wait
        } finally {
            gates.forEach(CountDownLatch::countDown);
            for (Broker broker : brokers) {
                broker.close();
            }
            brokers.clear();
            gates.clear();
            server = null;
            client = null;
            if (env != null) {
                env.cleanup();
            }
        }
    }

    private RequestOptions patient() {
        return RequestOptions.builder().timeout(env().timeout()).throwOnTimeout().build();
    }

    private RequestOptions impatient() {
        return RequestOptions.timeout(env().shortTimeout());
    }

    private Message ask(Broker requester, String destination, Object body) {
        return requester.rpc().request(destination, body, patient()).orElseThrow();
    }

    private Subscriber echo(String destination) {
        return server().subscribe(destination, Message.class, message -> message);
    }

    private boolean await(CountDownLatch latch) throws InterruptedException {
        return latch.await(env().timeout().toMillis(), TimeUnit.MILLISECONDS);
    }

    private void awaitTrue(String what, BooleanSupplier condition) throws InterruptedException {
        awaitTrue(what, env().timeout(), condition);
    }

    private void awaitTrue(String what, Duration within, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("Timed out after " + within + " waiting until " + what);
            }
            Thread.sleep(5); // polling interval of a condition with a deadline, not a synchronisation
        }
    }

    /** Asserts that nothing more happens during the slack period (the only way to check an absence). */
    private void assertStaysEqual(String what, int expected, AtomicInteger counter) throws InterruptedException {
        long end = System.nanoTime() + env().slack().toNanos();
        while (System.nanoTime() < end) {
            assertEquals(expected, counter.get(), what);
            Thread.sleep(10);
        }
    }

    /** The future's value; it must complete within the longest request timeout the kit uses, plus the slack. */
    private <T> T get(CompletableFuture<T> future) throws Exception {
        Duration limit = env().timeout().multipliedBy(3).plus(env().slack());
        try {
            return future.get(limit.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return fail("Nothing completed the future within " + limit);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }

    private static long millisSince(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    private void assumeCapability(Capability capability) {
        assumeTrue(env().supports(capability), () -> "The transport lacks capability " + capability + " ("
                + capability.description() + "): " + env().lackReason(capability).orElse(""));
    }

    /** A record body for the round-trip rules. */
    public record Order(String id, int quantity, List<String> items, Map<String, Double> prices) {
    }

    // ---------------------------------------------------------------- 1 discovery and lifecycle

    @Nested
    @DisplayName("1 Discovery and lifecycle")
    class DiscoveryAndLifecycle {

        @Test
        @DisplayName("1.01 connecting by URI finds exactly this transport")
        void required_spec101_connectFindsExactlyThisTransport() {
            assertTrue(env().options().transport().isEmpty() && System.getProperty(BrokerOptions.TRANSPORT_PROPERTY) == null,
                    "rule 1.01 checks discovery by scheme: the environment must not choose the transport by name");
            try (Broker broker = env().connect()) {
                assertEquals(env().transportName(), broker.transportName(),
                        "the URI scheme must select the transport under test");
                assertTrue(broker.toString().contains(env().transportName()), "toString() names the transport: " + broker);
            }
        }

        @Test
        @DisplayName("1.02 close fails every pending request at once with reason CLOSED")
        void required_spec102_closeFailsPendingRequestsAtOnce() throws Exception {
            String destination = env().destination("close");
            CountDownLatch entered = new CountDownLatch(1);
            CountDownLatch release = gate();
            server().subscribe(destination, String.class, body -> {
                entered.countDown();
                release.await();
                return body;
            });
            Broker requester = connect();
            CompletableFuture<Message> reply = requester.rpc().requestAsync(destination, "wait",
                    RequestOptions.timeout(env().timeout().multipliedBy(3)));
            assertTrue(await(entered), "the handler should have received the request");
            long start = System.nanoTime();
            requester.close();
            ExecutionException failure = assertThrows(ExecutionException.class,
                    () -> reply.get(env().slack().toMillis(), TimeUnit.MILLISECONDS),
                    "close() must fail the pending request at once");
            RequestException cause = assertInstanceOf(RequestException.class, failure.getCause());
            assertEquals(RequestException.Reason.CLOSED, cause.reason());
            assertTrue(millisSince(start) <= env().slack().toMillis(), "took " + millisSince(start) + " ms");
            assertEquals(0, requester.rpc().pendingRequests());

            // a request still being prepared (its body being encoded) when the broker closes fails with
            // CLOSED at once and is never handed to the transport
            CountDownLatch encoding = new CountDownLatch(1);
            CountDownLatch closedMeanwhile = gate();
            Broker preparing = observed(options -> options.codec(
                    new HeldEncoding(env().options().codec(), encoding, closedMeanwhile)));
            String prepared = env().destination("close-while-preparing");
            CompletableFuture<Message> late = CompletableFuture.supplyAsync(() -> preparing.rpc().requestAsync(
                    prepared, HeldEncoding.HELD, RequestOptions.timeout(env().timeout().multipliedBy(3))))
                    .thenCompose(future -> future);
            assertTrue(await(encoding), "the request's body should be encoding");
            preparing.close();
            closedMeanwhile.countDown();
            ExecutionException closed = assertThrows(ExecutionException.class,
                    () -> late.get(env().slack().toMillis(), TimeUnit.MILLISECONDS),
                    "a request prepared while its broker closed must fail at once");
            RequestException reason = assertInstanceOf(RequestException.class, closed.getCause());
            assertEquals(RequestException.Reason.CLOSED, reason.reason(), reason.getMessage());
            assertEquals(List.of(), ObservingTransportProvider.requestsSent(prepared),
                    "a request of a closed broker must not be sent");
            assertEquals(0, preparing.rpc().pendingRequests());
        }

        /** A codec that holds the encoding of one marker body until the kit lets it go on. */
        private record HeldEncoding(Codec codec, CountDownLatch encoding, CountDownLatch goOn) implements Codec {
            static final Object HELD = new Object();

            @Override
            public EncodedBody encode(Object value) {
                if (value != HELD) {
                    return codec.encode(value);
                }
                encoding.countDown();
                try {
                    goOn.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return codec.encode("held");
            }

            @Override
            public <T> T decode(byte[] body, String contentType, Class<T> type) {
                return codec.decode(body, contentType, type);
            }
        }

        @Test
        @DisplayName("1.03 a closed broker refuses further use with BrokerClosedException")
        void required_spec103_closedBrokerRefusesUse() {
            Broker broker = connect();
            broker.close();
            broker.close(); // idempotent
            String destination = env().destination("closed");
            assertThrows(BrokerClosedException.class, () -> broker.publish(destination, "x"));
            assertThrows(BrokerClosedException.class, () -> broker.rpc().request(destination, "x"));
            assertThrows(BrokerClosedException.class, () -> broker.subscribe(destination, String.class, s -> s));
        }

        @Test
        @DisplayName("1.04 close lets a running handler finish and send its reply")
        void required_spec104_closeLetsRunningHandlersFinish() throws Exception {
            String destination = env().destination("drain");
            CountDownLatch entered = new CountDownLatch(1);
            CountDownLatch release = gate();
            Broker responder = connect();
            Subscriber subscriber = responder.subscribe(destination, String.class, body -> {
                entered.countDown();
                release.await();
                return "done:" + body;
            });
            CompletableFuture<Message> reply = client().rpc().requestAsync(destination, "job", patient());
            assertTrue(await(entered), "the handler should have received the request");
            CompletableFuture<Void> closing = CompletableFuture.runAsync(responder::close);
            awaitTrue("the subscription stops", () -> !subscriber.isActive());
            release.countDown();
            assertEquals("done:job", get(reply).bodyAsString());
            get(closing);
        }

        @Test
        @DisplayName("1.05 discovery fails typed and tells what it found: an unknown scheme or transport name is a TransportNotFoundException listing this transport, a URI without a scheme a ConfigurationException, and neither shows the URI's credentials; the name is matched ignoring case")
        void required_spec105_discoveryFailuresAreTypedAndHelpful() {
            String secret = "s3cret-" + UUID.randomUUID();
            TransportNotFoundException unknownScheme = assertThrows(TransportNotFoundException.class,
                    () -> brokers.add(Broker.connect("parley-no-such-scheme://user:" + secret + "@host:1")));
            assertTrue(unknownScheme.getMessage().contains("parley-no-such-scheme"), unknownScheme.getMessage());
            assertTrue(unknownScheme.getMessage().contains(env().transportName()),
                    "the message lists the transports found: " + unknownScheme.getMessage());
            assertFalse(unknownScheme.getMessage().contains(secret), "the message shows the URI's password");
            assertEquals("parley-no-such-scheme", unknownScheme.scheme(), "the exception names what was looked for");
            assertTrue(unknownScheme.getMessage().contains("for scheme 'parley-no-such-scheme'"), unknownScheme.getMessage());
            assertFalse(unknownScheme.getMessage().contains("lost service registrations"),
                    "the transports here are registered, so the message must not blame the packaging: "
                            + unknownScheme.getMessage());
            // Parley's own transports that are not here: the message names the artifact to add
            Map<String, String> own = Map.of("nats", "nats", "rabbit", "amqp", "redis", "redis", "kafka", "kafka",
                    "mqtt", "mqtt");
            own.forEach((name, scheme) -> {
                if (unknownScheme.found().stream().noneMatch(found -> found.startsWith(name + " "))) {
                    String artifact = "io.parley:parley-transport-" + name;
                    TransportNotFoundException byScheme = assertThrows(TransportNotFoundException.class,
                            () -> brokers.add(Broker.connect(scheme + "://127.0.0.1:1", env().options())));
                    assertTrue(byScheme.getMessage().contains(artifact), "the message must name " + artifact + ": "
                            + byScheme.getMessage());
                    TransportNotFoundException byName = assertThrows(TransportNotFoundException.class,
                            () -> brokers.add(env().connect(options -> options.transport(name))));
                    assertTrue(byName.getMessage().contains(artifact), "the message must name " + artifact + ": "
                            + byName.getMessage());
                }
            });
            assertTrue(unknownScheme.found().stream().anyMatch(found -> found.startsWith(env().transportName() + " ")),
                    "the exception lists the transports found, by name and schemes: " + unknownScheme.found());

            TransportNotFoundException unknownName = assertThrows(TransportNotFoundException.class,
                    () -> brokers.add(env().connect(options -> options.transport("parley-no-such-transport"))));
            assertTrue(unknownName.getMessage().contains("parley-no-such-transport"), unknownName.getMessage());
            assertTrue(unknownName.getMessage().contains(env().transportName()), unknownName.getMessage());

            ConfigurationException noScheme = assertThrows(ConfigurationException.class,
                    () -> brokers.add(Broker.connect("//user:" + secret + "@host:1")));
            assertFalse(noScheme.getMessage().contains(secret), "the message shows the URI's password");
            assertThrows(ConfigurationException.class, () -> brokers.add(Broker.connect(" ")));

            Broker byName = env().connect(options -> options.transport(env().transportName().toUpperCase(Locale.ROOT)));
            brokers.add(byName);
            assertEquals(env().transportName(), byName.transportName(), "a transport chosen by name, in any case");
            assertTrue(unknownName.getMessage().contains("explicit choice"), "the message says the name was chosen: "
                    + unknownName.getMessage());

            // -Dparley.transport chooses as BrokerOptions.transport does, when the options name none
            String before = System.getProperty(BrokerOptions.TRANSPORT_PROPERTY);
            System.setProperty(BrokerOptions.TRANSPORT_PROPERTY, "parley-no-such-transport-by-property");
            try {
                TransportNotFoundException byProperty = assertThrows(TransportNotFoundException.class,
                        () -> brokers.add(env().connect(options -> options)));
                assertTrue(byProperty.getMessage().contains("parley-no-such-transport-by-property"), byProperty.getMessage());
            } finally {
                if (before == null) {
                    System.clearProperty(BrokerOptions.TRANSPORT_PROPERTY);
                } else {
                    System.setProperty(BrokerOptions.TRANSPORT_PROPERTY, before);
                }
            }
        }

        @Test
        @DisplayName("1.06 a broker URI is read before any transport: server lists (IPv6 included) parse, a malformed URI is a ConfigurationException, and messages show it without user info, query or fragment")
        void required_spec106_brokerUrisAreReadAndRedacted() {
            String secret = "s3cret-" + UUID.randomUUID();
            BrokerOptions noSuchTransport = env().options().toBuilder().transport("parley-no-such-transport").build();
            Map<String, String> shownAs = new LinkedHashMap<>();
            shownAs.put("kit://user:" + secret + "@[::1]:4001,[::2]:4002/path?token=" + secret + "#" + secret,
                    "kit://***@[::1]:4001,[::2]:4002/path?***");
            shownAs.put("kit://[::1]:4001,[::2]:4002?x=" + secret, "kit://[::1]:4001,[::2]:4002?***");
            shownAs.put("kit://host-a:1,host-b:2/x#" + secret + "?y", "kit://host-a:1,host-b:2/x?***");
            shownAs.put("kit://[::1]:4001/x", "kit://[::1]:4001/x");
            shownAs.put("kit://a:1,[::2]:4002", "kit://a:1,[::2]:4002");
            shownAs.put("kit://", "kit://");
            shownAs.put("kit:opaque-part", "kit:opaque-part");
            shownAs.forEach((uri, shown) -> {
                TransportNotFoundException e = assertThrows(TransportNotFoundException.class,
                        () -> brokers.add(Broker.connect(uri, noSuchTransport)),
                        "'" + shown + "' is a well-formed URI: only the transport is missing");
                assertTrue(e.getMessage().contains(" " + shown + "."), "the message must show " + shown + ": " + e.getMessage());
                assertFalse(e.getMessage().contains(secret), "the message shows a secret: " + e.getMessage());
            });
            ConfigurationException malformed = assertThrows(ConfigurationException.class,
                    () -> brokers.add(Broker.connect("kit://user:" + secret + "@host name:1/x", noSuchTransport)));
            assertTrue(malformed.getMessage().contains("kit://***@host name:1/x"), malformed.getMessage());
            assertTrue(malformed.getMessage().contains("not a valid URI"), malformed.getMessage());
            assertFalse(malformed.getMessage().contains(secret), "the message shows a secret: " + malformed.getMessage());
            assertNull(malformed.getCause(), "the parser's exception repeats the URI, password included: it is not chained");
            ConfigurationException noScheme = assertThrows(ConfigurationException.class,
                    () -> brokers.add(Broker.connect("9kit://host:1", noSuchTransport)));
            assertTrue(noScheme.getMessage().contains("no scheme"), noScheme.getMessage());
            assertThrows(ConfigurationException.class, () -> brokers.add(Broker.connect(null, noSuchTransport)));
        }
    }

    // ---------------------------------------------------------------- 2 replies

    @Nested
    @DisplayName("2 Replies")
    class Replies {

        @Test
        @DisplayName("2.01 a handler's return value reaches the requester")
        void required_spec201_replyReachesRequester() {
            String destination = env().destination("greet");
            server().subscribe(destination, String.class, name -> "Hello, " + name);
            assertEquals("Hello, Ada", ask(client(), destination, "Ada").bodyAsString());
            assertEquals(0, client().rpc().pendingRequests(), "an answered request leaves the pending table");
            // the forms without options wait up to the broker's requestTimeout
            assertEquals("Hello, Bo", client().rpc().request(destination, "Bo").orElseThrow().bodyAsString());
            assertEquals("Hello, Cy", client().rpc().request(destination, "Cy", String.class).orElseThrow());
        }

        @Test
        @DisplayName("2.02 a null (void) result sends an empty reply")
        void required_spec202_nullResultSendsEmptyReply() {
            String destination = env().destination("void");
            AtomicInteger calls = new AtomicInteger();
            server().subscribe(destination, String.class, body -> {
                calls.incrementAndGet();
                return null;
            });
            Message reply = ask(client(), destination, "anything");
            assertEquals(0, reply.body().length);
            assertNull(reply.contentType());
            assertEquals(1, calls.get());
        }

        @Test
        @DisplayName("2.03 a Reply result sets reply headers")
        void required_spec203_replyObjectSetsHeaders() {
            String destination = env().destination("reply-headers");
            server().subscribe(destination, String.class,
                    body -> Reply.of("ok:" + body).withHeader("x-trace", "t-42").withHeader("x-shard", "7"));
            Message reply = ask(client(), destination, "a");
            assertEquals("ok:a", reply.bodyAsString());
            assertEquals("t-42", reply.header("x-trace"));
            assertEquals("7", reply.header("x-shard"));
        }

        @Test
        @DisplayName("2.04 request headers and the correlation id reach the handler; the reply carries the same id")
        void required_spec204_headersAndCorrelationIdRoundTrip() {
            String destination = env().destination("headers");
            AtomicReference<Message> seen = new AtomicReference<>();
            server().subscribe(destination, Message.class, message -> {
                seen.set(message);
                return "ok";
            });
            Message reply = client().rpc().request(destination, "h", RequestOptions.builder()
                    .timeout(env().timeout()).throwOnTimeout()
                    .header("x-tenant", "acme").headers(Map.of("x-unicode", "caf\u00e9", "x-zone", "eu")).build())
                    .orElseThrow();
            Message request = seen.get();
            assertEquals("acme", request.header("x-tenant"));
            assertEquals("eu", request.header("x-zone"), "headers given as a map are sent as the others");
            assertEquals("caf\u00e9", request.header("x-unicode"));
            assertTrue(request.correlationId() != null && !request.correlationId().isEmpty(),
                    "a request carries a correlation id");
            assertTrue(request.replyTo() != null, "a request carries a reply-to");
            assertEquals(request.correlationId(), reply.correlationId(), "the reply copies the correlation id");
            assertEquals(destination, request.destination(), "a received message names its destination");
            assertTrue(request.toString().contains(destination), "toString() names the destination: " + request);
            assertNotNull(request.unwrap(Object.class), "a received message gives its transport's native message");
            assertThrows(IllegalArgumentException.class, () -> request.unwrap(Thread.class),
                    "unwrap to a type the native message is not fails with IllegalArgumentException");
        }

        @Test
        @DisplayName("2.05 published headers and correlation id reach the handler")
        void required_spec205_publishedHeadersAndCorrelationIdArrive() throws Exception {
            String destination = env().destination("publish-headers");
            AtomicReference<Message> seen = new AtomicReference<>();
            CountDownLatch arrived = new CountDownLatch(1);
            server().subscribe(destination, Message.class, message -> {
                seen.set(message);
                arrived.countDown();
                return null;
            });
            get(client().publish(destination, Reply.of("event").withHeader("x-from-body", "reply").withHeader("x-both", "body"),
                    PublishOptions.builder().header("x-kind", "created").headers(Map.of("x-both", "options", "x-map", "m"))
                            .correlationId("cid-205").build()));
            assertTrue(await(arrived), "the message should arrive");
            assertEquals("event", seen.get().bodyAsString());
            assertEquals("created", seen.get().header("x-kind"));
            assertEquals("reply", seen.get().header("x-from-body"), "a Reply body's headers are sent with it");
            assertEquals("options", seen.get().header("x-both"), "on a header in both, the options win");
            assertEquals("m", seen.get().header("x-map"), "headers given as a map are sent as the others");
            assertEquals("cid-205", seen.get().correlationId());

            // a Reply without headers of its own still carries the options' headers
            AtomicReference<Message> plain = new AtomicReference<>();
            CountDownLatch plainArrived = new CountDownLatch(1);
            String plainDestination = env().destination("publish-headers-plain");
            server().subscribe(plainDestination, Message.class, message -> {
                plain.set(message);
                plainArrived.countDown();
                return null;
            });
            get(client().publish(plainDestination, Reply.of("plain"), PublishOptions.builder().header("x-kind", "plain").build()));
            assertTrue(await(plainArrived), "the message should arrive");
            assertEquals("plain", plain.get().header("x-kind"));
        }
    }

    // ---------------------------------------------------------------- 3 bodies

    @Nested
    @DisplayName("3 Bodies round-trip")
    class Bodies {

        @Test
        @DisplayName("3.01 String, as UTF-8 text/plain")
        void required_spec301_stringRoundTrips() {
            String destination = env().destination("string");
            server().subscribe(destination, String.class, text -> text + "!");
            Message reply = ask(client(), destination, "plain text");
            assertEquals("plain text!", reply.body(String.class));
            assertTrue(reply.contentType().startsWith("text/plain"), reply.contentType());
        }

        @Test
        @DisplayName("3.02 bytes, every byte value, without content type")
        void required_spec302_bytesRoundTrip() {
            String destination = env().destination("bytes");
            AtomicReference<String> contentType = new AtomicReference<>("unset");
            server().subscribe(destination, Message.class, message -> {
                contentType.set(message.contentType());
                return message.body();
            });
            byte[] all = new byte[256];
            for (int i = 0; i < all.length; i++) {
                all[i] = (byte) i;
            }
            Message reply = ask(client(), destination, all);
            assertArrayEquals(all, reply.body(byte[].class));
            assertNull(contentType.get(), "bytes travel without content type");
            assertNull(reply.contentType());
        }

        @Test
        @DisplayName("3.03 Map, as JSON")
        void required_spec303_mapRoundTrips() {
            String destination = env().destination("map");
            server().subscribe(destination, Map.class, map -> map);
            Map<String, Object> sent = new LinkedHashMap<>();
            sent.put("name", "Ada");
            sent.put("age", 36);
            sent.put("tags", List.of("a", "b"));
            Message reply = ask(client(), destination, sent);
            assertEquals(sent, reply.body(Map.class));
            assertTrue(reply.contentType().startsWith("application/json"), reply.contentType());
        }

        @Test
        @DisplayName("3.04 List, as JSON")
        void required_spec304_listRoundTrips() {
            String destination = env().destination("list");
            server().subscribe(destination, List.class, list -> list);
            List<Object> sent = List.of(1, "two", List.of(3), Map.of("four", 4));
            assertEquals(sent, ask(client(), destination, sent).body(List.class));
        }

        @Test
        @DisplayName("3.05 a record, as JSON")
        void required_spec305_recordRoundTrips() {
            String destination = env().destination("record");
            server().subscribe(destination, Order.class,
                    order -> new Order(order.id(), order.quantity() * 2, order.items(), order.prices()));
            Order sent = new Order("o-1", 3, List.of("tea", "scones"), Map.of("tea", 2.5));
            Order reply = client().rpc().request(destination, sent, Order.class, patient()).orElseThrow();
            assertEquals(new Order("o-1", 6, List.of("tea", "scones"), Map.of("tea", 2.5)), reply);
        }

        @Test
        @DisplayName("3.06 an empty (null) body, without content type")
        void required_spec306_emptyBodyRoundTrips() {
            String destination = env().destination("empty");
            AtomicReference<Message> seen = new AtomicReference<>();
            server().subscribe(destination, Message.class, message -> {
                seen.set(message);
                return message;
            });
            Message reply = ask(client(), destination, null);
            assertEquals(0, seen.get().body().length);
            assertNull(seen.get().contentType());
            assertEquals(0, reply.body().length);
        }

        @Test
        @DisplayName("3.07 non-ASCII text")
        void required_spec307_nonAsciiTextRoundTrips() {
            String destination = env().destination("unicode");
            server().subscribe(destination, String.class, text -> text);
            String text = "Gr\u00fc\u00dfe, \u65e5\u672c, \u0928\u092e\u0938\u094d\u0924\u0947, emoji \ud83d\udc4b";
            Message reply = ask(client(), destination, text);
            assertEquals(text, reply.bodyAsString());
            assertArrayEquals(text.getBytes(StandardCharsets.UTF_8), reply.body());
        }

        @Test
        @DisplayName("3.08 a 1 MiB body")
        void optional_spec308_oneMebibyteBodyRoundTrips() {
            assumeCapability(Capability.LARGE_MESSAGES);
            String destination = env().destination("large");
            server().subscribe(destination, byte[].class, bytes -> bytes);
            byte[] large = new byte[1024 * 1024];
            new Random(308).nextBytes(large);
            assertArrayEquals(large, ask(client(), destination, large).body());
        }

        /** What a synchronous handler recorded before its reply arrived. */
        private <T> T handled(LinkedBlockingQueue<T> seen) {
            T item = seen.poll();
            assertNotNull(item, "the handler ran before its reply arrived, so it has recorded what it got");
            return item;
        }

        @Test
        @DisplayName("3.09 a body read as Object takes its natural type: text as String, JSON as Map or List, other bytes without content type as byte[], an empty body as null")
        void required_spec309_objectBodiesTakeTheirNaturalType() {
            String destination = env().destination("natural");
            LinkedBlockingQueue<Optional<Object>> seen = new LinkedBlockingQueue<>();
            server().subscribe(destination, Object.class, body -> {
                seen.add(Optional.ofNullable(body));
                return body;
            });
            Map<String, Object> map = Map.of("name", "Ada", "langs", List.of("en", "fr"));
            byte[] binary = {(byte) 0xff, 0, (byte) 0x80, 'x'};
            byte[] jsonBytes = "[1,2]".getBytes(StandardCharsets.UTF_8);
            List<Object> sent = List.of("plain text", map, List.of(1, "two"), binary, jsonBytes);
            List<Object> expected = List.of("plain text", map, List.of(1, "two"), binary, List.of(1, 2));
            for (int i = 0; i < sent.size(); i++) {
                Message reply = ask(client(), destination, sent.get(i));
                Object got = handled(seen).orElse(null);
                Object want = expected.get(i);
                if (want instanceof byte[] bytes) {
                    assertTrue(got instanceof byte[], "bytes that are not JSON and have no content type stay bytes: " + got);
                    assertArrayEquals(bytes, (byte[]) got);
                    assertArrayEquals(bytes, reply.body(Object.class) instanceof byte[] back ? back : null,
                            "the requester reads the reply the same way");
                } else {
                    assertEquals(want, got, "body " + i);
                    assertEquals(want, reply.body(Object.class), "the requester reads reply " + i + " the same way");
                }
            }
            ask(client(), destination, null);
            assertTrue(handled(seen).isEmpty(), "an empty body is null");
        }
    }

    // ---------------------------------------------------------------- 4 concurrency

    @Nested
    @DisplayName("4 Concurrency")
    class Concurrency {

        @Test
        @DisplayName("4.01 1,000 concurrent requests on one connection each get their own reply")
        void required_spec401_concurrentRequestsGetTheirOwnReplies() throws Exception {
            String destination = env().destination("concurrent");
            server().subscribe(destination, String.class, body -> "re:" + body);
            RequestOptions options = RequestOptions.builder().timeout(env().timeout().multipliedBy(3)).build();
            List<CompletableFuture<Message>> replies = IntStream.range(0, 1_000)
                    .mapToObj(i -> client().rpc().requestAsync(destination, "n" + i, options))
                    .toList();
            for (int i = 0; i < replies.size(); i++) {
                assertEquals("re:n" + i, get(replies.get(i)).bodyAsString(), "reply to request " + i);
            }
            assertEquals(0, client().rpc().pendingRequests());
        }

        @Test
        @DisplayName("4.02 two requesters on one destination each get only their own replies")
        void required_spec402_requestersGetOnlyTheirOwnReplies() throws Exception {
            String destination = env().destination("two-requesters");
            server().subscribe(destination, String.class, body -> "re:" + body);
            Broker other = connect();
            List<CompletableFuture<Message>> first = new ArrayList<>();
            List<CompletableFuture<Message>> second = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                first.add(client().rpc().requestAsync(destination, "A" + i, patient()));
                second.add(other.rpc().requestAsync(destination, "B" + i, patient()));
            }
            for (int i = 0; i < 200; i++) {
                assertEquals("re:A" + i, get(first.get(i)).bodyAsString());
                assertEquals("re:B" + i, get(second.get(i)).bodyAsString());
            }
        }

        @Test
        @DisplayName("4.03 replies sent in the reverse order of their requests reach their own requesters")
        void required_spec403_repliesOutOfOrderReachTheirOwnRequesters() throws Exception {
            String destination = env().destination("reversed");
            CountDownLatch secondArrived = new CountDownLatch(1);
            CountDownLatch secondAnswered = new CountDownLatch(1);
            server().subscribe(destination, String.class, SubscribeOptions.builder().concurrency(2).build(), body -> {
                if (body.equals("first")) {
                    // held until the second request was answered, so the replies go out reversed
                    assertTrue(await(secondArrived), "the second request should arrive while the first is held");
                    assertTrue(await(secondAnswered), "the second reply should have been sent");
                } else {
                    secondArrived.countDown();
                }
                return "re:" + body;
            });
            CompletableFuture<Message> first = client().rpc().requestAsync(destination, "first", patient());
            CompletableFuture<Message> second = client().rpc().requestAsync(destination, "second", patient());
            assertEquals("re:second", get(second).bodyAsString());
            secondAnswered.countDown();
            assertEquals("re:first", get(first).bodyAsString());
        }
    }

    // ---------------------------------------------------------------- 5 timeouts and cancellation

    @Nested
    @DisplayName("5 Timeouts and cancellation")
    class Timeouts {

        private String silent() {
            String destination = env().destination("silent");
            CountDownLatch never = gate();
            server().subscribe(destination, String.class, body -> {
                never.await();
                return body;
            });
            return destination;
        }

        @Test
        @DisplayName("5.01 a blocking request returns no answer at its timeout")
        void required_spec501_timeoutReturnsNoAnswer() {
            String destination = silent();
            long start = System.nanoTime();
            Optional<Message> reply = client().rpc().request(destination, "?", impatient());
            long took = millisSince(start);
            assertTrue(reply.isEmpty(), "no answer expected");
            assertTrue(took >= env().shortTimeout().toMillis() - 1, "returned early: " + took + " ms");
            assertTrue(took <= env().shortTimeout().plus(env().slack()).toMillis(), "returned late: " + took + " ms");
            assertEquals(0, client().rpc().pendingRequests());

            // without options, the broker's requestTimeout bounds every form of request
            Broker shortWait = env().connect(options -> options.requestTimeout(env().shortTimeout()));
            brokers.add(shortWait);
            List<Executable> defaults = List.of(
                    () -> assertTrue(shortWait.rpc().request(destination, "?").isEmpty(), "no answer expected"),
                    () -> assertTrue(shortWait.rpc().request(destination, "?", String.class).isEmpty(), "no answer expected"),
                    () -> {
                        Throwable failure = assertThrows(ExecutionException.class, () -> shortWait.rpc()
                                .requestAsync(destination, "?").get(env().timeout().toMillis(), TimeUnit.MILLISECONDS))
                                .getCause();
                        assertInstanceOf(RequestException.class, failure);
                        assertEquals(RequestException.Reason.TIMEOUT, ((RequestException) failure).reason());
                    });
            for (Executable call : defaults) {
                long began = System.nanoTime();
                assertDoesNotThrow(call);
                long waited = millisSince(began);
                assertTrue(waited >= env().shortTimeout().toMillis() - 1, "returned early: " + waited + " ms");
                assertTrue(waited <= env().shortTimeout().plus(env().slack()).toMillis(), "returned late: " + waited + " ms");
            }
            assertEquals(0, shortWait.rpc().pendingRequests());
        }

        @Test
        @DisplayName("5.02 a blocking request throws a TIMEOUT RequestException when asked to")
        void required_spec502_timeoutThrowsWhenAsked() {
            String destination = silent();
            long start = System.nanoTime();
            RequestException e = assertThrows(RequestException.class, () -> client().rpc().request(destination, "?",
                    RequestOptions.builder().timeout(env().shortTimeout()).throwOnTimeout().build()));
            long took = millisSince(start);
            assertEquals(RequestException.Reason.TIMEOUT, e.reason());
            assertEquals(destination, e.destination());
            for (String says : List.of(destination, "TIMEOUT", env().shortTimeout().toString(), env().transportName())) {
                assertTrue(e.getMessage().contains(says), "the message must name " + says + ": " + e.getMessage());
            }
            assertTrue(took >= env().shortTimeout().toMillis() - 1, "threw early: " + took + " ms");
            assertTrue(took <= env().shortTimeout().plus(env().slack()).toMillis(), "threw late: " + took + " ms");
        }

        @Test
        @DisplayName("5.03 a request without timeout waits for a slow handler")
        void required_spec503_noTimeoutWaitsForSlowHandler() throws Exception {
            String destination = env().destination("slow");
            CountDownLatch release = gate();
            server().subscribe(destination, String.class, body -> {
                release.await();
                return "finally:" + body;
            });
            Broker requester = env().connect(options -> options.requestTimeout(env().shortTimeout()));
            brokers.add(requester);
            CompletableFuture<Message> reply = requester.rpc().requestAsync(destination, "x",
                    RequestOptions.builder().noTimeout().build());
            // Twice the broker's default timeout passes: a request that had one would have failed by now.
            assertThrows(TimeoutException.class,
                    () -> reply.get(env().shortTimeout().toMillis() * 2, TimeUnit.MILLISECONDS));
            release.countDown();
            assertEquals("finally:x", get(reply).bodyAsString());
        }

        @Test
        @DisplayName("5.04 an asynchronous request completes its future with the reply")
        void required_spec504_asyncRequestCompletes() throws Exception {
            String destination = env().destination("async");
            server().subscribe(destination, Integer.class, n -> n * n);
            CompletableFuture<Integer> squared = client().rpc().requestAsync(destination, 12, patient())
                    .thenApply(reply -> reply.body(Integer.class));
            assertEquals(144, get(squared));

            // a stage chained to the future (before it completes) no longer counts its request, however it ended
            Map<String, CountDownLatch> answers = Map.of("ok", gate(), "fail", gate());
            String held = env().destination("async-held");
            server().subscribe(held, String.class, body -> {
                answers.get(body).await();
                if (body.equals("fail")) {
                    throw new IllegalStateException("failed on purpose");
                }
                return body;
            });
            CompletableFuture<Integer> afterTimeout = client().rpc().requestAsync(silent(), "?", impatient())
                    .handle((reply, failure) -> client().rpc().pendingRequests());
            assertEquals(0, get(afterTimeout), "a stage chained to a timed-out request still counts it");
            for (String body : List.of("ok", "fail")) {
                CompletableFuture<Integer> after = client().rpc().requestAsync(held, body, patient())
                        .handle((reply, failure) -> client().rpc().pendingRequests());
                answers.get(body).countDown();
                assertEquals(0, get(after), "a stage chained to the request answered '" + body + "' still counts it");
            }
        }

        @Test
        @DisplayName("5.05 cancelling an asynchronous request frees its pending entry at once")
        void required_spec505_cancelFreesPendingEntry() throws Exception {
            String destination = silent();
            CompletableFuture<Message> reply = client().rpc().requestAsync(destination, "?", patient());
            assertEquals(1, client().rpc().pendingRequests());
            assertTrue(reply.cancel(true));
            assertEquals(0, client().rpc().pendingRequests(), "the entry must leave the table on cancel");
        }

        @Test
        @DisplayName("5.06 a late reply after the timeout is dropped, and the table is empty")
        void required_spec506_lateReplyIsDropped() throws Exception {
            String destination = env().destination("late");
            CountDownLatch release = gate();
            CountDownLatch lateSent = new CountDownLatch(1);
            server().subscribe(destination, String.class, body -> {
                if (body.equals("late")) {
                    release.await();
                    lateSent.countDown();
                }
                return body;
            });
            assertTrue(client().rpc().request(destination, "late", impatient()).isEmpty());
            release.countDown();
            assertTrue(await(lateSent));
            assertEquals("fresh", ask(client(), destination, "fresh").bodyAsString(),
                    "a new request must get its own reply, not the late one");
            assertEquals(0, client().rpc().pendingRequests());
        }
    }

    // ---------------------------------------------------------------- 6 reply-to

    @Nested
    @DisplayName("6 Reply-to and no reply")
    class ReplyTo {

        @Test
        @DisplayName("6.01 a published reply-to delivers the answer to that destination's subscriber")
        void required_spec601_replyToDeliversToOtherSubscriber() throws Exception {
            String destination = env().destination("nonblocking");
            String answers = env().destination("answers");
            server().subscribe(destination, String.class, body -> "re:" + body);
            BlockingList received = new BlockingList();
            client().subscribe(answers, Message.class, message -> {
                received.add(message);
                return null;
            });
            get(client().publish(destination, "ping", PublishOptions.builder()
                    .replyTo(answers).correlationId("cid-601").build()));
            Message answer = received.take(env().timeout());
            assertEquals("re:ping", answer.bodyAsString());
            assertEquals("cid-601", answer.correlationId());
        }

        @Test
        @DisplayName("6.02 without reply-to the handler runs and nothing is sent back")
        void required_spec602_noReplyToMeansNoReply() throws Exception {
            String destination = env().destination("oneway");
            String answers = env().destination("oneway-answers");
            AtomicInteger handled = new AtomicInteger();
            List<String> replyTos = Collections.synchronizedList(new ArrayList<>());
            server().subscribe(destination, Message.class, message -> {
                replyTos.add(String.valueOf(message.replyTo()));
                handled.incrementAndGet();
                return "reply to " + message.bodyAsString();
            });
            AtomicInteger answered = new AtomicInteger();
            client().subscribe(answers, String.class, body -> {
                answered.incrementAndGet();
                return null;
            });
            get(client().publish(destination, "one-way"));
            get(client().publish(destination, "two-way", PublishOptions.replyTo(answers)));
            awaitTrue("both messages are handled", () -> handled.get() == 2);
            awaitTrue("the two-way message is answered", () -> answered.get() >= 1);
            assertStaysEqual("only the message with a reply-to is answered", 1, answered);
            assertTrue(replyTos.contains("null"), "the one-way message must arrive without reply-to: " + replyTos);
        }

        @Test
        @DisplayName("6.03 a subscription that opts out of replies sends none")
        void required_spec603_optOutSendsNoReply() throws Exception {
            String destination = env().destination("optout");
            AtomicInteger handled = new AtomicInteger();
            server().subscribe(destination, String.class, SubscribeOptions.builder().noReplies().build(), body -> {
                handled.incrementAndGet();
                return "must not be sent";
            });
            Optional<Message> reply = client().rpc().request(destination, "x", impatient());
            assertTrue(reply.isEmpty(), "no reply expected, got " + reply);
            awaitTrue("the handler ran", () -> handled.get() == 1);
        }
    }

    // ---------------------------------------------------------------- 7 many replies

    @Nested
    @DisplayName("7 Many replies")
    class ManyReplies {

        private List<String> bodies(Stream<Message> replies) {
            try (replies) {
                return replies.map(Message::bodyAsString).collect(Collectors.toList());
            }
        }

        @Test
        @DisplayName("7.01 the stream ends after the maximum count, in the order sent")
        void required_spec701_manyEndByCount() {
            String destination = env().destination("many-count");
            server().subscribe(destination, Message.class, message -> {
                for (String part : List.of("a", "b", "c", "d")) {
                    message.reply(part);
                }
                return "e";
            });
            try (Stream<Message> replies = client().rpc().requestMany(destination, "go",
                    RequestOptions.builder().maxReplies(3).timeout(env().timeout()).build())) {
                Iterator<Message> each = replies.iterator();
                List<String> got = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    got.add(each.next().bodyAsString());
                }
                assertEquals(List.of("a", "b", "c"), got);
                assertEquals(0, client().rpc().pendingRequests(), "the last reply by count ends the request at once");
                assertFalse(each.hasNext(), "no reply after the count");
            }
        }

        @Test
        @DisplayName("7.02 the stream ends at its deadline")
        void required_spec702_manyEndByDeadline() {
            String destination = env().destination("many-deadline");
            CountDownLatch never = gate();
            server().subscribe(destination, Message.class, message -> {
                message.reply("first");
                never.await();
                return "never";
            });
            long start = System.nanoTime();
            List<String> got = bodies(client().rpc().requestMany(destination, "go",
                    RequestOptions.builder().timeout(env().shortTimeout().multipliedBy(2)).build()));
            long took = millisSince(start);
            assertEquals(List.of("first"), got);
            assertTrue(took >= env().shortTimeout().toMillis() * 2 - 1, "ended early: " + took + " ms");
            assertTrue(took <= env().shortTimeout().multipliedBy(2).plus(env().slack()).toMillis(),
                    "ended late: " + took + " ms");
        }

        @Test
        @DisplayName("7.03 the stream ends after a gap with no reply")
        void required_spec703_manyEndByGap() {
            String destination = env().destination("many-gap");
            CountDownLatch never = gate();
            long pause = env().shortTimeout().toNanos() / 4;
            server().subscribe(destination, Message.class, message -> {
                message.reply("one");
                LockSupport.parkNanos(pause); // a slow producer: a pause shorter than the gap does not end the stream
                message.reply("two");
                LockSupport.parkNanos(pause);
                message.reply("three");
                never.await();
                return "never";
            });
            long start = System.nanoTime();
            List<String> got;
            try (Stream<Message> replies = client().rpc().requestMany(destination, "go", RequestOptions.builder()
                    .timeout(env().timeout().multipliedBy(3)).gap(env().shortTimeout()).build())) {
                got = replies.map(Message::bodyAsString).collect(Collectors.toList());
                assertEquals(0, client().rpc().pendingRequests(), "the gap ends the request, before the stream is closed");
            }
            long took = millisSince(start);
            assertEquals(List.of("one", "two", "three"), got);
            assertTrue(took < env().timeout().multipliedBy(3).toMillis(), "the gap did not end it: " + took + " ms");
        }

        @Test
        @DisplayName("7.04 the stream ends at the end-of-stream sentinel; a returned Stream is many replies")
        void required_spec704_manyEndBySentinel() {
            String destination = env().destination("many-sentinel");
            server().subscribe(destination, Integer.class,
                    count -> IntStream.rangeClosed(1, count).mapToObj(i -> "part " + i));
            long start = System.nanoTime();
            List<String> got;
            try (Stream<Message> replies = client().rpc().requestMany(destination, 4,
                    RequestOptions.builder().timeout(env().timeout().multipliedBy(3)).build())) {
                got = replies.map(Message::bodyAsString).collect(Collectors.toList());
                assertEquals(0, client().rpc().pendingRequests(), "the sentinel ends the request, before the stream is closed");
            }
            assertEquals(List.of("part 1", "part 2", "part 3", "part 4"), got);
            assertTrue(millisSince(start) < env().timeout().toMillis(), "the sentinel did not end it");
        }

        @Test
        @DisplayName("7.05 with keepEmptyReplies() an empty reply is a message like the others: the stream ends by count, gap or deadline instead")
        void required_spec705_keepEmptyRepliesDeliversThem() {
            String destination = env().destination("many-empty");
            server().subscribe(destination, Message.class, message -> {
                message.reply("a");
                message.reply(null);
                message.reply("b");
                return null; // an empty reply too
            });
            List<String> kept;
            try (Stream<Message> replies = client().rpc().requestMany(destination, "go", RequestOptions.builder()
                    .timeout(env().timeout()).maxReplies(4).keepEmptyReplies().build())) {
                kept = replies.map(Message::bodyAsString).collect(Collectors.toList());
            }
            assertEquals(List.of("a", "", "b", ""), kept, "every reply, the empty ones included, in the order sent");
            assertEquals(0, client().rpc().pendingRequests(), "the count ended the request");
            assertEquals(List.of("a"), bodies(client().rpc().requestMany(destination, "go",
                    RequestOptions.builder().timeout(env().timeout()).maxReplies(4).build())),
                    "without keepEmptyReplies() the first empty reply ends the stream");
        }
    }

    // ---------------------------------------------------------------- 8 errors and no responders

    @Nested
    @DisplayName("8 Errors and no responders")
    class Errors {

        @Test
        @DisplayName("8.01 a failing handler gives the requester a RemoteHandlerException at once, its text only when the subscription sends details")
        void required_spec801_handlerFailureIsRemoteError() {
            String destination = env().destination("fails");
            String detailed = env().destination("fails-detailed");
            server().subscribe(destination, String.class, body -> {
                throw new IllegalStateException("boom on " + body);
            });
            server().subscribe(detailed, String.class, SubscribeOptions.builder().errorDetails(true).build(), body -> {
                throw new IllegalStateException("boom on " + body);
            });
            RequestOptions patientOnes = RequestOptions.builder().timeout(env().timeout().multipliedBy(3)).throwOnTimeout()
                    .build();
            long start = System.nanoTime();
            RemoteHandlerException e = assertThrows(RemoteHandlerException.class,
                    () -> client().rpc().request(destination, "order-7", patientOnes));
            assertTrue(millisSince(start) < env().timeout().toMillis(), "the error must not wait for the timeout");
            assertEquals(500, e.code());
            assertEquals(RequestException.Reason.REMOTE_ERROR, e.reason());
            assertEquals(0, client().rpc().pendingRequests(), "a request ended by an error reply leaves the pending table");
            assertTrue(e.remoteMessage().matches("the handler failed \\(error id [0-9a-f]{8}\\)"),
                    "by default the caller gets no internals, only an error id: " + e.remoteMessage());
            RemoteHandlerException withDetails = assertThrows(RemoteHandlerException.class,
                    () -> client().rpc().request(detailed, "order-7", patientOnes));
            assertEquals(500, withDetails.code());
            assertTrue(withDetails.remoteMessage().contains("boom on order-7"), withDetails.remoteMessage());

            // a broker's errorDetails(true) is the default of its subscriptions, which may still turn it off
            Broker detailing = env().connect(options -> options.errorDetails(true));
            brokers.add(detailing);
            String byBroker = env().destination("fails-broker-details");
            String optedOut = env().destination("fails-opted-out");
            detailing.subscribe(byBroker, String.class, body -> {
                throw new IllegalStateException("boom on " + body);
            });
            detailing.subscribe(optedOut, String.class, SubscribeOptions.builder().errorDetails(false).build(), body -> {
                throw new IllegalStateException("boom on " + body);
            });
            assertTrue(assertThrows(RemoteHandlerException.class, () -> client().rpc().request(byBroker, "order-8",
                    patientOnes)).remoteMessage().contains("boom on order-8"), "the broker's setting sends details");
            assertFalse(assertThrows(RemoteHandlerException.class, () -> client().rpc().request(optedOut, "order-9",
                    patientOnes)).remoteMessage().contains("boom"), "the subscription's setting wins");
        }

        @Test
        @DisplayName("8.02 an undecodable body gives a codec error reply and the subscription keeps consuming")
        void required_spec802_undecodableBodyIsCodecErrorAndConsumingGoesOn() {
            String destination = env().destination("undecodable");
            AtomicInteger handled = new AtomicInteger();
            server().subscribe(destination, Order.class, order -> {
                handled.incrementAndGet();
                return order.id();
            });
            RemoteHandlerException e = assertThrows(RemoteHandlerException.class,
                    () -> client().rpc().request(destination, "{not json", patient()));
            assertEquals(400, e.code());
            assertTrue(e.remoteMessage().startsWith("the request could not be read or decoded (error id "),
                    e.remoteMessage());
            String detailed = env().destination("undecodable-detailed");
            server().subscribe(detailed, Order.class, SubscribeOptions.builder().errorDetails(true).build(), Order::id);
            RemoteHandlerException withDetails = assertThrows(RemoteHandlerException.class,
                    () -> client().rpc().request(detailed, "{not json", patient()));
            assertTrue(withDetails.remoteMessage().contains(Order.class.getName()), withDetails.remoteMessage());
            assertTrue(withDetails.remoteMessage().contains("text/plain"), "the details name the content type: "
                    + withDetails.remoteMessage());
            assertEquals("o-2", ask(client(), destination, new Order("o-2", 1, List.of(), Map.of())).bodyAsString(),
                    "the subscription must go on consuming after a bad body");
            assertEquals(1, handled.get());
        }

        @Test
        @DisplayName("8.03 a request nobody subscribes to ends within its timeout")
        void required_spec803_requestWithoutRespondersEnds() {
            String destination = env().destination("nobody");
            long start = System.nanoTime();
            try {
                Optional<Message> reply = client().rpc().request(destination, "anyone?", impatient());
                assertTrue(reply.isEmpty(), "nobody can answer");
            } catch (RequestException e) {
                assertEquals(RequestException.Reason.NO_RESPONDERS, e.reason(), e.getMessage());
            }
            assertTrue(millisSince(start) <= env().shortTimeout().plus(env().slack()).toMillis());
            assertEquals(0, client().rpc().pendingRequests());
        }

        @Test
        @DisplayName("8.04 no responders is reported at once with reason NO_RESPONDERS")
        void optional_spec804_noRespondersReportedAtOnce() {
            assumeCapability(Capability.NO_RESPONDERS);
            String destination = env().destination("nobody-fast");
            long start = System.nanoTime();
            RequestException e = assertThrows(RequestException.class,
                    () -> client().rpc().request(destination, "anyone?", RequestOptions.builder()
                            .timeout(env().timeout().multipliedBy(3)).throwOnTimeout().build()));
            assertEquals(RequestException.Reason.NO_RESPONDERS, e.reason());
            assertTrue(millisSince(start) <= env().slack().toMillis(), "took " + millisSince(start) + " ms");
        }
    }

    // ---------------------------------------------------------------- 9 groups

    @Nested
    @DisplayName("9 Groups")
    class Groups {

        private static final int MESSAGES = 40;

        private Map<String, AtomicInteger> publishToGroup(Map<String, AtomicInteger> perMember, String... members)
                throws Exception {
            String destination = env().destination("group");
            Map<String, AtomicInteger> perMessage = new ConcurrentHashMap<>();
            AtomicInteger total = new AtomicInteger();
            for (String member : members) {
                Broker broker = connect();
                perMember.put(member, new AtomicInteger());
                broker.subscribe(destination, String.class, SubscribeOptions.group("workers"), body -> {
                    perMessage.computeIfAbsent(body, k -> new AtomicInteger()).incrementAndGet();
                    perMember.get(member).incrementAndGet();
                    total.incrementAndGet();
                    return null;
                });
            }
            for (int i = 0; i < MESSAGES; i++) {
                get(client().publish(destination, "m" + i));
            }
            awaitTrue("the group handled " + MESSAGES + " messages", () -> total.get() >= MESSAGES);
            assertStaysEqual("no message may be handled twice", MESSAGES, total);
            return perMessage;
        }

        @Test
        @DisplayName("9.01 each message is handled once per group")
        void required_spec901_eachMessageHandledOncePerGroup() throws Exception {
            Map<String, AtomicInteger> perMessage = publishToGroup(new ConcurrentHashMap<>(), "w1", "w2");
            assertEquals(MESSAGES, perMessage.size());
            perMessage.forEach((body, count) -> assertEquals(1, count.get(), body + " handled " + count + " times"));
        }

        @Test
        @DisplayName("9.02 the members of a group share the work")
        void optional_spec902_groupMembersShareTheWork() throws Exception {
            assumeCapability(Capability.GROUP_WORK_SHARING);
            Map<String, AtomicInteger> perMember = new ConcurrentHashMap<>();
            publishToGroup(perMember, "w1", "w2");
            perMember.forEach((member, count) -> assertTrue(count.get() > 0, member + " got no work: " + perMember));
        }

        @Test
        @DisplayName("9.03 every group, and every subscriber without group, gets each message")
        void optional_spec903_eachGroupGetsEveryMessage() throws Exception {
            assumeCapability(Capability.FAN_OUT);
            String destination = env().destination("fanout");
            AtomicInteger groupA = new AtomicInteger();
            AtomicInteger groupB = new AtomicInteger();
            AtomicInteger solo = new AtomicInteger();
            connect().subscribe(destination, String.class, SubscribeOptions.group("a"), body -> groupA.incrementAndGet());
            connect().subscribe(destination, String.class, SubscribeOptions.group("b"), body -> groupB.incrementAndGet());
            connect().subscribe(destination, String.class, body -> solo.incrementAndGet());
            for (int i = 0; i < 10; i++) {
                get(client().publish(destination, "m" + i));
            }
            awaitTrue("every group got 10 messages", () -> groupA.get() >= 10 && groupB.get() >= 10 && solo.get() >= 10);
            assertStaysEqual("group a gets each message once", 10, groupA);
            assertEquals(10, groupB.get());
            assertEquals(10, solo.get());
        }
    }

    // ---------------------------------------------------------------- 10 faults

    /** Tagged {@code faults}: {@code mvn verify -Dgroups=faults} runs only this section. */
    @Nested
    @Tag("faults")
    @DisplayName("10 Faults")
    class Faults {

        private static final int IN_FLIGHT = 32;
        private static final int BURST = 8_192;
        private static final int AT_LEAST_ONCE_MESSAGES = 1_000;
        private static final int KILL_AFTER = 300;

        /** The controlled broker; skips the rule when the transport or the environment cannot give one. */
        private BrokerControl control() {
            assumeCapability(Capability.REMOTE_BROKER);
            Optional<BrokerControl> control = env().brokerControl();
            assumeTrue(control.isPresent(), "the environment gives no broker control"
                    + " (KitEnvironment.Builder.brokerControl), so the rules that break the broker cannot run");
            return control.get();
        }

        private Broker connectTo(BrokerControl control) {
            Broker broker = env().connect(control.uri());
            brokers.add(broker);
            return broker;
        }

        private RequestOptions faultOptions() {
            return RequestOptions.timeout(env().faultTimeout());
        }

        /** Polls with short requests until one is answered; returns how long it took. */
        private long awaitAnswered(Broker requester, String destination, Duration within) throws InterruptedException {
            long start = System.nanoTime();
            RequestOptions probe = RequestOptions.timeout(Duration.ofMillis(Math.min(1_000, within.toMillis())));
            while (true) {
                try {
                    if (requester.rpc().request(destination, "probe", probe).isPresent()) {
                        return millisSince(start);
                    }
                } catch (RequestException e) {
                    // still away or recovering: a typed failure, try again
                }
                if (millisSince(start) > within.toMillis()) {
                    return fail("no request to '" + destination + "' was answered within " + within
                            + " after the broker was back");
                }
                Thread.sleep(20); // polling interval of a condition with a deadline
            }
        }

        @Test
        @DisplayName("10.01 a timeout is a hard bound: with the broker frozen or down, calls return at once and requests end in time")
        void required_spec1001_timeoutIsAHardBound() throws Exception {
            BrokerControl control = control();
            for (String fault : List.of("frozen", "down")) {
                String destination = env().destination("bound");
                Broker responder = connectTo(control);
                Broker requester = connectTo(control);
                responder.subscribe(destination, String.class, body -> "re:" + body);
                assertEquals("re:warm", ask(requester, destination, "warm").bodyAsString());
                if (fault.equals("frozen")) {
                    faults.freeze(control);
                } else {
                    faults.kill(control);
                }
                assertBounded(fault, requester, destination);
                if (fault.equals("frozen")) {
                    faults.thaw(control);
                    long resumed = awaitAnswered(requester, destination, env().resumeWithin());
                    log.info("10.01 [{}] served again {} ms after the broker was thawed", env().transportName(), resumed);
                } else {
                    faults.restart(control);
                }
            }
        }

        private void assertBounded(String fault, Broker requester, String destination) throws Exception {
            Duration timeout = env().faultTimeout();
            Duration slack = env().slack();
            RequestOptions options = faultOptions();
            List<CompletableFuture<Message>> replies = new ArrayList<>();
            long[] sentAt = new long[IN_FLIGHT];
            long[] endedAt = new long[IN_FLIGHT];
            long longestCall = 0;
            for (int i = 0; i < IN_FLIGHT; i++) {
                int index = i;
                sentAt[i] = System.nanoTime();
                // the stage of whenComplete ends after its action: endedAt is set when get() returns
                replies.add(requester.rpc().requestAsync(destination, "n" + i, options)
                        .whenComplete((reply, failure) -> endedAt[index] = System.nanoTime()));
                longestCall = Math.max(longestCall, millisSince(sentAt[i]));
                long start = System.nanoTime();
                requester.publish(destination, "p" + i); // its future may stay open while the broker is away
                longestCall = Math.max(longestCall, millisSince(start));
            }
            assertTrue(longestCall <= slack.toMillis(), "broker " + fault + ": requestAsync or publish held its caller for "
                    + longestCall + " ms; they must return at once whatever the broker does");
            // a burst bigger than socket buffers: a client that writes on the caller's thread blocks here
            byte[] kibibyte = new byte[1024];
            long longestBurstCall = 0;
            int burstFailed = 0;
            for (int i = 0; i < BURST; i++) {
                long start = System.nanoTime();
                if (requester.publish(destination, kibibyte).isCompletedExceptionally()) {
                    burstFailed++;
                }
                longestBurstCall = Math.max(longestBurstCall, millisSince(start));
            }
            assertTrue(longestBurstCall <= slack.toMillis(), "broker " + fault + ": in a burst of " + BURST
                    + " publishes of 1 KiB, one held its caller for " + longestBurstCall + " ms");
            long start = System.nanoTime();
            String blockingOutcome;
            try {
                blockingOutcome = requester.rpc().request(destination, "blocking", options).isPresent() ? "a reply" : "no answer";
            } catch (RequestException e) {
                blockingOutcome = e.reason().toString();
            }
            long blocking = millisSince(start);
            assertTrue(blocking <= timeout.plus(slack).toMillis(), "broker " + fault + ": a blocking request with a "
                    + timeout.toMillis() + " ms timeout took " + blocking + " ms");
            Map<String, Integer> outcomes = new TreeMap<>();
            long longestWait = blocking;
            for (int i = 0; i < IN_FLIGHT; i++) {
                long deadline = sentAt[i] + timeout.plus(slack).toNanos();
                String outcome;
                try {
                    replies.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    outcome = "reply";
                } catch (TimeoutException e) {
                    fail("broker " + fault + ": request " + i + " did not end within its timeout + " + slack.toMillis()
                            + " ms");
                    return;
                } catch (ExecutionException e) {
                    RequestException failure = assertInstanceOf(RequestException.class, e.getCause(),
                            "broker " + fault + ": a request must end with a reply or a RequestException");
                    outcome = failure.reason().toString();
                }
                long waited = TimeUnit.NANOSECONDS.toMillis(endedAt[i] - sentAt[i]); // set before get() returned
                assertTrue(waited <= timeout.plus(slack).toMillis(), "broker " + fault + ": request " + i + " ended after "
                        + waited + " ms");
                longestWait = Math.max(longestWait, waited);
                outcomes.merge(outcome, 1, Integer::sum);
            }
            log.info("10.01 [{}] broker {}: calls returned within {} ms; {} requests ended within {} ms ({}); a blocking"
                    + " request ended in {} ms with {}; a burst of {} publishes returned within {} ms ({} failed at once)",
                    env().transportName(), fault, longestCall, IN_FLIGHT, longestWait, outcomes, blocking, blockingOutcome,
                    BURST, longestBurstCall, burstFailed);
        }

        @Test
        @DisplayName("10.02 requests in flight when the connection breaks end within their timeout, with a reply or a typed reason")
        void required_spec1002_requestsInFlightEndWhenTheConnectionBreaks() throws Exception {
            BrokerControl control = control();
            String destination = env().destination("in-flight");
            Broker responder = connectTo(control);
            Broker requester = connectTo(control);
            CountDownLatch release = gate();
            AtomicInteger entered = new AtomicInteger();
            responder.subscribe(destination, String.class, body -> {
                entered.incrementAndGet();
                release.await();
                return body;
            });
            assertTrue(requester.rpc().request(destination, "warm", RequestOptions.timeout(env().shortTimeout())).isEmpty());
            awaitTrue("the warm-up request reached the handler", () -> entered.get() == 1);
            int count = 8;
            List<CompletableFuture<Message>> replies = new ArrayList<>();
            long[] sentAt = new long[count];
            for (int i = 0; i < count; i++) {
                sentAt[i] = System.nanoTime();
                replies.add(requester.rpc().requestAsync(destination, "n" + i, faultOptions()));
            }
            awaitTrue("the requests reached the handler", () -> entered.get() > 1);
            faults.kill(control);
            Set<RequestException.Reason> allowed = Set.of(RequestException.Reason.CONNECTION_LOST,
                    RequestException.Reason.SEND_FAILED, RequestException.Reason.TIMEOUT);
            Map<String, Integer> outcomes = new TreeMap<>();
            for (int i = 0; i < count; i++) {
                long deadline = sentAt[i] + env().faultTimeout().plus(env().slack()).toNanos();
                try {
                    replies.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    outcomes.merge("reply", 1, Integer::sum);
                } catch (TimeoutException e) {
                    fail("a request in flight when the broker died did not end within its timeout + "
                            + env().slack().toMillis() + " ms");
                } catch (ExecutionException e) {
                    RequestException failure = assertInstanceOf(RequestException.class, e.getCause());
                    assertTrue(allowed.contains(failure.reason()), "reason " + failure.reason() + ": " + failure.getMessage());
                    outcomes.merge(failure.reason().toString(), 1, Integer::sum);
                }
            }
            log.info("10.02 [{}] {} requests in flight when the broker died ended: {}", env().transportName(), count, outcomes);
            release.countDown();
            faults.restart(control);
        }

        @Test
        @DisplayName("10.03 after the broker comes back, the same Broker serves and requests again within 10 s")
        void required_spec1003_sameBrokerServesAgainAfterTheBrokerIsBack() throws Exception {
            BrokerControl control = control();
            String echo = env().destination("resume");
            String work = env().destination("resume-work");
            Broker responder = connectTo(control);
            Broker requester = connectTo(control);
            responder.subscribe(echo, String.class, body -> "re:" + body);
            BlockingList handled = new BlockingList();
            responder.subscribe(work, Message.class, SubscribeOptions.group("workers"), message -> {
                handled.add(message);
                return null;
            });
            assertEquals("re:before", ask(requester, echo, "before").bodyAsString());
            get(requester.publish(work, "before"));
            assertEquals("before", handled.take(env().timeout()).bodyAsString());

            faults.kill(control);
            faults.restart(control);
            long resumed = awaitAnswered(requester, echo, env().resumeWithin());
            long start = System.nanoTime();
            get(requester.publish(work, "after"));
            int redelivered = 0; // at least once: a message whose ack the dying broker lost may come again
            String next;
            while ((next = handled.take(env().resumeWithin()).bodyAsString()).equals("before")) {
                redelivered++;
            }
            assertEquals("after", next, "the group subscription made before the outage receives again");
            log.info("10.03 [{}] requests answered again {} ms after the broker was back; the group subscription"
                    + " received {} ms later ({} redelivered)", env().transportName(), resumed, millisSince(start),
                    redelivered);
        }

        @Test
        @DisplayName("10.04 a group member's process killed mid-stream: another member handles every remaining message")
        void optional_spec1004_noMessageLostWhenAMemberDies() throws Exception {
            assumeCapability(Capability.REMOTE_BROKER);
            assumeCapability(Capability.AT_LEAST_ONCE);
            String destination = env().destination("at-least-once");
            String group = "workers";
            List<String> handledByFirst;
            String firstOutput;
            try (MemberProcess first = MemberProcess.start(env().uri(), env().options().properties(), destination,
                    group, 20)) {
                first.awaitReady(env().memberTimeout().plus(env().timeout()));
                publishNumbered(destination, AT_LEAST_ONCE_MESSAGES);
                awaitTrue("the first member handled " + KILL_AFTER + " messages", () -> first.handledCount() >= KILL_AFTER);
                first.kill();
                handledByFirst = first.handled();
                firstOutput = first.errorOutput();
            }
            assertTrue(handledByFirst.size() < AT_LEAST_ONCE_MESSAGES, "the member was killed after it had handled"
                    + " every message: nothing left to check; make its work slower");
            Map<String, AtomicInteger> handledBySecond = new ConcurrentHashMap<>();
            connect().subscribe(destination, String.class, SubscribeOptions.group(group), body -> {
                handledBySecond.computeIfAbsent(body, key -> new AtomicInteger()).incrementAndGet();
                return null;
            });
            Set<String> firstSet = new HashSet<>(handledByFirst);
            long deadline = System.nanoTime() + env().memberTimeout().plus(env().timeout()).toNanos();
            while (System.nanoTime() < deadline && union(firstSet, handledBySecond.keySet()) < AT_LEAST_ONCE_MESSAGES) {
                Thread.sleep(20); // polling interval of a condition with a deadline
            }
            Set<String> missing = new java.util.TreeSet<>();
            for (int i = 0; i < AT_LEAST_ONCE_MESSAGES; i++) {
                if (!firstSet.contains("m" + i) && !handledBySecond.containsKey("m" + i)) {
                    missing.add("m" + i);
                }
            }
            int lost = missing.size();
            int duplicates = handledByFirst.size() - firstSet.size();
            for (Map.Entry<String, AtomicInteger> entry : handledBySecond.entrySet()) {
                duplicates += entry.getValue().get() - 1 + (firstSet.contains(entry.getKey()) ? 1 : 0);
            }
            log.info("10.04 [{}] member killed after {} of {} messages; lost {}, duplicates {}", env().transportName(),
                    handledByFirst.size(), AT_LEAST_ONCE_MESSAGES, lost, duplicates);
            assertEquals(0, lost, lost + " of " + AT_LEAST_ONCE_MESSAGES + " messages were never handled ("
                    + duplicates + " duplicates): " + missing.stream().limit(20).toList() + "; the first member handled "
                    + handledByFirst.size() + ", its output: " + firstOutput);
        }

        @Test
        @DisplayName("10.05 a member restarted right after a crash subscribes, and receives")
        void required_spec1005_memberRestartedAfterACrashSubscribes() throws Exception {
            assumeCapability(Capability.REMOTE_BROKER);
            String destination = env().destination("restarted");
            String group = "workers";
            try (MemberProcess crashed = MemberProcess.start(env().uri(), env().options().properties(), destination,
                    group, 0)) {
                crashed.awaitReady(env().memberTimeout().plus(env().timeout()));
                crashed.kill();
            }
            BlockingList handled = new BlockingList();
            long start = System.nanoTime();
            connect().subscribe(destination, Message.class, SubscribeOptions.group(group), message -> {
                handled.add(message);
                return null;
            });
            long took = millisSince(start);
            assertTrue(took <= env().memberTimeout().plus(env().slack()).toMillis(), "subscribe took " + took + " ms");
            get(client().publish(destination, "after-crash"));
            assertEquals("after-crash", handled.take(env().memberTimeout().plus(env().timeout())).bodyAsString());
            log.info("10.05 [{}] a member restarted right after a crash subscribed in {} ms", env().transportName(), took);
        }

        @TestFactory
        @DisplayName("10.06 poison input never stops a subscription")
        Stream<DynamicTest> required_spec1006_poisonInputNeverStopsASubscription() {
            String destination = env().destination("poison");
            String answers = env().destination("poison-answers");
            AtomicInteger handled = new AtomicInteger();
            Map<String, List<Message>> answered = new ConcurrentHashMap<>();
            List<String> poisoned = new CopyOnWriteArrayList<>();
            AtomicBoolean subscribed = new AtomicBoolean();
            Runnable subscribe = () -> {
                if (subscribed.compareAndSet(false, true)) {
                    server().subscribe(destination, Order.class, order -> {
                        handled.incrementAndGet();
                        return order == null ? "empty" : "ok:" + order.id();
                    });
                    client().subscribe(answers, Message.class, message -> {
                        if (message.correlationId() != null) { // an answer to a poison carries its id
                            answered.computeIfAbsent(message.correlationId(), key -> new CopyOnWriteArrayList<>())
                                    .add(message);
                        }
                        return null;
                    });
                }
            };
            List<DynamicTest> tests = new ArrayList<>();
            Map<String, RawMessage> apiPoisons = new LinkedHashMap<>();
            apiPoisons.put("JSON of the wrong shape", RawMessage.of("[1, 2, 3]", "application/json"));
            apiPoisons.put("malformed JSON", RawMessage.of("{\"id\": ", "application/json"));
            apiPoisons.put("text where JSON is expected", RawMessage.of("hello", "text/plain"));
            apiPoisons.put("an unknown content type", new RawMessage(new byte[] {(byte) 0xFF, (byte) 0xFE, 0, 1},
                    "application/x-unknown"));
            apiPoisons.put("an empty body", new RawMessage(new byte[0], null));
            apiPoisons.forEach((name, body) -> tests.add(DynamicTest.dynamicTest("10.06 " + name, () -> {
                subscribe.run();
                String correlationId = "poison-" + poisoned.size();
                poisoned.add(correlationId);
                get(client().publish(destination, body, PublishOptions.builder().replyTo(answers)
                        .correlationId(correlationId).build()));
                awaitTrue("the message with " + name + " is answered", () -> answered.containsKey(correlationId));
                assertNextRequestAnswered(destination, name);
            })));
            env().bodyLimit().ifPresent(limit -> tests.add(DynamicTest.dynamicTest("10.06 a body over the broker's limit", () -> {
                subscribe.run();
                byte[] tooLarge = new byte[(int) Math.min(Integer.MAX_VALUE - 8, limit + 1)];
                long start = System.nanoTime();
                CompletableFuture<Void> sent = client().publish(destination, tooLarge);
                assertTrue(millisSince(start) <= env().slack().toMillis(), "publish held its caller");
                ExecutionException failure = assertThrows(ExecutionException.class,
                        () -> sent.get(env().timeout().toMillis(), TimeUnit.MILLISECONDS),
                        "a body over the broker's limit must fail its publish");
                assertInstanceOf(MessagingException.class, failure.getCause());
                assertNextRequestAnswered(destination, "a body over the limit");
            })));
            env().rawSender().ifPresent(raw -> raw.poisons().forEach(name -> tests.add(DynamicTest.dynamicTest(
                    "10.06 raw: " + name, () -> {
                        subscribe.run();
                        String correlationId = "poison-" + poisoned.size();
                        poisoned.add(correlationId);
                        boolean answerable = raw.send(name, destination, answers, correlationId);
                        if (answerable) {
                            awaitTrue("the message with " + name + " is answered",
                                    () -> answered.containsKey(correlationId));
                        }
                        assertNextRequestAnswered(destination, name);
                    }))));
            String badReplies = env().destination("poison-replies");
            AtomicReference<String> replyPoison = new AtomicReference<>();
            AtomicBoolean replierSubscribed = new AtomicBoolean();
            env().rawSender().ifPresent(raw -> raw.poisons().forEach(name -> tests.add(DynamicTest.dynamicTest(
                    "10.06 raw reply: " + name, () -> {
                        subscribe.run();
                        if (replierSubscribed.compareAndSet(false, true)) { // answers with the poison of the moment
                            server().subscribe(badReplies, Message.class, SubscribeOptions.builder().noReplies().build(),
                                    message -> {
                                        raw.send(replyPoison.get(), message.replyTo(), null, message.correlationId());
                                        return null;
                                    });
                        }
                        replyPoison.set(name);
                        long start = System.nanoTime();
                        try {
                            client().rpc().request(badReplies, "answer me badly", impatient());
                        } catch (RequestException e) {
                            // a typed failure (an unreadable reply: code 502) is a fine end
                        }
                        long took = millisSince(start);
                        assertTrue(took <= env().shortTimeout().plus(env().slack()).toMillis(),
                                "a request answered with " + name + " took " + took + " ms");
                        assertNextRequestAnswered(destination, "a reply with " + name);
                    }))));
            tests.add(DynamicTest.dynamicTest("10.06 no bad message is delivered again", () -> {
                assumeTrue(!poisoned.isEmpty(), "no poison was sent");
                long end = System.nanoTime() + env().slack().toNanos();
                while (System.nanoTime() < end) {
                    for (String id : poisoned) {
                        List<Message> got = answered.getOrDefault(id, List.of());
                        assertTrue(got.size() <= 1, "the bad message " + id + " was answered " + got.size() + " times");
                    }
                    Thread.sleep(20);
                }
            }));
            return tests.stream();
        }

        private void assertNextRequestAnswered(String destination, String after) {
            long start = System.nanoTime();
            Order order = new Order("after-poison", 1, List.of(), Map.of());
            Optional<Message> reply = client().rpc().request(destination, order, RequestOptions.builder()
                    .timeout(env().timeout()).throwOnTimeout().build());
            long took = millisSince(start);
            assertEquals("ok:after-poison", reply.orElseThrow().bodyAsString());
            assertTrue(took <= env().slack().toMillis(), "after " + after + " the next request took " + took + " ms");
        }

        @Test
        @DisplayName("10.07 a refused login fails at once, typed, with no secret in any message or log line")
        void required_spec1007_refusedLoginFailsAtOnce() throws Exception {
            assumeCapability(Capability.AUTHENTICATION);
            KitEnvironment.RefusedLogin login = env().refusedLogin().orElse(null);
            assumeTrue(login != null, "the environment gives no refused login (KitEnvironment.Builder.refusedLogin)");
            String output;
            ConnectionException refused;
            long took;
            try (ConsoleCapture console = ConsoleCapture.start()) {
                long start = System.nanoTime();
                refused = assertThrows(ConnectionException.class, () -> Broker.connect(login.uri(), login.options()).close(),
                        "a refused login must throw ConnectionException");
                took = millisSince(start);
                long quiet = System.nanoTime() + env().slack().toNanos(); // background threads may still log
                while (System.nanoTime() < quiet && !console.text().contains(login.secret())) {
                    Thread.sleep(20);
                }
                output = console.text();
            }
            assertTrue(took <= env().slack().toMillis(), "a refused login took " + took + " ms to fail");
            StringBuilder chain = new StringBuilder();
            for (Throwable t = refused; t != null; t = t.getCause()) {
                chain.append(t).append('\n');
                for (Throwable suppressed : t.getSuppressed()) {
                    chain.append(suppressed).append('\n');
                }
            }
            assertFalse(chain.toString().contains(login.secret()), "the exception shows the secret: " + chain);
            assertFalse(output.contains(login.secret()), "a log line shows the secret");
            assertTrue(refused.getMessage().toLowerCase(Locale.ROOT).matches("(?s).*(refus|credential|password|auth|denied|login).*"),
                    "the message must say that the login was refused: " + refused.getMessage());
            log.info("10.07 [{}] a refused login failed in {} ms: {}", env().transportName(), took, refused.getMessage());
        }
    }

    // ---------------------------------------------------------------- 11 flow control

    @Nested
    @DisplayName("11 Flow control")
    class FlowControl {

        @Test
        @DisplayName("11.01 a burst twenty times a subscription's concurrency, with a slow handler: every message is handled once, never more than the concurrency at a time")
        void required_spec1101_burstBeyondConcurrencyIsHandledOnce() throws Exception {
            String destination = env().destination("burst");
            int concurrency = 2;
            int messages = 20 * concurrency;
            AtomicInteger running = new AtomicInteger();
            AtomicInteger most = new AtomicInteger();
            Map<String, AtomicInteger> handled = new ConcurrentHashMap<>();
            AtomicInteger total = new AtomicInteger();
            server().subscribe(destination, String.class, SubscribeOptions.builder().concurrency(concurrency).build(),
                    body -> {
                        most.accumulateAndGet(running.incrementAndGet(), Math::max);
                        try {
                            Thread.sleep(50); // the handler's work, not a synchronisation
                        } finally {
                            running.decrementAndGet();
                        }
                        handled.computeIfAbsent(body, key -> new AtomicInteger()).incrementAndGet();
                        total.incrementAndGet();
                        return null;
                    });
            publishNumbered(destination, messages);
            Duration work = Duration.ofMillis(50L * messages / concurrency);
            awaitTrue("all " + messages + " messages were handled", work.plus(env().timeout()),
                    () -> total.get() >= messages);
            assertStaysEqual("no message may be handled twice", messages, total);
            assertEquals(messages, handled.size(), "every message is handled: " + handled.keySet());
            assertTrue(most.get() <= concurrency, most.get() + " handlers ran at once; the concurrency is " + concurrency);
        }

        @Test
        @DisplayName("11.02 a member joins a group while another member is at its concurrency limit: it subscribes without an error, within memberTimeout, and the group handles every message once the busy one is free")
        void required_spec1102_busyMemberDoesNotHoldUpItsGroup() throws Exception {
            String destination = env().destination("busy-group");
            CountDownLatch release = gate();
            CountDownLatch started = new CountDownLatch(1);
            Set<String> handled = ConcurrentHashMap.newKeySet();
            server().subscribe(destination, String.class, SubscribeOptions.builder().group("g").concurrency(1).build(),
                    body -> {
                        started.countDown();
                        release.await();
                        handled.add(body);
                        return null;
                    });
            for (int i = 0; i < 4; i++) { // more than its one slot: the member is busy, with messages waiting
                get(client().publish(destination, "b" + i));
            }
            assertTrue(await(started), "the first member should get a message");
            long start = System.nanoTime();
            connect().subscribe(destination, String.class, SubscribeOptions.group("g"), body -> {
                handled.add(body);
                return null;
            });
            long took = millisSince(start);
            assertTrue(took <= env().memberTimeout().toMillis(), "joining the group took " + took + " ms");
            for (int i = 0; i < 4; i++) {
                get(client().publish(destination, "n" + i));
            }
            release.countDown();
            long deadline = System.nanoTime() + env().memberTimeout().plus(env().timeout()).toNanos();
            while (System.nanoTime() < deadline && handled.size() < 8) {
                Thread.sleep(20); // polling interval of a condition with a deadline
            }
            assertEquals(8, handled.size(), "the group handles every message: " + handled);
            log.info("11.02 [{}] a member joined a group with a busy member in {} ms", env().transportName(), took);
        }

        @Test
        @DisplayName("11.03 a transport subscription that pauses is never held by the core: at the concurrency limit the core pauses it, and resumes it when the waiting messages are taken")
        void required_spec1103_pausableSubscriptionIsPausedNotHeld() throws Exception {
            Broker observed = observed(options -> options.property(ObservingTransportProvider.PAUSABLE, "true"));
            String destination = env().destination("paused");
            CountDownLatch release = gate();
            CountDownLatch started = new CountDownLatch(1);
            AtomicInteger handled = new AtomicInteger();
            Subscriber subscriber = observed.subscribe(destination, String.class,
                    SubscribeOptions.builder().concurrency(1).build(), body -> {
                started.countDown();
                release.await();
                handled.incrementAndGet();
                return null;
            });
            assumeTrue(ObservingTransportProvider.pausable(destination), "the transport's subscriptions do not pause"
                    + " (TransportSubscription.pausable() is false): the core holds its delivering thread instead");
            for (int i = 0; i < 2; i++) { // one takes the only slot, one waits: already as many as the concurrency
                get(client().publish(destination, "p" + i));
            }
            assertTrue(await(started), "the first message should reach its handler");
            List<String> flow = ObservingTransportProvider.flowCalls(destination);
            awaitTrue("the core paused the subscription (calls: " + flow + ") and holds none of its delivering"
                    + " threads (" + ObservingTransportProvider.callsHeld(destination) + " held)",
                    () -> flow.contains("pause") && ObservingTransportProvider.callsHeld(destination) == 0);
            release.countDown();
            awaitTrue("both messages were handled (" + handled.get() + ")", () -> handled.get() >= 2);
            awaitTrue("the core resumed the subscription once the waiting message was taken: " + flow,
                    () -> !flow.isEmpty() && flow.get(flow.size() - 1).equals("resume"));
            assertStaysEqual("each message is handled once", 2, handled);
            subscriber.close();
            Envelope late = Envelope.builder(destination).body("late".getBytes(StandardCharsets.UTF_8))
                    .contentType("text/plain; charset=utf-8").build();
            assertStageFails(ObservingTransportProvider.handler(destination).onMessage(late), env().slack(),
                    BrokerClosedException.class, "a message handed over after close");
        }
    }

    // ---------------------------------------------------------------- 13 lifecycle and failures

    @Nested
    @DisplayName("13 Lifecycle and failures")
    class LifecycleAndFailures {

        private static final String UUID4 = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";

        private RequestOptions patientMany() {
            return RequestOptions.builder().timeout(env().timeout().multipliedBy(3)).build();
        }

        @Test
        @DisplayName("13.01 failing and undecodable messages free their handler slots: after 40 of each at concurrency 2, the subscription still answers")
        void required_spec1301_failuresFreeTheirSlots() throws Exception {
            String destination = env().destination("slots");
            server().subscribe(destination, Order.class, SubscribeOptions.builder().concurrency(2).build(), order -> {
                if (order.quantity() < 0) {
                    throw new IllegalArgumentException("negative quantity");
                }
                return order.id();
            });
            List<CompletableFuture<Message>> failing = new ArrayList<>();
            RequestOptions options = RequestOptions.builder().timeout(env().timeout().multipliedBy(3)).build();
            for (int i = 0; i < 40; i++) {
                failing.add(client().rpc().requestAsync(destination, new Order("bad-" + i, -1, List.of(), Map.of()), options));
                failing.add(client().rpc().requestAsync(destination, "not an order " + i, options));
            }
            int failed = 0;
            for (CompletableFuture<Message> future : failing) {
                try {
                    get(future);
                } catch (RemoteHandlerException e) {
                    failed++;
                }
            }
            assertEquals(80, failed, "every failing request gets an error reply");
            assertEquals("ok-1", ask(client(), destination, new Order("ok-1", 1, List.of(), Map.of())).body(String.class));
        }

        @Test
        @DisplayName("13.02 with default options a blocking request throws on a remote error, on no responders and when its broker closes; only a timeout is no answer")
        void required_spec1302_defaultOptionsThrowOnFailures() throws Exception {
            String failing = env().destination("default-fails");
            server().subscribe(failing, String.class, body -> {
                throw new IllegalStateException("boom");
            });
            // default request options; the broker's request timeout is the kit's, so a wrong "no answer" is quick
            Broker caller = env().connect(b -> b.requestTimeout(env().timeout()));
            brokers.add(caller);
            assertThrows(RemoteHandlerException.class, () -> caller.rpc().request(failing, "x"));
            if (env().supports(Capability.NO_RESPONDERS)) {
                RequestException none = assertThrows(RequestException.class,
                        () -> caller.rpc().request(env().destination("nobody"), "x"));
                assertEquals(RequestException.Reason.NO_RESPONDERS, none.reason());
            }
            String slow = env().destination("default-closed");
            CountDownLatch started = new CountDownLatch(1);
            CountDownLatch gate = gate();
            server().subscribe(slow, String.class, body -> {
                started.countDown();
                gate.await();
                return "late";
            });
            Broker requester = connect();
            CompletableFuture<Optional<Message>> waiting = CompletableFuture.supplyAsync(() -> requester.rpc().request(slow, "x"));
            assertTrue(await(started), "the handler did not start");
            requester.close();
            ExecutionException closed = assertThrows(ExecutionException.class,
                    () -> waiting.get(env().slack().toMillis() * 2, TimeUnit.MILLISECONDS));
            assertTrue(closed.getCause() instanceof RequestException r && r.reason() == RequestException.Reason.CLOSED,
                    "a blocking request whose broker closed must throw CLOSED, not return no answer: " + closed.getCause());
        }

        @Test
        @DisplayName("13.03 close() waits for a running handler, but no longer than closeTimeout")
        void required_spec1303_closeIsBoundedBothWays() throws Exception {
            Duration closeTimeout = Duration.ofSeconds(1);
            Broker service = env().connect(b -> b.closeTimeout(closeTimeout));
            brokers.add(service);
            String destination = env().destination("never-ends");
            CountDownLatch started = new CountDownLatch(1);
            CountDownLatch gate = gate();
            service.subscribe(destination, String.class, body -> {
                started.countDown();
                gate.await(); // opened only after the test: the handler outlives close()
                return null;
            });
            get(client().publish(destination, "x"));
            assertTrue(await(started), "the handler did not start");
            long start = System.nanoTime();
            service.close();
            long took = millisSince(start);
            assertTrue(took >= closeTimeout.toMillis() - 50, "close() returned after " + took
                    + " ms, without waiting for the running handler (closeTimeout " + closeTimeout.toMillis() + " ms)");
            assertTrue(took <= closeTimeout.plus(env().timeout()).toMillis(), "close() took " + took
                    + " ms with a handler that never ends (closeTimeout " + closeTimeout.toMillis() + " ms)");

            // interrupted before or while it waits for handlers, close() stops waiting, still releases
            // everything, and the closing thread keeps its interrupt flag
            Set<Thread> before = Set.copyOf(Thread.getAllStackTraces().keySet());
            Broker interrupted = env().connect(b -> b.closeTimeout(env().timeout().multipliedBy(3)));
            brokers.add(interrupted);
            CountDownLatch interruptedGate = gate();
            CountDownLatch bothStarted = new CountDownLatch(2);
            Handler<String> endless = body -> {
                bothStarted.countDown();
                interruptedGate.await();
                return null;
            };
            String first = env().destination("never-ends-1");
            String second = env().destination("never-ends-2");
            Subscriber subscriber = interrupted.subscribe(first, String.class, endless);
            interrupted.subscribe(second, String.class, endless);
            get(client().publish(first, "x"));
            get(client().publish(second, "x"));
            assertTrue(await(bothStarted), "the handlers did not start");
            OwnThread<Void> subscriberClose = OwnThread.start("parley-tck-closing", () -> {
                Thread.currentThread().interrupt();
                subscriber.close();
                return null;
            });
            assertEndedKeepingTheFlag(subscriberClose, "Subscriber.close()", env().slack());
            assertFalse(subscriber.isActive(), "an interrupted Subscriber.close() still closes it");
            OwnThread<Void> brokerClose = OwnThread.start("parley-tck-closing", () -> {
                interrupted.close();
                return null;
            });
            awaitTrue("close() waits for the running handler", () -> brokerClose.waitsIn("awaitIdle"));
            brokerClose.thread().interrupt();
            assertEndedKeepingTheFlag(brokerClose, "Broker.close()", env().slack());
            assertThrows(BrokerClosedException.class, () -> interrupted.publish(first, "y"),
                    "an interrupted close() still closes the broker");
            interruptedGate.countDown(); // the handlers end; then nothing of that broker may run on
            assertNoThreadsLeftSince(before, "an interrupted close()");
        }

        /** An interrupted {@code what} ended within {@code within} and its thread kept the interrupt flag. */
        private void assertEndedKeepingTheFlag(OwnThread<?> closing, String what, Duration within) throws Exception {
            try {
                closing.outcome().get(within.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                throw new AssertionError("an interrupted " + what + " still waited for the running handler "
                        + within.toMillis() + " ms later", e);
            }
            assertTrue(closing.flagKept().get(), "an interrupted " + what + " must keep the thread's interrupt flag");
        }

        /**
         * Work on a thread of its own, as a transport's or an application's thread, which the kit may
         * interrupt: what it returned, and whether the thread still had its interrupt flag afterwards.
         */
        private record OwnThread<T>(Thread thread, CompletableFuture<T> outcome, AtomicBoolean flagKept) {

            static <T> OwnThread<T> start(String name, Callable<T> work) {
                CompletableFuture<T> outcome = new CompletableFuture<>();
                AtomicBoolean flagKept = new AtomicBoolean();
                Thread thread = new Thread(() -> {
                    try {
                        T result = work.call();
                        flagKept.set(Thread.currentThread().isInterrupted());
                        outcome.complete(result);
                    } catch (Throwable t) {
                        outcome.completeExceptionally(t);
                    }
                }, name);
                thread.start();
                return new OwnThread<>(thread, outcome, flagKept);
            }

            /** Whether the thread waits (for a handler slot, a running handler). */
            boolean waits() {
                Thread.State state = thread.getState();
                return state == Thread.State.TIMED_WAITING || state == Thread.State.WAITING;
            }

            /** Whether the thread waits in the core's {@code method}, not somewhere in a transport. */
            boolean waitsIn(String method) {
                return waits() && Arrays.stream(thread.getStackTrace()).anyMatch(frame -> frame.getMethodName().equals(method));
            }
        }

        @Test
        @DisplayName("13.04 Subscriber.close() stops its deliveries; the other subscriptions to the destination keep theirs")
        void required_spec1304_subscriberCloseStopsOnlyItself() throws Exception {
            String destination = env().destination("unsubscribe");
            AtomicInteger first = new AtomicInteger();
            AtomicInteger second = new AtomicInteger();
            AtomicInteger otherGroup = new AtomicInteger();
            Subscriber closing = server().subscribe(destination, String.class, SubscribeOptions.group("g"), body -> {
                first.incrementAndGet();
                return null;
            });
            Broker member = connect();
            member.subscribe(destination, String.class, SubscribeOptions.group("g"), body -> {
                second.incrementAndGet();
                return null;
            });
            boolean fanOut = env().supports(Capability.FAN_OUT);
            if (fanOut) {
                member.subscribe(destination, String.class, SubscribeOptions.group("other"), body -> {
                    otherGroup.incrementAndGet();
                    return null;
                });
            }
            assertEquals(destination, closing.destination());
            assertEquals(Optional.of("g"), closing.group());
            assertTrue(closing.toString().contains(destination), "a subscriber names its destination: " + closing);
            assertTrue(closing.isActive(), "an open subscriber says it is active");
            closing.close();
            assertFalse(closing.isActive(), "a closed subscriber must say it is not active");
            int before = first.get();
            for (int i = 0; i < 20; i++) {
                get(client().publish(destination, "m" + i));
            }
            awaitTrue("the remaining member handled all 20 messages (it has " + second.get() + ")", () -> second.get() >= 20);
            if (fanOut) {
                awaitTrue("the other group handled all 20 messages (it has " + otherGroup.get() + ")",
                        () -> otherGroup.get() >= 20);
            }
            assertStaysEqual("a closed subscriber must handle nothing more", before, first);
        }

        @Test
        @DisplayName("13.05 many replies: an error ends the stream with RemoteHandlerException; a finished stream frees its entry; noTimeout() ends at the sentinel")
        void required_spec1305_manyRepliesEndCleanly() throws Exception {
            String destination = env().destination("many-fails");
            CountDownLatch failedStreamClosed = new CountDownLatch(1);
            server().subscribe(destination, Integer.class, count -> IntStream.rangeClosed(1, count).mapToObj(i -> {
                if (i == 3) {
                    throw new IllegalStateException("part 3 failed");
                }
                return "part " + i;
            }).onClose(failedStreamClosed::countDown));
            List<String> got = new ArrayList<>();
            try (Stream<Message> replies = client().rpc().requestMany(destination, 5, patientMany())) {
                RemoteHandlerException e = assertThrows(RemoteHandlerException.class,
                        () -> replies.forEach(m -> got.add(m.bodyAsString())),
                        "an error reply inside the stream must end it with RemoteHandlerException");
                assertEquals(500, e.code());
                assertEquals(0, client().rpc().pendingRequests(), "the error ends the request, before the stream is closed");
            }
            assertEquals(List.of("part 1", "part 2"), got);
            assertTrue(await(failedStreamClosed), "a Stream a handler returns is closed also when it fails mid-way");
            // a stream that failed leaves the table even while nobody reads it
            try (Stream<Message> unread = client().rpc().requestMany(destination, 5, patientMany())) {
                awaitTrue("the failed, unread stream leaves the pending table", () -> client().rpc().pendingRequests() == 0);
            }

            String parts = env().destination("many-forever");
            server().subscribe(parts, Integer.class, count -> IntStream.rangeClosed(1, count).mapToObj(i -> "p" + i));
            CompletableFuture<List<String>> all = CompletableFuture.supplyAsync(() -> {
                try (Stream<Message> replies = client().rpc().requestMany(parts, 3,
                        RequestOptions.builder().noTimeout().build())) {
                    Iterator<Message> next = replies.iterator();
                    List<String> received = new ArrayList<>();
                    while (next.hasNext()) {
                        received.add(next.next().bodyAsString());
                    }
                    assertFalse(next.hasNext(), "a stream that ended stays ended"); // asked again: no new wait
                    return received;
                }
            });
            assertEquals(List.of("p1", "p2", "p3"), all.get(env().timeout().toMillis(), TimeUnit.MILLISECONDS));
            awaitTrue("the finished stream's pending entry is freed", () -> client().rpc().pendingRequests() == 0);
        }

        @Test
        @DisplayName("13.06 a handler's CompletionStage is awaited and its failure is an error reply; an Iterator is many replies")
        void required_spec1306_asyncAndIteratorResults() throws Exception {
            String later = env().destination("async");
            Executor delayed = CompletableFuture.delayedExecutor(200, TimeUnit.MILLISECONDS);
            server().subscribe(later, String.class, body -> CompletableFuture.supplyAsync(() -> "later " + body, delayed));
            assertEquals("later x", ask(client(), later, "x").bodyAsString());

            String failing = env().destination("async-fails");
            server().subscribe(failing, String.class, body -> CompletableFuture.supplyAsync(() -> {
                throw new IllegalStateException("async boom");
            }, delayed));
            RemoteHandlerException e = assertThrows(RemoteHandlerException.class, () -> ask(client(), failing, "x"));
            assertEquals(500, e.code());
            String detailed = env().destination("async-fails-detailed");
            server().subscribe(detailed, String.class, SubscribeOptions.builder().errorDetails(true).build(),
                    body -> CompletableFuture.supplyAsync(() -> {
                        throw new IllegalStateException("async boom");
                    }, delayed));
            RemoteHandlerException withDetails = assertThrows(RemoteHandlerException.class, () -> ask(client(), detailed, "x"));
            assertEquals("IllegalStateException: async boom", withDetails.remoteMessage(),
                    "the details are the handler's own failure, not the CompletionException around it");

            String streamed = env().destination("stream-closed");
            CountDownLatch closed = new CountDownLatch(1);
            server().subscribe(streamed, Integer.class,
                    count -> IntStream.rangeClosed(1, count).mapToObj(i -> "s" + i).onClose(closed::countDown));
            try (Stream<Message> replies = client().rpc().requestMany(streamed, 2, patientMany())) {
                assertEquals(List.of("s1", "s2"), replies.map(Message::bodyAsString).collect(Collectors.toList()));
            }
            assertTrue(await(closed), "a Stream a handler returns is closed once its replies are sent");

            String iterated = env().destination("iterator");
            server().subscribe(iterated, Integer.class, count -> IntStream.rangeClosed(1, count).mapToObj(i -> "i" + i).iterator());
            try (Stream<Message> replies = client().rpc().requestMany(iterated, 3, patientMany())) {
                assertEquals(List.of("i1", "i2", "i3"), replies.map(Message::bodyAsString).collect(Collectors.toList()));
            }
        }

        @Test
        @DisplayName("13.07 a request beyond maxPendingRequests fails at once with TOO_MANY_PENDING and is not sent")
        void required_spec1307_pendingBoundRefusesAndDoesNotSend() throws Exception {
            String destination = env().destination("bound");
            AtomicInteger handled = new AtomicInteger();
            CountDownLatch gate = gate();
            server().subscribe(destination, String.class, body -> {
                handled.incrementAndGet();
                gate.await();
                return body;
            });
            Broker requester = env().connect(b -> b.maxPendingRequests(2));
            brokers.add(requester);
            CompletableFuture<Message> one = requester.rpc().requestAsync(destination, "1", patient());
            CompletableFuture<Message> two = requester.rpc().requestAsync(destination, "2", patient());
            awaitTrue("both requests reached the handler", () -> handled.get() == 2);
            long start = System.nanoTime();
            CompletableFuture<Message> three = requester.rpc().requestAsync(destination, "3", patient());
            ExecutionException refused = assertThrows(ExecutionException.class,
                    () -> three.get(env().slack().toMillis(), TimeUnit.MILLISECONDS));
            assertTrue(millisSince(start) <= env().slack().toMillis());
            assertTrue(refused.getCause() instanceof RequestException r && r.reason() == RequestException.Reason.TOO_MANY_PENDING,
                    "expected TOO_MANY_PENDING: " + refused.getCause());
            gate.countDown();
            assertEquals("1", get(one).bodyAsString());
            assertEquals("2", get(two).bodyAsString());
            assertStaysEqual("the refused request must not be sent", 2, handled);
        }

        @Test
        @DisplayName("13.08 handlers run on the executor the broker or the subscription is given")
        void required_spec1308_configuredExecutorsRunHandlers() throws Exception {
            ExecutorService brokerPool = Executors.newFixedThreadPool(2, named("kit-broker-pool"));
            ExecutorService subscriptionPool = Executors.newFixedThreadPool(2, named("kit-subscription-pool"));
            try {
                Broker service = env().connect(b -> b.handlerExecutor(brokerPool));
                brokers.add(service);
                String onBroker = env().destination("broker-pool");
                String onSubscription = env().destination("subscription-pool");
                service.subscribe(onBroker, String.class, body -> Thread.currentThread().getName());
                service.subscribe(onSubscription, String.class, SubscribeOptions.builder().executor(subscriptionPool).build(),
                        body -> Thread.currentThread().getName());
                assertTrue(ask(client(), onBroker, "x").bodyAsString().startsWith("kit-broker-pool"),
                        "the broker's handlerExecutor must run its handlers");
                assertTrue(ask(client(), onSubscription, "x").bodyAsString().startsWith("kit-subscription-pool"),
                        "the subscription's executor must run its handler");
                service.close();
            } finally {
                brokerPool.shutdownNow();
                subscriptionPool.shutdownNow();
            }
        }

        @Test
        @DisplayName("13.09 the correlation ids Parley makes are random UUIDs (version 4)")
        void required_spec1309_correlationIdsAreUuid4() throws Exception {
            String destination = env().destination("ids");
            List<String> ids = new CopyOnWriteArrayList<>();
            server().subscribe(destination, String.class, message -> null);
            String seen = env().destination("ids-seen");
            server().subscribe(seen, Message.class, message -> {
                ids.add(message.correlationId());
                return null;
            });
            for (int i = 0; i < 16; i++) { // many: a wrong random bit shows in most ids, not in every one
                ask(client(), seen, "request");
                get(client().publish(seen, "publish"));
            }
            awaitTrue("every message arrived", () -> ids.size() == 32);
            for (String id : ids) {
                assertTrue(id != null && id.matches(UUID4), "not a UUID4 (version 4, IETF variant): " + id);
            }
            assertEquals(32, new HashSet<>(ids).size(), "every id is new");
        }

        @Test
        @DisplayName("13.10 after close() no thread the broker started is left running")
        void required_spec1310_noThreadsAfterClose() throws Exception {
            Set<Thread> before = Set.copyOf(Thread.getAllStackTraces().keySet());
            Broker broker = env().connect();
            String destination = env().destination("threads");
            broker.subscribe(destination, String.class, body -> body);
            broker.subscribe(destination + ".g", String.class, SubscribeOptions.group("g"), body -> body);
            assertEquals("x", broker.rpc().request(destination, "x", patient()).orElseThrow().bodyAsString());
            get(broker.publish(destination + ".g", "y"));
            broker.close();
            assertNoThreadsLeftSince(before, "close()");
        }

        @Test
        @DisplayName("13.15 a misspelt property under the transport's prefix fails connect with a ConfigurationException that names it, and leaves no thread running")
        void required_spec1315_misspeltPropertyFailsConnect() throws Exception {
            Set<Thread> before = Set.copyOf(Thread.getAllStackTraces().keySet());
            String misspelt = env().transportName() + ".no-such-setting";
            ConfigurationException e = assertThrows(ConfigurationException.class,
                    () -> brokers.add(env().connect(options -> options.property(misspelt, "1"))),
                    "an unknown " + env().transportName() + ".* property is an error, never silently ignored");
            assertTrue(e.getMessage().contains(misspelt), e.getMessage());
            assertTrue(e.problems().stream().anyMatch(problem -> problem.contains(misspelt)), e.problems().toString());
            String uri = env().uri();
            int start = uri.indexOf("//") + 2;
            int end = start;
            while (end < uri.length() && "/?#".indexOf(uri.charAt(end)) < 0) {
                end++;
            }
            String authority = uri.substring(start, end);
            String servers = authority.substring(authority.lastIndexOf('@') + 1);
            assertTrue(e.getMessage().contains(servers), "the message names the broker it was for, " + servers + ": "
                    + e.getMessage());
            if (authority.contains("@")) {
                assertFalse(e.getMessage().contains(authority.substring(0, authority.lastIndexOf('@'))),
                        "the message shows the URI's user info: " + e.getMessage());
            }
            assertNoThreadsLeftSince(before, "a refused connect");
        }

        /** Within the kit's timeout, every thread started since {@code before} has ended. */
        private void assertNoThreadsLeftSince(Set<Thread> before, String after) throws InterruptedException {
            long deadline = System.nanoTime() + env().timeout().toNanos();
            List<String> left;
            do {
                left = Thread.getAllStackTraces().keySet().stream()
                        .filter(t -> !before.contains(t) && t.isAlive())
                        .map(Thread::getName)
                        .filter(name -> !name.startsWith("ForkJoinPool.commonPool")) // the JDK's, not the broker's
                        .sorted().collect(Collectors.toList());
                if (left.isEmpty()) {
                    return;
                }
                Thread.sleep(20); // polling interval of a condition with a deadline
            } while (System.nanoTime() < deadline);
            assertEquals(List.of(), left, "threads still running " + env().timeout() + " after " + after);
        }

        @Test
        @DisplayName("13.11 a request the broker cannot take ends at once with SEND_FAILED, not at its timeout")
        void required_spec1311_failedSendEndsAtOnce() {
            Long limit = env().bodyLimit().orElse(null);
            assumeTrue(limit != null && limit < 64L * 1024 * 1024, "the environment gives no body limit the kit can exceed");
            String destination = env().destination("too-large");
            echo(destination);
            byte[] body = new byte[(int) (limit + 1)];
            long start = System.nanoTime();
            RequestException e = assertThrows(RequestException.class, () -> client().rpc().request(destination, body,
                    RequestOptions.builder().timeout(env().timeout().multipliedBy(3)).throwOnTimeout().build()));
            assertEquals(RequestException.Reason.SEND_FAILED, e.reason(), e.getMessage());
            assertTrue(millisSince(start) <= env().timeout().toMillis(), "the failed send waited " + millisSince(start) + " ms");
            assertEquals("still", ask(client(), destination, "still").bodyAsString());
        }

        @Test
        @DisplayName("13.12 a call with a missing or blank argument fails at once with IllegalArgumentException or NullPointerException and sends or subscribes nothing")
        void required_spec1312_badArgumentsFailAtOnce() throws Exception {
            String destination = env().destination("arguments");
            AtomicInteger handled = new AtomicInteger();
            server().subscribe(destination, String.class, body -> {
                handled.incrementAndGet();
                return "ok";
            });
            Broker broker = client();
            Handler<String> handler = body -> null;
            List<Executable> calls = List.of(
                    () -> broker.subscribe(" ", String.class, handler),
                    () -> broker.subscribe(null, String.class, handler),
                    () -> broker.subscribe(destination, null, handler),
                    () -> broker.subscribe(destination, String.class, (SubscribeOptions) null, handler),
                    () -> broker.subscribe(destination, String.class, SubscribeOptions.defaults(), null),
                    () -> broker.publish("", "x"),
                    () -> broker.publish(destination, "x", (PublishOptions) null),
                    () -> broker.rpc().request(" ", "x", patient()),
                    () -> broker.rpc().request(destination, "x", (RequestOptions) null),
                    () -> broker.rpc().requestAsync(destination, "x", (RequestOptions) null),
                    () -> broker.rpc().requestMany(destination, "x", (RequestOptions) null));
            for (int i = 0; i < calls.size(); i++) {
                Throwable thrown = assertThrows(Throwable.class, calls.get(i), "call " + i + " must fail at once");
                assertTrue(thrown instanceof IllegalArgumentException || thrown instanceof NullPointerException,
                        "call " + i + " threw " + thrown);
            }
            assertEquals(0, broker.rpc().pendingRequests(), "a refused request leaves nothing pending");
            assertStaysEqual("a refused call sends nothing", 0, handled);
            assertEquals("ok", ask(broker, destination, "x").bodyAsString());
        }

        @Test
        @DisplayName("13.13 a thread interrupted while it waits in request() gets a CANCELLED RequestException at once, keeps its interrupt flag, and the request leaves the pending table")
        void required_spec1313_interruptedRequestIsCancelled() throws Exception {
            String destination = env().destination("interrupted");
            CountDownLatch never = gate();
            CountDownLatch started = new CountDownLatch(1);
            server().subscribe(destination, String.class, body -> {
                started.countDown();
                never.await();
                return "never";
            });
            CompletableFuture<Throwable> outcome = new CompletableFuture<>();
            Thread waiter = startInterruptible("parley-tck-interrupted-requester", "request", outcome,
                    () -> client().rpc().request(destination, "x", RequestOptions.builder()
                            .timeout(env().timeout().multipliedBy(3)).throwOnTimeout().build()));
            assertTrue(await(started), "the handler got the request");
            long start = System.nanoTime();
            waiter.interrupt();
            Throwable thrown = outcome.get(env().timeout().toMillis(), TimeUnit.MILLISECONDS);
            assertTrue(millisSince(start) <= env().slack().toMillis(), "the interrupted request ended late");
            RequestException e = assertInstanceOf(RequestException.class, thrown, "an interrupted request must throw");
            assertEquals(RequestException.Reason.CANCELLED, e.reason(), e.getMessage());
            awaitTrue("the cancelled request leaves the pending table", () -> client().rpc().pendingRequests() == 0);
            waiter.join(env().timeout().toMillis());

            // the same for a thread that waits for the next of many replies
            String many = env().destination("interrupted-many");
            CountDownLatch firstSent = new CountDownLatch(1);
            server().subscribe(many, Message.class, message -> {
                message.reply("first");
                firstSent.countDown();
                never.await();
                return "never";
            });
            CompletableFuture<Throwable> streamOutcome = new CompletableFuture<>();
            Thread reader = startInterruptible("parley-tck-interrupted-reader", "stream", streamOutcome, () -> {
                try (Stream<Message> replies = client().rpc().requestMany(many, "x", RequestOptions.builder()
                        .timeout(env().timeout().multipliedBy(3)).build())) {
                    replies.forEach(reply -> { });
                }
            });
            assertTrue(await(firstSent), "the handler sent its first reply");
            awaitTrue("the reader waits for the next reply", () -> reader.getState() == Thread.State.TIMED_WAITING
                    || reader.getState() == Thread.State.WAITING);
            reader.interrupt();
            Throwable ended = streamOutcome.get(env().timeout().toMillis(), TimeUnit.MILLISECONDS);
            RequestException cancelled = assertInstanceOf(RequestException.class, ended, "an interrupted stream must throw");
            assertEquals(RequestException.Reason.CANCELLED, cancelled.reason(), cancelled.getMessage());
            awaitTrue("the cancelled stream leaves the pending table", () -> client().rpc().pendingRequests() == 0);
            reader.join(env().timeout().toMillis());
        }

        /**
         * Runs {@code work} on a thread of its own; {@code outcome} gets what it threw (null when nothing),
         * or an AssertionError when the thread lost its interrupt flag on the way.
         */
        private Thread startInterruptible(String name, String what, CompletableFuture<Throwable> outcome, Executable work) {
            Thread thread = new Thread(() -> {
                try {
                    work.execute();
                    outcome.complete(null);
                } catch (Throwable t) {
                    outcome.complete(Thread.currentThread().isInterrupted() ? t : new AssertionError(
                            "the interrupt flag was cleared; the " + what + " ended with " + t, t));
                }
            }, name);
            thread.start();
            return thread;
        }

        @Test
        @DisplayName("13.14 the stage the core gives the transport for a message (it acknowledges by it) completes normally once the handler succeeded, not before an async handler finished, and exceptionally when the handler failed, the body could not be decoded or the executor refused the message (whose slot is freed)")
        void required_spec1314_acknowledgementFollowsTheOutcome() throws Exception {
            Broker observed = observed(options -> options);
            String destination = env().destination("acks");
            String numbers = env().destination("acks-numbers");
            CountDownLatch release = gate();
            CountDownLatch laterStarted = new CountDownLatch(1);
            observed.subscribe(destination, String.class, body -> {
                switch (body) {
                    case "fail":
                        throw new IllegalStateException("failed on purpose");
                    case "later":
                        laterStarted.countDown();
                        return CompletableFuture.supplyAsync(() -> {
                            try {
                                release.await();
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                            return "done later";
                        });
                    default:
                        return "fine";
                }
            });
            observed.subscribe(numbers, Integer.class, number -> number + 1);
            List<CompletionStage<Void>> outcomes = ObservingTransportProvider.outcomes(destination);

            assertEquals("fine", ask(client(), destination, "ok").bodyAsString());
            awaitTrue("the core gave the transport a stage for the message", () -> outcomes.size() == 1);
            assertNull(outcomes.get(0).toCompletableFuture().get(env().timeout().toMillis(), TimeUnit.MILLISECONDS),
                    "a handled message's stage completes normally: the transport acknowledges it");

            assertThrows(RemoteHandlerException.class, () -> ask(client(), destination, "fail"));
            awaitTrue("the core gave the transport a stage for the failed message", () -> outcomes.size() == 2);
            assertFailsWithin(outcomes.get(1), "a failed handler's message");

            CompletableFuture<Message> later = client().rpc().requestAsync(destination, "later", patient());
            assertTrue(await(laterStarted), "the async handler started");
            awaitTrue("the core gave the transport a stage for the async message", () -> outcomes.size() == 3);
            CompletableFuture<Void> laterOutcome = outcomes.get(2).toCompletableFuture();
            assertFalse(laterOutcome.isDone(), "the stage of a message whose async handler runs must not be complete yet");
            release.countDown();
            assertEquals("done later", get(later).bodyAsString());
            assertNull(laterOutcome.get(env().timeout().toMillis(), TimeUnit.MILLISECONDS),
                    "the async handler's message is acknowledged once it finished");

            List<CompletionStage<Void>> numberOutcomes = ObservingTransportProvider.outcomes(numbers);
            RemoteHandlerException undecodable = assertThrows(RemoteHandlerException.class,
                    () -> ask(client(), numbers, "not a number"));
            assertEquals(400, undecodable.code());
            awaitTrue("the core gave the transport a stage for the undecodable message", () -> numberOutcomes.size() == 1);
            assertFailsWithin(numberOutcomes.get(0), "an undecodable message");

            // an executor that refuses a message (a bounded pool that is full): that message is rejected,
            // its handler slot is freed, and the subscription (concurrency 1) serves the next one
            String refusing = env().destination("acks-refused");
            AtomicBoolean refusedOnce = new AtomicBoolean();
            Executor full = task -> {
                if (refusedOnce.compareAndSet(false, true)) {
                    throw new RejectedExecutionException("the kit's executor is full");
                }
                new Thread(task, "parley-tck-refusing-executor").start();
            };
            observed.subscribe(refusing, String.class, SubscribeOptions.builder().executor(full).concurrency(1).build(),
                    body -> "fine");
            List<CompletionStage<Void>> refusedOutcomes = ObservingTransportProvider.outcomes(refusing);
            get(client().publish(refusing, "refused"));
            awaitTrue("the core gave the transport a stage for the refused message", () -> refusedOutcomes.size() == 1);
            assertFailsWithin(refusedOutcomes.get(0), "a message the executor refused");
            assertEquals("fine", ask(client(), refusing, "next").bodyAsString(), "the refused message freed its slot");
        }

        private void assertFailsWithin(CompletionStage<Void> outcome, String what) {
            assertStageFails(outcome, env().timeout(), Throwable.class, what);
        }

        @Test
        @DisplayName("13.17 a message still waiting for a handler slot when its subscription closes, or handed over after, is not handled: its stage fails at once, so the transport gives it back to the broker")
        void required_spec1317_messagesAtOrAfterCloseAreGivenBack() throws Exception {
            // longer than any wait below: a close() that waits for its whole closeTimeout shows
            Broker observed = observed(options -> options.closeTimeout(env().timeout().multipliedBy(4)));
            String destination = env().destination("after-close");
            CountDownLatch release = gate();
            AtomicInteger handled = new AtomicInteger();
            Subscriber subscriber = holdTheOnlySlot(observed, destination, release, handled);
            InboundHandler core = ObservingTransportProvider.handler(destination);
            Envelope message = Envelope.builder(destination).body("late".getBytes(StandardCharsets.UTF_8))
                    .contentType("text/plain; charset=utf-8").build();
            CompletableFuture<CompletionStage<Void>> waiting = CompletableFuture.supplyAsync(() -> core.onMessage(message));
            assertThrows(TimeoutException.class, () -> waiting.get(env().slack().toMillis(), TimeUnit.MILLISECONDS),
                    "a message waits while the only handler slot is taken");
            CompletableFuture<Void> closing = CompletableFuture.runAsync(subscriber::close);
            assertStageFails(get(waiting), env().slack(), BrokerClosedException.class, "the message that waited for a slot");
            release.countDown();
            long start = System.nanoTime();
            get(closing);
            assertTrue(millisSince(start) < env().slack().toMillis(),
                    "close() returns once the running handler ends: the refused message holds no slot");
            assertStageFails(core.onMessage(message), env().slack(), BrokerClosedException.class,
                    "a message handed over after close");
            assertEquals(1, handled.get(), "only the first message was handled");

            // a delivering thread interrupted while it waits for a slot: the message is not handled, its stage
            // fails so that the transport gives it back, and the thread keeps its interrupt flag
            String busy = env().destination("after-close-busy");
            CountDownLatch busyRelease = gate();
            AtomicInteger busyHandled = new AtomicInteger();
            Subscriber busySubscriber = holdTheOnlySlot(observed, busy, busyRelease, busyHandled);
            InboundHandler busyCore = ObservingTransportProvider.handler(busy);
            OwnThread<CompletionStage<Void>> interrupted = OwnThread.start("parley-tck-delivering",
                    () -> busyCore.onMessage(message));
            awaitTrue("the delivering thread waits for the slot", interrupted::waits);
            interrupted.thread().interrupt();
            assertStageFails(get(interrupted.outcome()), env().slack(), BrokerClosedException.class,
                    "a message whose delivering thread was interrupted while it waited for a slot");
            assertTrue(interrupted.flagKept().get(), "the delivering thread must keep its interrupt flag");

            // the slot freed just after close() began goes to close(), even when a waiting message takes it first
            OwnThread<CompletionStage<Void>> waitingAtClose = OwnThread.start("parley-tck-delivering",
                    () -> busyCore.onMessage(message));
            awaitTrue("the message waits for the slot", waitingAtClose::waits);
            CompletableFuture<Void> closingBusy = CompletableFuture.runAsync(busySubscriber::close);
            awaitTrue("close() began", () -> !busySubscriber.isActive());
            busyRelease.countDown();
            long released = System.nanoTime();
            get(closingBusy);
            assertTrue(millisSince(released) < env().slack().toMillis(), "close() took " + millisSince(released)
                    + " ms after the running handler ended: a slot taken while it closed was not given back");
            assertStageFails(get(waitingAtClose.outcome()), env().slack(), BrokerClosedException.class,
                    "a message that waited for a slot while its subscription closed");
            assertEquals(1, busyHandled.get(), "only the first message was handled");
        }

        /**
         * Subscribes with concurrency 1 and a handler that counts, then waits for {@code release}; publishes
         * one message, and returns once its handler holds the only slot.
         */
        private Subscriber holdTheOnlySlot(Broker broker, String destination, CountDownLatch release,
                                           AtomicInteger handled) throws Exception {
            CountDownLatch started = new CountDownLatch(1);
            Subscriber subscriber = broker.subscribe(destination, String.class,
                    SubscribeOptions.builder().concurrency(1).build(), body -> {
                        handled.incrementAndGet();
                        started.countDown();
                        release.await();
                        return null;
                    });
            get(client().publish(destination, "holds the only slot"));
            assertTrue(await(started), "the first message should reach its handler");
            return subscriber;
        }


        @Test
        @DisplayName("13.18 what a transport reports reaches the caller typed: a raw failure of subscribe, publish or request is a MessagingException that keeps it as cause (a MessagingException passes as it is), a failed request ends at once with SEND_FAILED, a lost connection fails the waiting requests at once, an unreadable reply fails its request with code 502")
        void required_spec1318_transportFailuresReachTheCallerTyped() throws Exception {
            String connection = "kit-" + UUID.randomUUID();
            Broker observed = observed(options -> options.property(ObservingTransportProvider.CONNECTION, connection));
            String destination = env().destination("signals");
            server().subscribe(destination, String.class, body -> "pong");
            RuntimeException raw = new IllegalStateException("the client refused (kit)");
            Exception io = new java.io.IOException("the socket closed (kit)");
            MessagingException typed = new ConnectionException("a typed failure (kit)");

            ObservingTransportProvider.failNext(destination, raw, true);
            MessagingException refused = assertThrows(MessagingException.class,
                    () -> observed.subscribe(destination, String.class, body -> "never"));
            assertSame(raw, refused.getCause(), "the transport's exception is the cause");
            assertTrue(refused.getMessage().contains(destination), refused.getMessage());

            for (ObservingTransportProvider.Failure failure : List.of(new ObservingTransportProvider.Failure(raw, true),
                    new ObservingTransportProvider.Failure(io, false))) {
                ObservingTransportProvider.failNext(destination, failure.failure(), failure.thrown());
                Throwable published = assertThrows(ExecutionException.class,
                        () -> observed.publish(destination, "x").get(env().timeout().toMillis(), TimeUnit.MILLISECONDS))
                        .getCause();
                assertInstanceOf(MessagingException.class, published, "a failed publish");
                assertSame(failure.failure(), published.getCause(), "the transport's exception is the cause");
                assertTrue(published.getMessage().contains(destination), published.getMessage());

                ObservingTransportProvider.failNext(destination, failure.failure(), failure.thrown());
                long start = System.nanoTime();
                RequestException notSent = assertThrows(RequestException.class,
                        () -> observed.rpc().request(destination, "x", patient()));
                assertEquals(RequestException.Reason.SEND_FAILED, notSent.reason());
                assertTrue(millisSince(start) < env().timeout().toMillis(), "a failed send must not wait for its timeout");
                assertSame(failure.failure(), notSent.getCause(), "the transport's exception is the cause");
            }
            for (boolean thrown : List.of(true, false)) {
                ObservingTransportProvider.failNext(destination, typed, thrown);
                Throwable published = assertThrows(ExecutionException.class,
                        () -> observed.publish(destination, "x").get(env().timeout().toMillis(), TimeUnit.MILLISECONDS))
                        .getCause();
                assertSame(typed, published, "a MessagingException from the transport reaches the caller as it is");
            }
            RequestException refusedByTransport = new RequestException(RequestException.Reason.SEND_FAILED, destination,
                    null, env().transportName(), "refused by the transport (kit)");
            ObservingTransportProvider.failNext(destination, refusedByTransport, false);
            assertSame(refusedByTransport, assertThrows(RequestException.class,
                    () -> observed.rpc().request(destination, "x", patient())),
                    "a RequestException from the transport reaches the caller as it is");
            assertEquals(0, observed.rpc().pendingRequests(), "failed sends leave nothing pending");
            assertEquals("pong", ask(observed, destination, "ping").bodyAsString(), "the broker serves on");

            // the transport's signals to the core (docs/SPEC.md Section 6): a lost connection, an unreadable reply
            String quiet = env().destination("signals-quiet");
            LinkedBlockingQueue<String> ids = new LinkedBlockingQueue<>();
            server().subscribe(quiet, Message.class, SubscribeOptions.builder().noReplies().build(), message -> {
                ids.add(message.correlationId());
                return null;
            });
            ReplyListener replies = ObservingTransportProvider.replies(connection);
            replies.onConnectionLost("nothing waits (kit)");
            assertDoesNotThrow(() -> replies.onReply(Envelope.builder(quiet).body(new byte[] {1}).build()),
                    "a reply without correlation id is dropped");
            CompletableFuture<Message> waiting = observed.rpc().requestAsync(quiet, "?", patient());
            awaitTrue("the request reached its handler", () -> !ids.isEmpty());
            replies.onConnectionLost("the kit cut the connection");
            Throwable lost = assertThrows(ExecutionException.class,
                    () -> waiting.get(env().slack().toMillis(), TimeUnit.MILLISECONDS)).getCause();
            assertInstanceOf(RequestException.class, lost);
            assertEquals(RequestException.Reason.CONNECTION_LOST, ((RequestException) lost).reason());
            assertTrue(lost.getMessage().contains("the kit cut the connection"), lost.getMessage());
            assertEquals(0, observed.rpc().pendingRequests(), "a lost request leaves the pending table");

            ids.clear();
            CompletableFuture<Message> unread = observed.rpc().requestAsync(quiet, "?", patient());
            awaitTrue("the request reached its handler", () -> !ids.isEmpty());
            replies.onReply(Envelope.builder(quiet).correlationId(ids.poll()).body("looks fine".getBytes(StandardCharsets.UTF_8))
                    .problem("a header the transport could not read (kit)").build());
            Throwable unreadable = assertThrows(ExecutionException.class,
                    () -> unread.get(env().slack().toMillis(), TimeUnit.MILLISECONDS)).getCause();
            assertInstanceOf(RemoteHandlerException.class, unreadable);
            assertEquals(502, ((RemoteHandlerException) unreadable).code());
            assertTrue(unreadable.getMessage().contains("could not be read"), unreadable.getMessage());
            assertEquals(0, observed.rpc().pendingRequests(), "an unreadable reply ends its request");
            assertEquals("pong", ask(observed, destination, "ping").bodyAsString(), "the broker serves on");
        }

        @Test
        @DisplayName("13.19 a message the transport could not read (Envelope.problem) never reaches the handler, is answered with a 400 error reply when it has a reply-to, and its stage fails; so does the stage of a message whose reply the transport could not send")
        void required_spec1319_unreadableMessagesAndUnsentRepliesFailTheirStage() throws Exception {
            Broker observed = observed(options -> options);
            String destination = env().destination("unreadable");
            AtomicInteger handled = new AtomicInteger();
            observed.subscribe(destination, String.class, body -> {
                handled.incrementAndGet();
                return "handled " + body;
            });
            InboundHandler core = ObservingTransportProvider.handler(destination);
            Envelope.Builder unreadable = Envelope.builder(destination).body("{\"id\": 1}".getBytes(StandardCharsets.UTF_8))
                    .contentType("application/json").problem("a header the transport could not read (kit)");

            assertStageFails(core.onMessage(unreadable.build()), env().timeout(), CodecException.class,
                    "an unreadable message without reply-to");
            // a reply address is the transport's own form (docs/SPEC.md Section 6), so the kit reads the error
            // reply where the core hands it to the transport; 8.02 checks that one reaches a requester
            List<Envelope> sent = ObservingTransportProvider.repliesSent(destination);
            // nobody listens at that address: the wrapper keeps the error reply from the broker
            ObservingTransportProvider.failNext(destination, new java.io.IOException("not sent (kit)"), false);
            assertStageFails(core.onMessage(unreadable.correlationId("kit-1319").replyTo("kit-1319-reply-to").build()),
                    env().timeout(), CodecException.class, "an unreadable message with a reply-to");
            assertEquals(1, sent.size(), "one error reply for the unreadable message with a reply-to: " + sent);
            assertEquals("400", sent.get(0).headers().get(Envelope.ERROR_CODE), "the requester is told: code 400");
            assertEquals("kit-1319", sent.get(0).correlationId());
            assertEquals(0, handled.get(), "the handler never sees a message the transport could not read");

            // the transport cannot send the error reply, or the handler's reply: the message's stage fails
            ObservingTransportProvider.failNext(destination, new IllegalStateException("cannot reply (kit)"), true);
            assertStageFails(core.onMessage(unreadable.correlationId("kit-1319b").build()), env().timeout(), Throwable.class,
                    "an unreadable message whose error reply could not be sent");
            List<CompletionStage<Void>> outcomes = ObservingTransportProvider.outcomes(destination);
            ObservingTransportProvider.failNext(destination, new java.io.IOException("reply lost (kit)"), false);
            assertTrue(client().rpc().request(destination, "x", impatient()).isEmpty(), "the reply was not sent");
            awaitTrue("the core gave the transport a stage for the request", () -> outcomes.size() == 1);
            Throwable failure = assertStageFails(outcomes.get(0), env().timeout(), Throwable.class, "a request whose reply was lost");
            assertEquals("reply lost (kit)", failure.getMessage(), "the stage fails with the send failure");
            assertEquals(1, handled.get());
            assertEquals("handled y", ask(client(), destination, "y").bodyAsString(), "the subscription serves on");
        }

        @Test
        @DisplayName("13.16 options that cannot work are refused when built, with one ConfigurationException that names every problem; toBuilder() keeps every setting")
        void required_spec1316_invalidOptionsAreRefusedWhenBuilt() {
            Map<String, String> nullValue = new HashMap<>();
            nullValue.put("x-empty", null);
            assertRefused("request options", () -> RequestOptions.builder().timeout(Duration.ZERO).build(), "timeout");
            assertRefused("request options", () -> RequestOptions.builder().timeout(Duration.ofSeconds(1)).noTimeout()
                    .build(), "noTimeout");
            assertRefused("request options", () -> RequestOptions.builder().gap(Duration.ofMillis(-1)).build(), "gap");
            assertRefused("request options", () -> RequestOptions.builder().maxReplies(0).build(), "maxReplies");
            assertRefused("request options", () -> RequestOptions.builder().headers(nullValue).build(), "x-empty");
            assertRefused("request options", () -> RequestOptions.builder().timeout(Duration.ofSeconds(-1))
                    .gap(Duration.ZERO).maxReplies(-3).build(), "timeout", "gap", "maxReplies");
            assertEquals(1, RequestOptions.builder().maxReplies(1).build().maxReplies().orElseThrow(),
                    "one reply is a valid maximum");

            assertRefused("publish options", () -> PublishOptions.builder().headers(nullValue).build(), "x-empty");
            assertRefused("publish options", () -> PublishOptions.builder().replyTo(" ").build(), "replyTo");
            assertRefused("publish options", () -> PublishOptions.builder().correlationId("").build(), "correlationId");

            assertRefused("subscribe options", () -> SubscribeOptions.builder().group(" ").build(), "group");
            assertRefused("subscribe options", () -> SubscribeOptions.builder().concurrency(0).build(), "concurrency");
            assertRefused("subscribe options", () -> SubscribeOptions.builder().property("x.key", null).build(), "x.key");
            assertEquals(1, SubscribeOptions.builder().concurrency(1).build().concurrency().orElseThrow());

            assertRefused("broker options", () -> BrokerOptions.builder().transport(" ").build(), "transport");
            assertRefused("broker options", () -> BrokerOptions.builder().requestTimeout(Duration.ZERO).build(),
                    "requestTimeout");
            assertRefused("broker options", () -> BrokerOptions.builder().closeTimeout(Duration.ofMillis(-1)).build(),
                    "closeTimeout");
            assertRefused("broker options", () -> BrokerOptions.builder().maxPendingRequests(0).build(),
                    "maxPendingRequests");
            assertRefused("broker options", () -> BrokerOptions.builder().handlerConcurrency(0).build(),
                    "handlerConcurrency");
            assertRefused("broker options", () -> BrokerOptions.builder().codec(null).build(), "codec");
            assertRefused("broker options", () -> BrokerOptions.builder().properties(nullValue).build(), "x-empty");
            BrokerOptions edge = BrokerOptions.builder().maxPendingRequests(1).handlerConcurrency(1).build();
            assertEquals(1, edge.maxPendingRequests());
            assertEquals(1, edge.handlerConcurrency());

            Executor executor = Runnable::run;
            TlsOptions tls = TlsOptions.builder().build();
            BrokerOptions full = BrokerOptions.builder().transport("named").requestTimeout(Duration.ofSeconds(7))
                    .maxPendingRequests(9).handlerExecutor(executor).handlerConcurrency(3)
                    .closeTimeout(Duration.ofSeconds(2)).codec(env().options().codec()).errorDetails(true).tls(tls)
                    .properties(Map.of("kit.a", "1")).property("kit.b", "2").build();
            BrokerOptions copy = full.toBuilder().build();
            assertEquals(Optional.of("named"), copy.transport());
            assertEquals(Duration.ofSeconds(7), copy.requestTimeout());
            assertEquals(9, copy.maxPendingRequests());
            assertEquals(Optional.of(executor), copy.handlerExecutor());
            assertEquals(3, copy.handlerConcurrency());
            assertEquals(Duration.ofSeconds(2), copy.closeTimeout());
            assertEquals(env().options().codec(), copy.codec());
            assertTrue(copy.errorDetails());
            assertEquals(Optional.of(tls), copy.tls());
            assertEquals(Map.of("kit.a", "1", "kit.b", "2"), copy.properties());
        }

        /** Building fails with a ConfigurationException about {@code what} that names each of {@code problems}, one per entry. */
        private void assertRefused(String what, Executable build, String... problems) {
            ConfigurationException refused = assertThrows(ConfigurationException.class, build,
                    "invalid " + what + " must be refused when built");
            assertTrue(refused.getMessage().contains(what), "the message must say what was invalid: " + refused.getMessage());
            assertEquals(problems.length, refused.problems().size(), "one problem per invalid setting: " + refused.problems());
            for (String problem : problems) {
                assertTrue(refused.problems().stream().anyMatch(p -> p.contains(problem)),
                        "a problem must name " + problem + ": " + refused.problems());
                assertTrue(refused.getMessage().contains(problem), "the message must name " + problem);
            }
        }

        @Test
        @DisplayName("13.20 a group member that closes while messages wait for it leaves them to the rest of its group: every message is handled")
        void optional_spec1320_closingMemberLeavesItsMessagesToTheGroup() throws Exception {
            assumeCapability(Capability.AT_LEAST_ONCE);
            String destination = env().destination("leaving");
            int messages = 30;
            CountDownLatch release = gate();
            CountDownLatch started = new CountDownLatch(1);
            AtomicInteger holder = new AtomicInteger(-1);
            List<Map<String, AtomicInteger>> handled = new ArrayList<>();
            List<Subscriber> members = new ArrayList<>();
            Broker others = connect();
            for (int member = 0; member < 3; member++) {
                int self = member;
                Map<String, AtomicInteger> own = new ConcurrentHashMap<>();
                handled.add(own);
                members.add((member == 0 ? server() : others).subscribe(destination, String.class,
                        SubscribeOptions.builder().group("g").concurrency(1).build(), body -> {
                            own.computeIfAbsent(body, key -> new AtomicInteger()).incrementAndGet();
                            if (holder.compareAndSet(-1, self)) { // the first message holds its member's only slot
                                started.countDown();
                                release.await();
                            }
                            return null;
                        }));
            }
            publishNumbered(destination, messages);
            assertTrue(await(started), "a member should get a message");
            // the holder's share waits for its slot; it closes, then its running handler ends
            Subscriber leaving = members.get(holder.get());
            CompletableFuture<Void> closing = CompletableFuture.runAsync(leaving::close);
            awaitTrue("close() began", () -> !leaving.isActive());
            release.countDown();
            get(closing);
            Set<String> handledByLeaving = handled.get(holder.get()).keySet();
            Supplier<Map<String, Integer>> byStaying = () -> {
                Map<String, Integer> all = new HashMap<>();
                for (int member = 0; member < 3; member++) {
                    if (member != holder.get()) {
                        handled.get(member).forEach((body, count) -> all.merge(body, count.get(), Integer::sum));
                    }
                }
                return all;
            };
            long deadline = System.nanoTime() + env().memberTimeout().plus(env().timeout()).toNanos();
            while (System.nanoTime() < deadline && union(handledByLeaving, byStaying.get().keySet()) < messages) {
                Thread.sleep(20); // polling interval of a condition with a deadline
            }
            Map<String, Integer> handledByStaying = byStaying.get();
            Set<String> missing = new java.util.TreeSet<>();
            for (int i = 0; i < messages; i++) {
                if (!handledByLeaving.contains("m" + i) && !handledByStaying.containsKey("m" + i)) {
                    missing.add("m" + i);
                }
            }
            int duplicates = handledByStaying.entrySet().stream().mapToInt(entry -> entry.getValue() - 1
                    + (handledByLeaving.contains(entry.getKey()) ? 1 : 0)).sum();
            log.info("13.20 [{}] the closing member handled {}; lost {}, duplicates {}", env().transportName(),
                    handledByLeaving, missing.size(), duplicates);
            assertEquals(Set.of(), missing, "messages the closing member had taken were lost, " + duplicates
                    + " duplicates");
            assertEquals(1, handledByLeaving.size(), "a closing member handles nothing after its running handler: "
                    + handledByLeaving);
        }
    }

    /** Publishes "m0" to "m{count - 1}" at once, then waits until the broker took each. */
    private void publishNumbered(String destination, int count) throws Exception {
        List<CompletableFuture<Void>> published = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            published.add(client().publish(destination, "m" + i));
        }
        for (CompletableFuture<Void> sent : published) {
            get(sent);
        }
    }

    /** The stage the core returned for a message fails within {@code within}, with a {@code type}; returns the failure. */
    private Throwable assertStageFails(CompletionStage<Void> outcome, Duration within, Class<? extends Throwable> type,
                                       String what) {
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> outcome.toCompletableFuture().get(within.toMillis(), TimeUnit.MILLISECONDS),
                what + ": its stage must complete exceptionally, so the transport does not acknowledge it but"
                        + " applies its reject policy");
        return assertInstanceOf(type, e.getCause(), what);
    }

    private static int union(Set<String> first, Set<String> second) {
        Set<String> all = new HashSet<>(first);
        all.addAll(second);
        return all.size();
    }

    private static ThreadFactory named(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    // ---------------------------------------------------------------- 14 one connection, many subscriptions

    @Nested
    @DisplayName("14 One connection, many subscriptions")
    class OneConnectionManySubscriptions {

        @Test
        @DisplayName("14.01 on one Broker and one destination, a two-member group gets each message once and each subscriber without a group gets every one")
        void required_spec1401_manySubscriptionsOnOneDestination() throws Exception {
            String destination = env().destination("shared");
            Map<String, AtomicInteger> group = new ConcurrentHashMap<>();
            AtomicInteger groupTotal = new AtomicInteger();
            for (int member = 0; member < 2; member++) {
                server().subscribe(destination, String.class, SubscribeOptions.group("g"), body -> {
                    group.computeIfAbsent(body, k -> new AtomicInteger()).incrementAndGet();
                    groupTotal.incrementAndGet();
                    return null;
                });
            }
            boolean fanOut = env().supports(Capability.FAN_OUT);
            List<AtomicInteger> alone = List.of(new AtomicInteger(), new AtomicInteger());
            if (fanOut) {
                for (AtomicInteger count : alone) {
                    server().subscribe(destination, String.class, body -> {
                        count.incrementAndGet();
                        return null;
                    });
                }
            }
            int messages = 20;
            for (int i = 0; i < messages; i++) {
                get(client().publish(destination, "m" + i));
            }
            awaitTrue("the group handled " + messages + " messages (it has " + groupTotal.get() + ")",
                    () -> groupTotal.get() >= messages);
            if (fanOut) {
                for (AtomicInteger count : alone) {
                    awaitTrue("each subscriber without a group got all " + messages + " (one has " + count.get() + ")",
                            () -> count.get() >= messages);
                }
            }
            assertStaysEqual("the group handles each message once", messages, groupTotal);
            assertEquals(messages, group.size());
            if (fanOut) {
                for (AtomicInteger count : alone) {
                    assertEquals(messages, count.get(), "a subscriber without a group gets each message once");
                }
            }
        }

        @Test
        @DisplayName("14.02 a subscription held at its concurrency limit does not stall its Broker: it still publishes, requests and serves")
        void required_spec1402_busySubscriptionStallsNothingElse() throws Exception {
            String busy = env().destination("busy");
            AtomicInteger handled = new AtomicInteger();
            CountDownLatch gate = gate();
            server().subscribe(busy, String.class, SubscribeOptions.builder().concurrency(1).build(), body -> {
                gate.await();
                handled.incrementAndGet();
                return null;
            });
            for (int i = 0; i < 5; i++) {
                get(client().publish(busy, "held " + i));
            }
            String served = env().destination("served");
            echo(served);
            String elsewhere = env().destination("elsewhere");
            client().subscribe(elsewhere, String.class, body -> "from the client: " + body);
            BlockingList published = new BlockingList();
            String inbox = env().destination("inbox");
            client().subscribe(inbox, Message.class, message -> {
                published.add(message);
                return null;
            });
            long start = System.nanoTime();
            assertEquals("ping", ask(client(), served, "ping").bodyAsString(), "the busy Broker must still serve");
            assertEquals("from the client: ping", ask(server(), elsewhere, "ping").bodyAsString(),
                    "the busy Broker must still request");
            get(server().publish(inbox, "note"));
            assertEquals("note", published.take(env().timeout()).bodyAsString(), "the busy Broker must still publish");
            log.info("14.02 [{}] served, requested and published in {} ms beside a full subscription",
                    env().transportName(), millisSince(start));
            gate.countDown();
            awaitTrue("the held messages were all handled once the handler was free (" + handled.get() + " of 5)",
                    () -> handled.get() == 5);
        }
    }

    // ---------------------------------------------------------------- 15 TLS

    @Nested
    @Tag("tls")
    @DisplayName("15 TLS")
    class Tls {

        private KitEnvironment.TlsEndpoint endpoint() {
            assumeCapability(Capability.TLS);
            return env().tls().orElseGet(() -> fail("the environment gives no TLS broker: give one with"
                    + " KitEnvironment.Builder.tls(...), or declare Capability.TLS lacking with its reason"));
        }

        private Broker connectWith(String uri, TlsOptions tls) {
            Broker broker = Broker.connect(uri, env().options().toBuilder().tls(tls).build());
            brokers.add(broker);
            return broker;
        }

        private void assertServes(Broker service, Broker requester) {
            String destination = env().destination("tls");
            service.subscribe(destination, String.class, name -> "Hello, " + name);
            assertEquals("Hello, Ada", ask(requester, destination, "Ada").bodyAsString());
        }

        /** Connecting fails, typed and soon, with a message that holds {@code words} and no password. */
        private void assertRefused(String rule, String uri, TlsOptions tls, String words, TestCertificates certificates) {
            long start = System.nanoTime();
            ConnectionException refused = assertThrows(ConnectionException.class,
                    () -> Broker.connect(uri, env().options().toBuilder().tls(tls).build()).close(),
                    "the connection must fail with ConnectionException");
            long took = millisSince(start);
            assertTrue(took <= env().timeout().toMillis(), "the failed handshake took " + took + " ms to be reported");
            String message = refused.getMessage();
            assertTrue(message.toLowerCase(Locale.ROOT).contains(words),
                    "the message must say '" + words + "': " + message);
            assertFalse(message.contains(new String(certificates.password())), "the message shows a password");
            log.info("{} [{}] refused in {} ms: {}", rule, env().transportName(), took, message);
        }

        @Test
        @DisplayName("15.01 with the CA and a client certificate (stores or PEM files) a request over mutual TLS gets its reply")
        void required_spec1501_mutualTlsServes() {
            KitEnvironment.TlsEndpoint tls = endpoint();
            TestCertificates certificates = tls.certificates();
            Broker service = connectWith(tls.uri(), certificates.clientOptions());
            Broker requester = connectWith(tls.uri(), TlsOptions.builder()
                    .trustCertificates(certificates.caCertificate())
                    .certificate(certificates.clientCertificate(), certificates.clientKey())
                    .build());
            assertServes(service, requester);
        }

        @Test
        @DisplayName("15.02 an application's own SSLContext serves the same")
        void required_spec1502_ownSslContextServes() throws Exception {
            KitEnvironment.TlsEndpoint tls = endpoint();
            TestCertificates certificates = tls.certificates();
            char[] password = certificates.password();
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(KeyStore.getInstance(certificates.trustStore().toFile(), password));
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(KeyStore.getInstance(certificates.clientKeyStore().toFile(), password), password);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys.getKeyManagers(), trust.getTrustManagers(), null);
            Broker service = connectWith(tls.uri(), TlsOptions.of(context));
            assertServes(service, connectWith(tls.uri(), TlsOptions.of(context)));
        }

        @Test
        @DisplayName("15.03 a broker certificate from a CA the client does not trust fails the connect at once, saying so")
        void required_spec1503_untrustedCertificateIsNamed() {
            KitEnvironment.TlsEndpoint tls = endpoint();
            TestCertificates certificates = tls.certificates();
            // the client certificate is there, only the trust is missing: the JVM's CAs do not know the test CA
            assertRefused("15.03", tls.uri(), TlsOptions.builder()
                    .keyStore(certificates.clientKeyStore(), certificates.password()).build(), "not trusted", certificates);
        }

        @Test
        @DisplayName("15.04 a broker certificate that does not name the host fails the connect, saying so; only an explicit switch lets it pass")
        void required_spec1504_hostNameMismatchIsNamed() {
            KitEnvironment.TlsEndpoint tls = endpoint();
            TestCertificates certificates = tls.certificates();
            assertRefused("15.04", tls.otherHostUri(), certificates.clientOptions(), "host name", certificates);
            TlsOptions unchecked = TlsOptions.builder()
                    .trustStore(certificates.trustStore(), certificates.password())
                    .keyStore(certificates.clientKeyStore(), certificates.password())
                    .hostnameVerification(false).build();
            assertServes(connectWith(tls.otherHostUri(), unchecked), connectWith(tls.uri(), certificates.clientOptions()));
        }

        @Test
        @DisplayName("15.05 without the client certificate a broker demands, the connect fails, saying that one is needed")
        void required_spec1505_missingClientCertificateIsNamed() {
            KitEnvironment.TlsEndpoint tls = endpoint();
            TestCertificates certificates = tls.certificates();
            assertRefused("15.05", tls.uri(), TlsOptions.builder()
                    .trustCertificates(certificates.caCertificate()).build(), "client certificate", certificates);
        }

        @Test
        @DisplayName("15.06 TLS settings are read when built, on every transport: each problem of the files is named in one ConfigurationException without the password, and the settings say what they hold")
        void required_spec1506_tlsSettingsAreCheckedWhenBuilt() throws Exception {
            TestCertificates certificates = TestCertificates.shared();
            char[] password = certificates.password();
            String secret = new String(password);
            Path missing = certificates.directory().resolve("parley-kit-missing.pem");
            Path notPem = certificates.directory().resolve("server.ext"); // text, but no certificate or key

            assertTlsRefused(secret, () -> TlsOptions.builder().trustStore(certificates.trustStore(),
                    "wrong-password".toCharArray()).build(), "password");
            assertTlsRefused(secret, () -> TlsOptions.builder().trustStore(missing, password).build(), "cannot be read");
            assertTlsRefused(secret, () -> TlsOptions.builder().trustStore(certificates.caCertificate(), password)
                    .build(), "not a PKCS#12 or JKS store");
            assertTlsRefused(secret, () -> TlsOptions.builder().keyStore(missing, password).build(), "cannot be read");
            assertTlsRefused(secret, () -> TlsOptions.builder().trustCertificates(missing).build(), "cannot be read");
            assertTlsRefused(secret, () -> TlsOptions.builder().trustCertificates(notPem).build(), "certificate");
            assertTlsRefused(secret, () -> TlsOptions.builder().trustStore(certificates.trustStore(), password)
                    .trustCertificates(certificates.caCertificate()).build(), "not both");
            assertTlsRefused(secret, () -> TlsOptions.builder().keyStore(certificates.clientKeyStore(), password)
                    .certificate(certificates.clientCertificate(), certificates.clientKey()).build(), "not both");
            assertTlsRefused(secret, () -> TlsOptions.builder().certificate(certificates.clientCertificate(), null)
                    .build(), "private key");
            assertTlsRefused(secret, () -> TlsOptions.builder().certificate(certificates.clientCertificate(), missing)
                    .build(), "cannot be read");
            assertTlsRefused(secret, () -> TlsOptions.builder().certificate(certificates.clientCertificate(), notPem)
                    .build(), "BEGIN PRIVATE KEY");
            assertTlsRefused(secret, () -> TlsOptions.builder().certificate(missing, certificates.clientKey())
                    .build(), "cannot be read");
            assertTlsRefused(secret, () -> TlsOptions.builder().sslContext(SSLContext.getDefault())
                    .trustCertificates(certificates.caCertificate()).build(), "not both");
            ConfigurationException all = assertTlsRefused(secret, () -> TlsOptions.builder()
                    .trustStore(certificates.trustStore(), "wrong-password".toCharArray())
                    .certificate(missing, notPem).build(), "password", "cannot be read", "BEGIN PRIVATE KEY");
            assertFalse(all.getMessage().contains("wrong-password"), "the message shows a password");

            TlsOptions pem = TlsOptions.builder().trustCertificates(certificates.caCertificate())
                    .certificate(certificates.clientCertificate(), certificates.clientKey()).build();
            TlsOptions stores = TlsOptions.builder().trustStore(certificates.trustStore(), password)
                    .keyStore(certificates.clientKeyStore(), password).hostnameVerification(false).build();
            TlsOptions trustOnly = TlsOptions.builder().trustCertificates(certificates.caCertificate()).build();
            SSLContext own = SSLContext.getInstance("TLS");
            own.init(null, null, null);
            TlsOptions user = TlsOptions.of(own);
            assertTrue(pem.hasClientCertificate() && stores.hasClientCertificate(), "a key was given");
            assertFalse(trustOnly.hasClientCertificate() || user.hasClientCertificate(), "no key was given");
            assertTrue(pem.hostnameVerification() && trustOnly.hostnameVerification() && user.hostnameVerification(),
                    "host names are verified unless turned off");
            assertFalse(stores.hostnameVerification());
            assertTrue(user.isUserContext() && !pem.isUserContext() && !stores.isUserContext());
            assertSame(own, user.sslContext(), "the application's own context is used as it is");
            for (TlsOptions options : List.of(pem, stores, trustOnly, TlsOptions.builder().build())) {
                assertNotNull(options.sslContext(), "a context is built");
                assertEquals("TLS", options.sslContext().getProtocol());
                assertFalse(options.toString().contains(secret), "toString() shows a password: " + options);
            }
            assertTrue(stores.toString().contains("not verified"), "toString() says host names are not verified: " + stores);
            assertTrue(pem.toString().contains("client certificate"), pem.toString());
            assertTrue(stores.toString().contains(certificates.trustStore().toString()), stores.toString());
            assertTrue(TlsOptions.builder().build().toString().contains("JVM default"), "the JVM's CAs are trusted by default");

            // the contexts work: a TLS server that demands a client certificate from the kit's CA accepts
            // the PEM and the store forms, and refuses the others
            assertNull(handshake(pem, certificates), "PEM trust and client certificate must complete a mutual TLS handshake");
            assertNull(handshake(stores, certificates), "trust and key stores must complete a mutual TLS handshake");
            assertNotNull(handshake(trustOnly, certificates), "without a client certificate the server refuses");
            assertNotNull(handshake(TlsOptions.builder().keyStore(certificates.clientKeyStore(), password).build(),
                    certificates), "the JVM's CAs do not trust the kit's server");
        }

        /** One mutual TLS handshake with an in-JVM server of the kit's CA; null when it succeeded, else why not. */
        private Exception handshake(TlsOptions client, TestCertificates certificates) throws Exception {
            try (SSLServerSocket server = (SSLServerSocket) certificates.serverContext().getServerSocketFactory()
                    .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                server.setNeedClientAuth(true);
                CompletableFuture<Void> served = CompletableFuture.runAsync(() -> {
                    try (SSLSocket accepted = (SSLSocket) server.accept()) {
                        accepted.setSoTimeout((int) env().timeout().toMillis());
                        accepted.startHandshake();
                        accepted.getOutputStream().write('+');
                        accepted.getOutputStream().flush();
                    } catch (IOException refused) {
                        // the client learns it from its side
                    }
                });
                try (SSLSocket socket = (SSLSocket) client.sslContext().getSocketFactory()
                        .createSocket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
                    socket.setSoTimeout((int) env().timeout().toMillis());
                    socket.startHandshake();
                    int read = socket.getInputStream().read(); // TLS 1.3 reports a refused client certificate here
                    return read == '+' ? null : new IOException("the server closed the connection");
                } catch (Exception e) {
                    return e;
                } finally {
                    served.get(env().timeout().toMillis(), TimeUnit.MILLISECONDS);
                }
            }
        }

        private ConfigurationException assertTlsRefused(String secret, Executable build, String... words) {
            ConfigurationException refused = assertThrows(ConfigurationException.class, build,
                    "TLS settings that cannot work must be refused when built");
            assertEquals(words.length, refused.problems().size(), "one problem per fault: " + refused.problems());
            String message = refused.getMessage();
            assertTrue(message.startsWith("Invalid TLS options"), message);
            for (String word : words) {
                assertTrue(message.contains(word), "the message must say '" + word + "': " + message);
            }
            assertFalse(message.contains(secret), "the message shows a password: " + message);
            return refused;
        }
    }

    /** A list that a test can wait on. */
    private static final class BlockingList {
        private final LinkedBlockingQueue<Message> items = new LinkedBlockingQueue<>();

        void add(Message message) {
            items.add(message);
        }

        Message take(Duration timeout) throws InterruptedException {
            Message message = items.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (message == null) {
                fail("nothing arrived within " + timeout);
            }
            return message;
        }
    }
}
