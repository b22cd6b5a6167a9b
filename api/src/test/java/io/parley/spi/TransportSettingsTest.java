package io.parley.spi;

import io.parley.api.ConfigurationException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The readers every transport uses for its properties and URIs. */
class TransportSettingsTest {

    private final List<String> problems = new ArrayList<>();

    @Test
    void numbersAreReadWithinTheirBoundsOrReported() {
        Map<String, String> properties = Map.of("x.ok", " 42 ", "x.low", "0", "x.high", "11", "x.text", "ten");
        assertEquals(42, TransportSettings.number(properties, "x.ok", 7, 1, 100, problems));
        assertEquals(7, TransportSettings.number(properties, "x.absent", 7, 1, 100, problems));
        assertEquals(7, TransportSettings.number(properties, "x.low", 7, 1, 10, problems));
        assertEquals(7, TransportSettings.number(properties, "x.high", 7, 1, 10, problems));
        assertEquals(7, TransportSettings.number(properties, "x.text", 7, 1, 10, problems));
        assertEquals(List.of("x.low must be between 1 and 10, not 0", "x.high must be between 1 and 10, not 11",
                "x.text must be a whole number, not 'ten'"), problems);
        assertEquals(1, TransportSettings.number(Map.of("x", "1"), "x", 7, 1, 10, problems), "the bounds are inclusive");
        assertEquals(10, TransportSettings.number(Map.of("x", "10"), "x", 7, 1, 10, problems), "the bounds are inclusive");
    }

    @Test
    void flagsAreTrueOrFalseInAnyCase() {
        assertTrue(TransportSettings.flag(Map.of("f", "TRUE"), "f", false, problems));
        assertFalse(TransportSettings.flag(Map.of("f", "False"), "f", true, problems));
        assertTrue(TransportSettings.flag(Map.of(), "f", true, problems));
        assertTrue(problems.isEmpty());
        assertFalse(TransportSettings.flag(Map.of("f", "yes"), "f", false, problems));
        assertEquals(List.of("f must be true or false, not 'yes'"), problems);
    }

    @Test
    void percentDecodingKeepsPlusAndReadsUtf8() {
        assertEquals("p@ss:w/rd+1", TransportSettings.percentDecode("p%40ss%3Aw%2Frd+1"));
        assertEquals("grüße", TransportSettings.percentDecode("gr%C3%BC%C3%9Fe"));
        assertEquals("100%", TransportSettings.percentDecode("100%"), "a lone percent sign stays");
        assertEquals("%4", TransportSettings.percentDecode("%4"), "a short escape stays");
        assertEquals("%zz", TransportSettings.percentDecode("%zz"), "a non-hex escape stays");
        assertEquals("plain", TransportSettings.percentDecode("plain"));
    }

    @Test
    void unknownKeysUnderThePrefixAreEachReportedWithWhatIsKnown() {
        Map<String, String> properties = Map.of("t.size", "1", "t.sise", "2", "t.client.acks", "all",
                "other.key", "x", "t.colour", "red");
        TransportSettings.unknownKeys(properties, "t.", Set.of("t.size", "t.mode"), List.of("t.client."),
                "property", "", problems);
        assertEquals(List.of("unknown property t.colour; known: t.mode, t.size, t.client.*",
                "unknown property t.sise; known: t.mode, t.size, t.client.*"), problems);
        problems.clear();
        TransportSettings.unknownKeys(Map.of("t.queue.x", "1"), "t.", Set.of("t.mode"), List.of(), "broker property",
                "t.queue.* go on SubscribeOptions", problems);
        assertEquals(List.of("unknown broker property t.queue.x (t.queue.* go on SubscribeOptions); known: t.mode"),
                problems);
    }

    @Test
    void everyProblemGoesIntoOneConfigurationException() {
        ConfigurationException e = ConfigurationException.of("t settings", List.of("a is wrong", "b is wrong"));
        assertEquals("Invalid t settings: a is wrong; b is wrong", e.getMessage());
        assertEquals(List.of("a is wrong", "b is wrong"), e.problems());
    }

    @Test
    void throwIfAnyThrowsOnlyWhenThereAreProblems() {
        TransportSettings.throwIfAny("T", "t://host", List.of());
        ConfigurationException e = assertThrows(ConfigurationException.class,
                () -> TransportSettings.throwIfAny("T", "t://***@host", List.of("a is wrong", "b is wrong")));
        assertEquals("Cannot use T URI t://***@host: a is wrong; b is wrong", e.getMessage());
        assertEquals(List.of("a is wrong", "b is wrong"), e.problems());
    }
}
