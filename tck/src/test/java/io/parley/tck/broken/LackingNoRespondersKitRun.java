package io.parley.tck.broken;

import io.parley.tck.Capability;
import io.parley.tck.InProcess;
import io.parley.tck.KitEnvironment;
import io.parley.tck.TransportCompatibilityKit;

/**
 * The kit on memory:// with {@link Capability#NO_RESPONDERS} declared missing: rule 8.04 must be
 * skipped with the declared reason, not passed. Run only by {@code BrokenTransportsTest}.
 */
public class LackingNoRespondersKitRun extends TransportCompatibilityKit {

    public static final String REASON = "test reason: this transport cannot tell";

    @Override
    protected KitEnvironment environment() {
        return InProcess.lacking(KitEnvironment.builder("memory://lacking", "memory"))
                .lacks(Capability.NO_RESPONDERS, REASON)
                .build();
    }
}
