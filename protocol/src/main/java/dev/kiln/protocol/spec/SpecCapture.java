package dev.kiln.protocol.spec;

import dev.kiln.protocol.GpuInventory;
import dev.kiln.protocol.IbPort;
import dev.kiln.protocol.InventoryDocument;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Writes a spec from a known-good node's inventory ({@code kiln spec capture}). Each expectation is
 * what most of the node's GPUs (or ports) show, so one odd GPU does not become the golden value;
 * {@link #deviations} lists what disagreed so the person capturing can look before trusting it.
 */
public final class SpecCapture {
    private SpecCapture() {
    }

    public record Captured(NodeSpec spec, List<String> deviations) {
    }

    public static Captured capture(String name, InventoryDocument inv) {
        List<String> deviations = new ArrayList<>();
        List<GpuInventory> gpus = inv.gpus().stream().filter(g -> GpuInventory.STATE_OK.equals(g.state())).toList();
        if (gpus.size() != inv.gpus().size()) {
            deviations.add((inv.gpus().size() - gpus.size()) + " GPU(s) not ok were left out");
        }
        String model = majority(gpus, GpuInventory::name, "GPU model", deviations);
        Long memoryMiB = majority(gpus, g -> g.memoryTotalBytes() == null ? null : g.memoryTotalBytes() / (1024 * 1024),
                "GPU memory", deviations);
        String vbios = majority(gpus, GpuInventory::vbiosVersion, "VBIOS", deviations);
        Integer gen = majority(gpus, g -> g.pcie() == null ? null : g.pcie().maxGeneration(), "PCIe max generation", deviations);
        Integer width = majority(gpus, g -> g.pcie() == null ? null : g.pcie().maxWidth(), "PCIe max width", deviations);
        Integer links = majority(gpus, g -> g.nvlinks().size(), "NVLinks per GPU", deviations);
        Boolean ecc = majority(gpus, g -> g.ecc() == null ? null : g.ecc().enabled(), "ECC mode", deviations);
        Boolean persistence = majority(gpus, GpuInventory::persistenceMode, "persistence mode", deviations);
        Boolean mig = majority(gpus, g -> g.mig() == null ? null : g.mig().current(), "MIG mode", deviations);
        Integer power = majority(gpus, g -> g.powerEnforcedLimitMilliwatts() == null ? null
                : Math.round(g.powerEnforcedLimitMilliwatts() / 1000f), "power limit", deviations);
        List<String> busIds = inv.gpus().stream().filter(g -> g.pci() != null).map(g -> g.pci().busId()).toList();
        NodeSpec.GpuSpec gpu = new NodeSpec.GpuSpec(inv.gpus().size(), model, memoryMiB,
                busIds.size() == inv.gpus().size() ? busIds : List.of(), vbios == null ? List.of() : List.of(vbios),
                gen, width, links, ecc, persistence, mig, power);
        String driver = inv.nvml().driverVersion();
        NodeSpec.DriverSpec driverSpec = driver == null ? null : new NodeSpec.DriverSpec(driver, null);
        List<IbPort> ports = inv.infiniband();
        Double rate = majority(ports, IbPort::rateGbps, "InfiniBand rate", deviations);
        String state = majority(ports, IbPort::state, "InfiniBand port state", deviations);
        NodeSpec.InfinibandSpec ib = ports.isEmpty() ? null : new NodeSpec.InfinibandSpec(ports.size(), rate, state);
        Long memGiB = inv.host().memoryTotalBytes() == null ? null : inv.host().memoryTotalBytes() / (1024L * 1024 * 1024);
        NodeSpec.HostSpec host = new NodeSpec.HostSpec(inv.host().cpu() == null ? null : inv.host().cpu().sockets(), memGiB);
        String description = "captured from " + inv.node().name() + " (" + inv.gpus().size() + "x "
                + (model == null ? "no GPU" : model) + ") on " + inv.collectedAt();
        return new Captured(new NodeSpec(name, description, gpu, driverSpec, ib, host, NodeSpec.Thresholds.DEFAULT,
                Set.of(), null), List.copyOf(deviations));
    }

    /** The most common non-null value; ties go to the first seen. Records how many disagreed. */
    static <T, V> V majority(Collection<T> items, Function<T, V> value, String what, List<String> deviations) {
        Map<V, Integer> counts = new LinkedHashMap<>();
        for (T item : items) {
            V v = value.apply(item);
            if (v != null) {
                counts.merge(v, 1, Integer::sum);
            }
        }
        V best = null;
        int bestCount = 0;
        for (Map.Entry<V, Integer> e : counts.entrySet()) {
            if (e.getValue() > bestCount) {
                best = e.getKey();
                bestCount = e.getValue();
            }
        }
        if (counts.size() > 1) {
            final V chosen = best;
            Set<String> others = new TreeSet<>();
            counts.forEach((v, n) -> {
                if (!Objects.equals(v, chosen)) {
                    others.add(v + " (" + n + ")");
                }
            });
            deviations.add(what + ": took " + best + " (" + bestCount + "); also seen " + others);
        }
        return best;
    }
}
