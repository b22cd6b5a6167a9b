package io.parley.tck;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.MethodFilter;
import org.junit.platform.launcher.TagFilter;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;

import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

@DisplayName("A kit run in which no rule ran fails")
class KitRunCheckTest {

    @Test
    @DisplayName("every selected rule skipped: the run fails and says why")
    void aRunOfOnlySkippedRulesFails() {
        // memory:// lacks TLS: with only the handshake rules of section 15 selected, every rule is skipped
        EngineExecutionResults results = EngineTestKit.engine("junit-jupiter")
                .selectors(selectClass(MemoryTransportCompatibilityTest.class))
                .filters(TagFilter.includeTags("tls"), MethodFilter.includeMethodNamePatterns(".*spec150[1-5].*"))
                .execute();

        assertEquals(0, results.testEvents().succeeded().count() + results.testEvents().failed().count());
        assertTrue(results.testEvents().aborted().count() >= 5, "section 15 is selected and skipped");
        List<String> failures = containerFailures(results);
        assertEquals(1, failures.size(), failures.toString());
        assertTrue(failures.get(0).contains("No rule of the Parley kit ran in io.parley.tck.MemoryTransportCompatibilityTest")
                && failures.get(0).contains("lacks capability TLS"), failures.get(0));
    }

    @Test
    @DisplayName("a run in which rules ran passes, skips and all")
    void aRunWithRulesThatRanPasses() {
        // section 10 on memory://: most rules skipped (no broker process), 10.06 and the others run
        EngineExecutionResults results = EngineTestKit.engine("junit-jupiter")
                .selectors(selectClass(MemoryTransportCompatibilityTest.class))
                .filters(TagFilter.includeTags("faults")).execute();

        assertTrue(results.testEvents().succeeded().count() > 0);
        assertTrue(results.testEvents().aborted().count() > 0);
        assertEquals(List.of(), containerFailures(results));
    }

    private static List<String> containerFailures(EngineExecutionResults results) {
        return results.containerEvents().failed().stream()
                .map(event -> event.getPayload(TestExecutionResult.class).flatMap(TestExecutionResult::getThrowable)
                        .map(Throwable::getMessage).orElse("(no message)"))
                .collect(Collectors.toList());
    }
}
