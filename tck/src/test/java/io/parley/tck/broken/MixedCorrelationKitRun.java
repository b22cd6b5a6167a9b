package io.parley.tck.broken;

import io.parley.tck.InProcess;
import io.parley.tck.KitEnvironment;
import io.parley.tck.TransportCompatibilityKit;
import org.junit.jupiter.api.DisplayName;

import java.time.Duration;

/**
 * The kit on {@code broken-mix://}, a transport that stamps replies with the correlation id of the
 * latest request. Expected to FAIL the concurrency rules: run only by {@code BrokenTransportsTest}
 * through the JUnit test kit (the name keeps surefire from running it).
 */
@DisplayName("TCK on broken-mix:// (mixes up correlation ids)")
public class MixedCorrelationKitRun extends TransportCompatibilityKit {

    @Override
    protected KitEnvironment environment() {
        return InProcess.lacking(KitEnvironment.builder("broken-mix://mixbus", "broken-mix"))
                .timeout(Duration.ofSeconds(3))
                .shortTimeout(Duration.ofMillis(300))
                .build();
    }
}
