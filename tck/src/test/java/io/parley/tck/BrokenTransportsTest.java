package io.parley.tck;

import io.parley.tck.broken.DroppingRepliesKitRun;
import io.parley.tck.broken.LackingNoRespondersKitRun;
import io.parley.tck.broken.MixedCorrelationKitRun;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.TestDescriptor;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;
import org.junit.platform.testkit.engine.Events;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectNestedMethod;

/**
 * The kit checked against itself: run on transports broken on purpose (io.parley.tck.broken), it
 * must fail exactly the rules the breakage violates, and pass the ones it does not touch. A kit
 * that cannot fail proves nothing.
 */
@DisplayName("The kit fails broken transports")
class BrokenTransportsTest {

    /**
     * Rules that need a reply to reach the requester, or the reply-to subscriber (6.01, and 6.02, which
     * checks that the message with a reply-to is answered): a transport that loses replies fails them.
     */
    private static final Set<String> NEED_A_REPLY = Set.of(
            "required_spec104", "required_spec201", "required_spec202", "required_spec203", "required_spec204",
            "required_spec301", "required_spec302", "required_spec303", "required_spec304", "required_spec305",
            "required_spec306", "required_spec307", "optional_spec308", "required_spec309",
            "required_spec401", "required_spec402", "required_spec403",
            "required_spec503", "required_spec504", "required_spec506",
            "required_spec601", "required_spec602",
            "required_spec701", "required_spec702", "required_spec703", "required_spec704", "required_spec705",
            "required_spec801", "required_spec802",
            "required_spec1301", "required_spec1302", "required_spec1305", "required_spec1306", "required_spec1307",
            "required_spec1308", "required_spec1309", "required_spec1310", "required_spec1311", "required_spec1312",
            "required_spec1314", "required_spec1318", "required_spec1319", "required_spec1402");

    /** Rules that need no reply: losing replies must not fail them. */
    private static final Set<String> NEED_NO_REPLY = Set.of(
            "required_spec101", "required_spec102", "required_spec103", "required_spec105", "required_spec106",
            "required_spec205",
            "required_spec501", "required_spec502", "required_spec505", "required_spec603",
            "required_spec803", "optional_spec804",
            "required_spec901", "optional_spec902", "optional_spec903",
            "required_spec1303", "required_spec1304", "required_spec1313", "required_spec1315", "required_spec1316",
            "required_spec1317", "optional_spec1320", "required_spec1401", "required_spec1506",
            "required_spec1101", "required_spec1102", "required_spec1103");

    /** The poisons of rule 10.06 sent through the API: each waits for its (error) reply. */
    private static final Set<String> POISONS = Set.of(
            "required_spec1006[10.06 JSON of the wrong shape]", "required_spec1006[10.06 malformed JSON]",
            "required_spec1006[10.06 text where JSON is expected]", "required_spec1006[10.06 an unknown content type]",
            "required_spec1006[10.06 an empty body]", "required_spec1006[10.06 a body over the broker's limit]");

    /** Rules that need a broker apart from the client, a login, or a member process: in-process transports skip them. */
    private static final Set<String> IN_PROCESS_SKIPS = Set.of(
            "required_spec1001", "required_spec1002", "required_spec1003", "optional_spec1004", "required_spec1005",
            "required_spec1007", "required_spec1501", "required_spec1502", "required_spec1503", "required_spec1504",
            "required_spec1505");


    /** Rules with concurrent requests on one connection: mixed-up correlation ids fail them. */
    private static final Set<String> CONCURRENT = Set.of("required_spec401", "required_spec402", "required_spec403");

    /** Rules with one request at a time: mixed-up correlation ids do not show. */
    private static final Set<String> SEQUENTIAL = Set.of(
            "required_spec101", "required_spec201", "required_spec204", "required_spec301", "required_spec305",
            "required_spec501", "required_spec701", "required_spec704", "required_spec801", "required_spec802");

    @Test
    @DisplayName("a transport that loses replies fails every rule that needs a reply, and only those")
    void droppingRepliesFailsEveryRuleThatNeedsAReply() {
        Outcomes outcomes = run(selectClass(DroppingRepliesKitRun.class));

        assertExactly("failed", union(NEED_A_REPLY, POISONS), outcomes.failed.keySet(), outcomes);
        assertExactly("passed", union(NEED_NO_REPLY, Set.of("required_spec1006[10.06 no bad message is delivered again]")),
                outcomes.succeeded, outcomes);
        assertExactly("skipped", IN_PROCESS_SKIPS, outcomes.aborted.keySet(), outcomes);
    }

    @Test
    @DisplayName("a transport that mixes up correlation ids fails the concurrency rules and passes sequential ones")
    void mixedCorrelationFailsTheConcurrencyRules() {
        Outcomes outcomes = run(selectClass(MixedCorrelationKitRun.class));

        // Only these two are asserted: 5.06 (a late reply, then a fresh request) may or may not catch the
        // bug, depending on whether the late reply leaves before the fresh request arrives.
        assertContains("failed", CONCURRENT, outcomes.failed.keySet(), outcomes);
        assertContains("passed", SEQUENTIAL, outcomes.succeeded, outcomes);
        assertExactly("skipped", IN_PROCESS_SKIPS, outcomes.aborted.keySet(), outcomes);
    }

    @Test
    @DisplayName("a declared missing capability skips its rule with the declared reason")
    void lackingCapabilitySkipsItsRuleWithTheReason() {
        Outcomes outcomes = run(selectNestedMethod(List.of(LackingNoRespondersKitRun.class),
                TransportCompatibilityKit.Errors.class, "optional_spec804_noRespondersReportedAtOnce"));

        assertEquals(Set.of("optional_spec804"), outcomes.aborted.keySet(), "rule 8.04 must be skipped: " + outcomes);
        assertEquals(Set.of(), outcomes.succeeded, "a skipped rule must not count as passed: " + outcomes);
        assertEquals(Map.of(), outcomes.failed, outcomes.toString());
        String reason = outcomes.aborted.get("optional_spec804");
        assertTrue(reason.contains(LackingNoRespondersKitRun.REASON), "the skip must give the declared reason: " + reason);
        assertTrue(reason.contains("NO_RESPONDERS"), "the skip must name the capability: " + reason);
    }

    @Test
    @DisplayName("the kit on memory:// passes every rule, skipping only those of the capabilities it lacks")
    void memoryPassesEveryRuleAndSkipsOnlyWhatItLacks() {
        Outcomes outcomes = run(selectClass(MemoryTransportCompatibilityTest.class));

        assertEquals(Map.of(), outcomes.failed, outcomes.toString());
        assertExactly("skipped", IN_PROCESS_SKIPS, outcomes.aborted.keySet(), outcomes);
        outcomes.aborted.forEach((rule, reason) -> assertTrue(reason.contains("lacks capability"), rule + ": " + reason));
        assertEquals(Set.of(), outcomes.skipped, outcomes.toString());
        assertTrue(outcomes.succeeded.containsAll(POISONS), "every poison must run: " + outcomes);
        assertTrue(outcomes.succeeded.size() >= 58, "every other rule must run: " + outcomes);
    }

    private static Set<String> union(Set<String> first, Set<String> second) {
        Set<String> all = new TreeSet<>(first);
        all.addAll(second);
        return all;
    }

    // ---------------------------------------------------------------- assertions

    private static void assertExactly(String outcome, Set<String> expected, Set<String> actual, Outcomes outcomes) {
        Set<String> missing = new TreeSet<>(expected);
        missing.removeAll(actual);
        Set<String> unexpected = new TreeSet<>(actual);
        unexpected.removeAll(expected);
        if (!missing.isEmpty() || !unexpected.isEmpty()) {
            fail("The rules that " + outcome + " are not the expected ones. Should have " + outcome + " but did not: "
                    + missing + "; " + outcome + " but should not have: " + unexpected + outcomes);
        }
    }

    private static void assertContains(String outcome, Set<String> expected, Set<String> actual, Outcomes outcomes) {
        Set<String> missing = new TreeSet<>(expected);
        missing.removeAll(actual);
        if (!missing.isEmpty()) {
            fail("Should have " + outcome + " but did not: " + missing + outcomes);
        }
    }

    // ---------------------------------------------------------------- running the kit

    private static Outcomes run(DiscoverySelector selector) {
        Events tests = EngineTestKit.engine("junit-jupiter").selectors(selector).execute().testEvents();
        Outcomes outcomes = new Outcomes(
                names(tests.succeeded()),
                messages(tests.failed()),
                messages(tests.aborted()),
                tests.skipped().stream().map(BrokenTransportsTest::rule).collect(Collectors.toCollection(TreeSet::new)));
        Set<String> all = new TreeSet<>(outcomes.succeeded);
        all.addAll(outcomes.failed.keySet());
        all.addAll(outcomes.aborted.keySet());
        all.addAll(outcomes.skipped);
        assertEquals(all.size(), outcomes.succeeded.size() + outcomes.failed.size() + outcomes.aborted.size()
                + outcomes.skipped.size(), "a rule with two outcomes, or two tests of one rule: " + outcomes);
        assertTrue(!all.isEmpty(), "the selector " + selector + " ran no test");
        return outcomes;
    }

    private static Set<String> names(Events events) {
        return events.stream().map(BrokenTransportsTest::rule).collect(Collectors.toCollection(TreeSet::new));
    }

    /** Rule name to the message of the failure or the skip. */
    private static Map<String, String> messages(Events events) {
        Map<String, String> messages = new TreeMap<>();
        for (Event event : events.list()) {
            String message = event.getPayload(TestExecutionResult.class)
                    .flatMap(TestExecutionResult::getThrowable)
                    .map(t -> t.getClass().getSimpleName() + ": " + t.getMessage())
                    .orElse("(no message)");
            messages.put(rule(event), message);
        }
        return messages;
    }

    /**
     * {@code required_spec201} of the test method {@code required_spec201_replyReachesRequester}; a
     * dynamic test of a rule's factory adds its name: {@code required_spec1006[10.06 malformed JSON]}.
     */
    private static String rule(Event event) {
        TestDescriptor descriptor = event.getTestDescriptor();
        String dynamic = "";
        if (descriptor.getUniqueId().getLastSegment().getType().equals("dynamic-test")) {
            dynamic = "[" + descriptor.getDisplayName() + "]";
        }
        MethodSource source = (MethodSource) descriptor.getSource()
                .orElseThrow(() -> new AssertionError("a test without source: " + event));
        String method = source.getMethodName();
        int end = method.indexOf('_', method.indexOf("spec"));
        return (end < 0 ? method : method.substring(0, end)) + dynamic;
    }

    private record Outcomes(Set<String> succeeded, Map<String, String> failed, Map<String, String> aborted,
                            Set<String> skipped) {
        @Override
        public String toString() {
            return "\n  passed  " + succeeded
                    + "\n  failed  " + failed.keySet()
                    + "\n  skipped " + aborted.keySet() + (skipped.isEmpty() ? "" : " disabled " + skipped)
                    + failed.entrySet().stream().map(e -> "\n    " + e.getKey() + ": " + oneLine(e.getValue()))
                    .collect(Collectors.joining())
                    + aborted.entrySet().stream().map(e -> "\n    " + e.getKey() + " (skipped): " + oneLine(e.getValue()))
                    .collect(Collectors.joining());
        }

        private static String oneLine(String text) {
            String line = text.replaceAll("\\s+", " ");
            return line.length() > 200 ? line.substring(0, 200) + "..." : line;
        }
    }
}
