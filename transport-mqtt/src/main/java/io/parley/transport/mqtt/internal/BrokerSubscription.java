package io.parley.transport.mqtt.internal;

import io.parley.spi.Envelope;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One MQTT subscription of the connection (one topic filter, one Subscription Identifier) and the
 * Parley subscriptions it feeds. MQTT keeps one subscription per filter and session, and a second
 * SUBSCRIBE to the same filter replaces the first, so two Parley subscriptions to one destination on
 * one connection share it here: without a group each gets every message; in a group
 * ({@code $share/<group>/<topic>}) the broker sends each message to one connection, and the members
 * on this connection take turns.
 */
final class BrokerSubscription {

    final String filter;
    final int identifier;
    final int qos;
    final boolean shared;
    final List<LocalSubscription> members = new CopyOnWriteArrayList<>();
    private final AtomicInteger turn = new AtomicInteger();

    BrokerSubscription(String filter, int identifier, int qos, boolean shared) {
        this.filter = filter;
        this.identifier = identifier;
        this.qos = qos;
        this.shared = shared;
    }

    /** Hands {@code message} to every member, or to the next member in turn for a group. */
    void deliver(Envelope message) {
        if (!shared) {
            for (LocalSubscription member : members) {
                member.offer(message);
            }
            return;
        }
        List<LocalSubscription> open = members.stream().filter(member -> !member.isClosed()).toList();
        if (!open.isEmpty()) {
            open.get(Math.floorMod(turn.getAndIncrement(), open.size())).offer(message);
        }
    }
}
