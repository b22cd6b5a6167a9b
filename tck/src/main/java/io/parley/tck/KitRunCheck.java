package io.parley.tck;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.opentest4j.TestAbortedException;

import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Fails a kit run in which no rule ran: every selected rule was skipped (capabilities all declared
 * lacking, an environment that gives nothing the rules need). Such a run would otherwise pass and
 * prove nothing about the transport. Registered on {@link TransportCompatibilityKit}; the check is
 * made once, after the last rule of the subclass.
 */
final class KitRunCheck implements AfterEachCallback, AfterAllCallback {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(KitRunCheck.class);

    /** Rules that ran (passed or failed) and the reasons of those skipped, for the subclass being run. */
    private static final class Tally {
        final AtomicInteger ran = new AtomicInteger();
        final AtomicInteger skipped = new AtomicInteger();
        final Set<String> reasons = new TreeSet<>();
    }

    /** After each rule, a {@code @TestFactory}'s too (a TestWatcher does not see those). */
    @Override
    public void afterEach(ExtensionContext context) {
        Tally tally = tally(context);
        Throwable outcome = context.getExecutionException().orElse(null);
        if (outcome instanceof TestAbortedException) {
            tally.skipped.incrementAndGet();
            synchronized (tally.reasons) {
                if (tally.reasons.size() < 5) {
                    tally.reasons.add(String.valueOf(outcome.getMessage()));
                }
            }
        } else {
            tally.ran.incrementAndGet();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (context.getRequiredTestClass().isAnnotationPresent(Nested.class)) {
            return; // a section: the check is for the whole run of the subclass
        }
        Tally tally = tally(context);
        if (tally.ran.get() == 0 && tally.skipped.get() > 0) {
            throw new AssertionError("No rule of the Parley kit ran in " + context.getRequiredTestClass().getName()
                    + ": all " + tally.skipped.get() + " selected rules were skipped, so this run proves nothing about"
                    + " the transport. Check the environment (declared lacking capabilities, brokers it gives) and"
                    + " the tag filter. Reasons: " + tally.reasons);
        }
    }

    /** The tally kept in the context of the outermost test class (the kit's subclass). */
    private static Tally tally(ExtensionContext context) {
        ExtensionContext classContext = context;
        for (ExtensionContext c = context; c != null; c = c.getParent().orElse(null)) {
            if (c.getTestClass().isPresent()) {
                classContext = c;
                if (!c.getRequiredTestClass().isAnnotationPresent(Nested.class) && c.getTestMethod().isEmpty()) {
                    break;
                }
            }
        }
        return classContext.getStore(NAMESPACE).getOrComputeIfAbsent(Tally.class, key -> new Tally(), Tally.class);
    }
}
