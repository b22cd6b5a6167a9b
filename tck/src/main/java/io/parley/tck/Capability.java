package io.parley.tck;

/**
 * Optional behaviours of docs/SPEC.md. A transport that lacks one declares it with
 * {@link KitEnvironment.Builder#lacks(Capability, String)}; the rules that need it are then
 * reported as skipped with that reason, never as passed.
 */
public enum Capability {

    /** The broker says at once that a request has no subscriber (rule 8.04). */
    NO_RESPONDERS("reports a request without subscribers at once"),

    /** Bodies of 1 MiB travel in one message (rule 3.08). */
    LARGE_MESSAGES("carries 1 MiB message bodies"),

    /** The members of a group each get a share of the messages (rule 9.02). */
    GROUP_WORK_SHARING("spreads a group's messages over its members"),

    /**
     * Every group, and every subscriber without a group, gets each message (rule 9.03). A
     * work-queue destination (a Redis list) hands each message to one consumer only.
     */
    FAN_OUT("delivers each message to every group and every subscriber without a group");

    private final String description;

    Capability(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }
}
