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
    FAN_OUT("delivers each message to every group and every subscriber without a group"),

    /**
     * The broker is a process apart from the client's: it can go down, freeze and come back while the
     * client lives, and members in other processes share its destinations (rules 10.01, 10.02, 10.03,
     * 10.05). {@code memory://} lacks it: its broker is the client's own JVM.
     */
    REMOTE_BROKER("runs apart from the client, so it can fail and come back on its own"),

    /**
     * A message a group member took but did not finish goes to another member when the first one's
     * process dies (rule 10.04) or the member closes (13.20): none is lost. Fire-and-forget destinations
     * (NATS core subjects, Redis channels and lists, MQTT shared subscriptions on Mosquitto) lack it.
     */
    AT_LEAST_ONCE("hands the unfinished messages of a dead or closing group member to the others"),

    /** The broker checks credentials, so a login can be refused (rule 10.07). */
    AUTHENTICATION("checks credentials at connect"),

    /**
     * The client reaches the broker over TLS with the trust and client certificate of
     * {@link io.parley.api.BrokerOptions#tls()}, and a failed handshake says why (rules 15.01-15.05). The
     * environment gives a broker that demands client certificates ({@link KitEnvironment.Builder#tls}).
     */
    TLS("connects over TLS, mutual TLS included, with the TLS settings of BrokerOptions");

    private final String description;

    Capability(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }
}
