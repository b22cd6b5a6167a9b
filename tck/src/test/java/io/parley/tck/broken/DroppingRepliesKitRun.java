package io.parley.tck.broken;

import io.parley.tck.InProcess;
import io.parley.tck.KitEnvironment;
import io.parley.tck.TransportCompatibilityKit;
import org.junit.jupiter.api.DisplayName;

import java.time.Duration;

/**
 * The kit on {@code broken-drop://}, a transport that loses replies. Expected to FAIL: run only by
 * {@code BrokenTransportsTest} through the JUnit test kit (the name keeps surefire from running it).
 * Short timeouts, since every rule that needs a reply waits for one in vain.
 */
@DisplayName("TCK on broken-drop:// (loses replies)")
public class DroppingRepliesKitRun extends TransportCompatibilityKit {

    @Override
    protected KitEnvironment environment() {
        return InProcess.lacking(KitEnvironment.builder("broken-drop://dropbus", "broken-drop"))
                .timeout(Duration.ofSeconds(1))
                .shortTimeout(Duration.ofMillis(300))
                .build();
    }
}
