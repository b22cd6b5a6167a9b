package io.parley.internal.memory;

import io.parley.spi.Envelope;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The in-process broker behind {@code memory://name}. A destination holds queues; a subscription
 * without a group has a queue of its own, the members of a group share one (round robin), so every
 * message reaches each group once, like a RabbitMQ queue with competing consumers.
 */
final class MemoryBus {

    private static final ConcurrentHashMap<String, MemoryBus> BUSES = new ConcurrentHashMap<>();

    private final String name;
    private final ConcurrentHashMap<String, List<Queue>> destinations = new ConcurrentHashMap<>();
    private int connections; // guarded by BUSES.compute: the bus is dropped when its last connection closes

    private MemoryBus(String name) {
        this.name = name;
    }

    /** The bus of that name, created for the first connection. Pair with {@link #detach()}. */
    static MemoryBus attach(String name) {
        return BUSES.compute(name, (key, bus) -> {
            MemoryBus attached = bus == null ? new MemoryBus(key) : bus;
            attached.connections++;
            return attached;
        });
    }

    /** A connection closed; the last one frees the bus, so unique names in tests do not pile up. */
    void detach() {
        BUSES.computeIfPresent(name, (key, bus) -> --bus.connections == 0 ? null : bus);
    }

    /** Something that takes messages: a subscription's consumer, or a requester's reply sink. */
    interface Receiver {
        void offer(Envelope envelope);
    }

    /** Delivers to each queue of the destination; returns how many queues got the message. */
    int publish(Envelope envelope) {
        List<Queue> queues = destinations.get(envelope.destination());
        if (queues == null) {
            return 0;
        }
        int delivered = 0;
        for (Queue queue : queues) {
            if (queue.deliver(envelope)) {
                delivered++;
            }
        }
        return delivered;
    }

    void add(String destination, String group, Receiver receiver) {
        destinations.compute(destination, (key, queues) -> {
            List<Queue> copy = queues == null ? new ArrayList<>() : new ArrayList<>(queues);
            Queue queue = group == null ? null
                    : copy.stream().filter(q -> group.equals(q.group)).findFirst().orElse(null);
            if (queue == null) {
                queue = new Queue(group);
                copy.add(queue);
            }
            queue.members.add(receiver);
            return List.copyOf(copy);
        });
    }

    /** Removes a receiver; returns the queue's remaining members so that undelivered work can move to them. */
    List<Receiver> remove(String destination, Receiver receiver) {
        List<Receiver> remaining = new ArrayList<>();
        destinations.computeIfPresent(destination, (key, queues) -> {
            List<Queue> copy = new ArrayList<>();
            for (Queue queue : queues) {
                if (queue.members.remove(receiver)) {
                    remaining.addAll(queue.members);
                }
                if (!queue.members.isEmpty()) {
                    copy.add(queue);
                }
            }
            return copy.isEmpty() ? null : List.copyOf(copy);
        });
        return remaining;
    }

    private static final class Queue {
        final String group;
        final List<Receiver> members = new java.util.concurrent.CopyOnWriteArrayList<>();
        final AtomicInteger next = new AtomicInteger();

        Queue(String group) {
            this.group = group;
        }

        boolean deliver(Envelope envelope) {
            List<Receiver> snapshot = members;
            int size = snapshot.size();
            if (size == 0) {
                return false;
            }
            try {
                snapshot.get(Math.floorMod(next.getAndIncrement(), size)).offer(envelope);
            } catch (IndexOutOfBoundsException raced) { // a member left between size() and get()
                return !members.isEmpty() && deliver(envelope);
            }
            return true;
        }
    }
}
