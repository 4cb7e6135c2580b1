package dev.kiln.nvml.sim;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;

/** One simulated {@code nvmlEventSet_t}: which event types each GPU slot is registered for, and its queue. */
final class SimEventSet {
    private final Map<Integer, Long> masks = new ConcurrentHashMap<>();
    final LinkedBlockingQueue<SimulatedServer.SimEvent> queue = new LinkedBlockingQueue<>();

    void add(int slot, long mask) {
        masks.merge(slot, mask, (a, b) -> a | b);
    }

    boolean wants(SimulatedServer.SimEvent e) {
        Long m = masks.get(e.slot());
        return m != null && (m & e.eventType()) != 0;
    }
}
