package io.parley.tck;

import io.parley.api.BrokerOptions;

/** What memory:// (and the broken transports built on it) cannot do, declared for the kit. */
public final class InProcess {

    private InProcess() {
    }

    /** The body limit the in-process environments set (memory.max-body-bytes), so that 10.06 and 13.11 exceed it. */
    public static final long BODY_LIMIT = 8L * 1024 * 1024;

    /**
     * Declares the capabilities an in-process broker lacks (a closing group member hands its queued messages
     * to the others, so it has {@link Capability#AT_LEAST_ONCE}; 10.04 needs a broker process too), with their reasons, and gives the bus a body
     * limit, as a broker has, for the rules that send one byte over it.
     */
    public static KitEnvironment.Builder lacking(KitEnvironment.Builder builder) {
        return builder
                .options(BrokerOptions.builder().property("memory.max-body-bytes", Long.toString(BODY_LIMIT)).build())
                .bodyLimit(BODY_LIMIT)
                .lacks(Capability.REMOTE_BROKER, "memory:// is in the client's JVM: there is no broker process to"
                        + " stop, freeze or share with a member in another process")
                .lacks(Capability.AUTHENTICATION, "memory:// has no login")
                .lacks(Capability.TLS, "memory:// has no network connection to protect");
    }
}
