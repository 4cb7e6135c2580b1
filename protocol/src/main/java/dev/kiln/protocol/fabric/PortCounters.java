package dev.kiln.protocol.fabric;

import java.util.Map;

/**
 * One InfiniBand/RoCE port's error counters ({@code /sys/class/infiniband/<dev>/ports/<n>/counters/}) over a
 * fabric job: after minus before. {@code unreadable} names counters the kernel did not let us read.
 */
public record PortCounters(String device, int port, String linkLayer, Map<String, Long> deltas,
                           java.util.List<String> unreadable) {
    public PortCounters {
        deltas = deltas == null ? Map.of() : Map.copyOf(deltas);
        unreadable = unreadable == null ? java.util.List.of() : java.util.List.copyOf(unreadable);
    }
}
