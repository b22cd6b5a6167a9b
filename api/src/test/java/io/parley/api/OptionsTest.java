package io.parley.api;

import io.parley.api.codec.JsonCodec;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OptionsTest {

    @Test
    void brokerOptionsReportEveryProblemAtOnce() {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> BrokerOptions.builder()
                .handlerConcurrency(-1)
                .requestTimeout(Duration.ZERO)
                .maxPendingRequests(0)
                .build());
        assertEquals(3, e.problems().size(), e.problems().toString());
        assertTrue(e.problems().stream().anyMatch(p -> p.contains("handlerConcurrency")), e.problems().toString());
        assertTrue(e.problems().stream().anyMatch(p -> p.contains("requestTimeout")), e.problems().toString());
        assertTrue(e.problems().stream().anyMatch(p -> p.contains("maxPendingRequests")), e.problems().toString());
        for (String problem : e.problems()) {
            assertTrue(e.getMessage().contains(problem), e.getMessage());
        }
    }

    @Test
    void brokerOptionsRefuseEveryKindOfBadValue() {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> BrokerOptions.builder()
                .transport(" ")
                .requestTimeout(null)
                .closeTimeout(Duration.ofSeconds(-1))
                .codec(null)
                .property("key", null)
                .build());
        assertEquals(5, e.problems().size(), e.problems().toString());
    }

    @Test
    void brokerOptionsDefaults() {
        BrokerOptions defaults = BrokerOptions.defaults();
        assertEquals(Duration.ofSeconds(30), defaults.requestTimeout());
        assertEquals(Duration.ofSeconds(30), BrokerOptions.DEFAULT_REQUEST_TIMEOUT);
        assertEquals(100_000, defaults.maxPendingRequests());
        assertEquals(16, defaults.handlerConcurrency());
        assertEquals(Duration.ofSeconds(10), defaults.closeTimeout());
        assertEquals(Optional.empty(), defaults.transport());
        assertEquals(Optional.empty(), defaults.handlerExecutor());
        assertInstanceOf(JsonCodec.class, defaults.codec());
        assertTrue(defaults.properties().isEmpty());
        assertEquals("parley.transport", BrokerOptions.TRANSPORT_PROPERTY);
    }

    @Test
    void brokerOptionsToBuilderCopiesEverything() {
        Executor executor = Runnable::run;
        JsonCodec codec = new JsonCodec();
        BrokerOptions options = BrokerOptions.builder().transport("memory").requestTimeout(Duration.ofSeconds(2))
                .maxPendingRequests(7).handlerExecutor(executor).handlerConcurrency(3)
                .closeTimeout(Duration.ofMillis(500)).codec(codec).property("a", "1").build();
        BrokerOptions copy = options.toBuilder().property("b", "2").build();

        assertEquals(Optional.of("memory"), copy.transport());
        assertEquals(Duration.ofSeconds(2), copy.requestTimeout());
        assertEquals(7, copy.maxPendingRequests());
        assertSame(executor, copy.handlerExecutor().orElseThrow());
        assertEquals(3, copy.handlerConcurrency());
        assertEquals(Duration.ofMillis(500), copy.closeTimeout());
        assertSame(codec, copy.codec());
        assertEquals(Map.of("a", "1", "b", "2"), copy.properties());
        assertEquals(Map.of("a", "1"), options.properties(), "the original must not change");
    }

    @Test
    void brokerOptionsPropertiesAreImmutableSnapshots() {
        Map<String, String> source = new HashMap<>(Map.of("a", "1"));
        BrokerOptions.Builder builder = BrokerOptions.builder().properties(source);
        BrokerOptions options = builder.build();
        source.put("b", "2");
        builder.property("c", "3");
        assertEquals(Map.of("a", "1"), options.properties());
        assertThrows(UnsupportedOperationException.class, () -> options.properties().put("x", "y"));
    }

    @Test
    void requestOptionsTimeoutAndNoTimeoutConflict() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> RequestOptions.builder().timeout(Duration.ofSeconds(1)).noTimeout().build());
        assertEquals(1, e.problems().size(), e.problems().toString());
        assertTrue(e.problems().get(0).contains("noTimeout"), e.problems().toString());
    }

    @Test
    void requestOptionsReportEveryProblemAtOnce() {
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> RequestOptions.builder()
                .timeout(Duration.ofMillis(-5)).noTimeout().gap(Duration.ZERO).maxReplies(0)
                .header("h", null).build());
        assertEquals(5, e.problems().size(), e.problems().toString());
    }

    @Test
    void requestOptionsDefaults() {
        RequestOptions defaults = RequestOptions.defaults();
        assertEquals(Optional.empty(), defaults.timeout(), "empty means the broker's 30 s");
        assertFalse(defaults.waitsForever());
        assertFalse(defaults.throwsOnTimeout());
        assertTrue(defaults.endsOnSentinel());
        assertTrue(defaults.maxReplies().isEmpty());
        assertEquals(Optional.empty(), defaults.gap());
        assertTrue(defaults.headers().isEmpty());
    }

    @Test
    void requestOptionsValues() {
        RequestOptions options = RequestOptions.builder().noTimeout().throwOnTimeout().maxReplies(3)
                .gap(Duration.ofMillis(50)).keepEmptyReplies().header("k", "v").build();
        assertTrue(options.waitsForever());
        assertTrue(options.throwsOnTimeout());
        assertEquals(3, options.maxReplies().getAsInt());
        assertEquals(Optional.of(Duration.ofMillis(50)), options.gap());
        assertFalse(options.endsOnSentinel());
        assertEquals(Map.of("k", "v"), options.headers());
        assertEquals(Optional.of(Duration.ofSeconds(3)), RequestOptions.timeout(Duration.ofSeconds(3)).timeout());
    }

    @Test
    void subscribeOptionsValidationAndDefaults() {
        SubscribeOptions defaults = SubscribeOptions.defaults();
        assertTrue(defaults.replies());
        assertTrue(defaults.concurrency().isEmpty());
        assertEquals(Optional.empty(), defaults.group());
        assertFalse(SubscribeOptions.builder().noReplies().build().replies());
        assertEquals(Optional.of("workers"), SubscribeOptions.group("workers").group());

        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> SubscribeOptions.builder().group(" ").concurrency(0).property("p", null).build());
        assertEquals(3, e.problems().size(), e.problems().toString());
    }

    @Test
    void publishOptionsValidation() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> PublishOptions.builder().replyTo(" ").correlationId("").header("h", null).build());
        assertEquals(3, e.problems().size(), e.problems().toString());
        PublishOptions options = PublishOptions.replyTo("answers");
        assertEquals(Optional.of("answers"), options.replyTo());
        assertEquals(Optional.empty(), options.correlationId());
    }
}
