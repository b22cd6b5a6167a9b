package io.parley.tck;

/** What memory:// (and the broken transports built on it) cannot do, declared for the kit. */
public final class InProcess {

    private InProcess() {
    }

    /** Declares the capabilities an in-process broker lacks, with their reasons. */
    public static KitEnvironment.Builder lacking(KitEnvironment.Builder builder) {
        return builder
                .lacks(Capability.REMOTE_BROKER, "memory:// is in the client's JVM: there is no broker process to"
                        + " stop, freeze or share with a member in another process")
                .lacks(Capability.AT_LEAST_ONCE, "memory:// keeps messages in the JVM: a killed process takes its"
                        + " queues with it")
                .lacks(Capability.AUTHENTICATION, "memory:// has no login")
                .lacks(Capability.TLS, "memory:// has no network connection to protect");
    }
}
