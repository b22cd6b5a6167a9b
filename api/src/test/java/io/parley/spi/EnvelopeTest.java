package io.parley.spi;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EnvelopeTest {

    @Test
    void emptyContentTypeAndReplyToReadAsNone() {
        Envelope envelope = Envelope.builder("d").contentType("").replyTo("").build();
        assertNull(envelope.contentType());
        assertNull(envelope.replyTo());
        assertEquals(0, envelope.body().length);
        assertTrue(envelope.headers().isEmpty());
    }

    @Test
    void sentinelIsEmptyBodyWithoutContentTypeOrHeaders() {
        assertTrue(Envelope.builder("d").correlationId("c").build().isEndOfStream(),
                "the correlation id is routing, not content");
        assertFalse(Envelope.builder("d").body(new byte[] {1}).build().isEndOfStream());
        assertFalse(Envelope.builder("d").contentType("text/plain").build().isEndOfStream());
        assertFalse(Envelope.builder("d").header("h", "v").build().isEndOfStream());
    }

    @Test
    void errorReplyCarriesTheErrorHeader() {
        assertTrue(Envelope.builder("d").header(Envelope.ERROR, "boom").build().isError());
        assertFalse(Envelope.builder("d").header("other", "x").build().isError());
    }

    @Test
    void toBuilderCopiesEveryField() {
        Object nativeMessage = new Object();
        Envelope original = Envelope.builder("d").body(new byte[] {1, 2}).contentType("application/json")
                .correlationId("c").replyTo("r").header("h", "v").nativeMessage(nativeMessage).build();
        Envelope copy = original.toBuilder().header("h2", "v2").build();
        assertEquals("d", copy.destination());
        assertEquals(2, copy.body().length);
        assertEquals("application/json", copy.contentType());
        assertEquals("c", copy.correlationId());
        assertEquals("r", copy.replyTo());
        assertEquals(Map.of("h", "v", "h2", "v2"), copy.headers());
        assertEquals(Map.of("h", "v"), original.headers());
        assertEquals(nativeMessage, copy.nativeMessage());
    }

    @Test
    void destinationIsRequired() {
        assertThrows(NullPointerException.class, () -> Envelope.builder(null).build());
    }

    // Regression (was a bug in Envelope.java, Builder.header, lines 145-148): when the map given to headers(...) is
    // already a LinkedHashMap, header(...) writes into the caller's own map instead of a copy, so a
    // transport that builds envelopes from a shared or reused header map (e.g. one parsed per
    // connection, or a Reply's map) corrupts it. The check `!(headers instanceof LinkedHashMap)` was
    // meant to detect "our own copy" but cannot tell the caller's map from it.
    @Test
    void headerDoesNotWriteIntoTheCallersMap() {
        Map<String, String> callers = new LinkedHashMap<>(Map.of("a", "1"));
        Envelope envelope = Envelope.builder("d").headers(callers).header("b", "2").build();
        assertEquals(Map.of("a", "1", "b", "2"), envelope.headers());
        assertEquals(Map.of("a", "1"), callers, "the caller's map was changed");
    }

    @Test
    void headersKeepTheirOrder() {
        Map<String, String> given = new java.util.LinkedHashMap<>();
        for (String name : List.of("zeta", "alpha", "mid", "beta", "omega", "a1", "b2", "c3", "d4", "e5", "f6")) {
            given.put(name, name.toUpperCase(java.util.Locale.ROOT));
        }
        Envelope envelope = Envelope.builder("d").headers(given).build();
        assertEquals(List.copyOf(given.keySet()), List.copyOf(envelope.headers().keySet()));
        assertThrows(UnsupportedOperationException.class, () -> envelope.headers().put("x", "y"));
    }
}
