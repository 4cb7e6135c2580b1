package dev.kiln.agent.fabric.net;

import dev.kiln.nvml.sim.Fault;
import dev.kiln.nvml.sim.ServerPreset;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The port counters of a simulated server: the ports {@code SimulatedInfinibandProbe} shows (the preset's
 * {@code ibDevicePrefix + i}, port 1, InfiniBand), every counter at a small, nonzero lifetime total that never moves,
 * except those named by {@link Fault.IbPortErrors} faults: they rise by {@code count} on every read after the first.
 * So a before/after pair of reads sees exactly {@code count}, on every job, and a judge that looked at lifetime
 * totals instead of deltas would wrongly fail every port. One instance per node; thread-safe.
 */
public final class SimulatedIbCounterSource implements IbCounterSource {
    private final List<String> devices;
    private final Map<String, Long> base = new LinkedHashMap<>();     // "dev/port/counter" -> lifetime total
    private final Map<String, Long> risePerRead = new LinkedHashMap<>();
    private final AtomicLong reads = new AtomicLong();

    /**
     * @throws IllegalArgumentException for an {@code ib-port-errors} fault naming a port or counter the preset
     *                                  does not have
     */
    public SimulatedIbCounterSource(String nodeName, ServerPreset preset, List<? extends Fault> faults) {
        Objects.requireNonNull(preset, "preset");
        ServerPreset.HostModel h = preset.host();
        List<String> devs = new ArrayList<>();
        for (int i = 0; i < h.ibPorts(); i++) {
            devs.add(h.ibDevicePrefix() + i);
        }
        this.devices = List.copyOf(devs);
        int seed = Math.floorMod(Objects.requireNonNullElse(nodeName, "").hashCode(), 1000);
        for (int d = 0; d < devices.size(); d++) {
            for (int c = 0; c < IbCounters.COUNTERS.size(); c++) {
                base.put(key(devices.get(d), 1, IbCounters.COUNTERS.get(c)), 1L + (seed + 7L * d + 3L * c) % 9);
            }
        }
        for (Fault f : faults == null ? List.<Fault>of() : faults) {
            if (f instanceof Fault.IbPortErrors e) {
                if (!devices.contains(e.device()) || e.port() != 1) {
                    throw new IllegalArgumentException("fault ib-port-errors: " + e.device() + " port " + e.port()
                            + " does not exist; preset " + preset.id() + " has "
                            + (devices.isEmpty() ? "no InfiniBand ports"
                            : devices.getFirst() + ".." + devices.getLast() + ", port 1 each"));
                }
                if (!IbCounters.COUNTERS.contains(e.counter())) {
                    throw new IllegalArgumentException("fault ib-port-errors: unknown counter '" + e.counter()
                            + "'; one of " + IbCounters.COUNTERS);
                }
                if (e.count() < 1) {
                    throw new IllegalArgumentException("fault ib-port-errors: count must be at least 1, got "
                            + e.count());
                }
                risePerRead.merge(key(e.device(), e.port(), e.counter()), e.count(), Long::sum);
            }
        }
    }

    @Override
    public IbCounters.Snapshot read() {
        long later = reads.getAndIncrement(); // 0 on the first read
        List<IbCounters.PortReading> ports = new ArrayList<>();
        for (String dev : devices) {
            Map<String, Long> values = new LinkedHashMap<>();
            for (String c : IbCounters.COUNTERS) {
                String k = key(dev, 1, c);
                values.put(c, base.get(k) + risePerRead.getOrDefault(k, 0L) * later);
            }
            ports.add(new IbCounters.PortReading(dev, 1, "InfiniBand", values, List.of()));
        }
        return new IbCounters.Snapshot(ports, List.of());
    }

    private static String key(String device, int port, String counter) {
        return device + "/" + port + "/" + counter;
    }

    @Override
    public String toString() {
        return "simulated " + devices.size() + " port(s)";
    }
}
