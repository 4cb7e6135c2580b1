package dev.kiln.nvml.sim;

import java.util.Optional;

/**
 * What a simulated server's GPU links would measure: peer copy bandwidth and latency per GPU pair and
 * pinned host<->device bandwidth per GPU, from the preset (NVLink generation and link count, PCIe
 * generation and width, sockets) and the faults that touch links ({@code nvlink-down},
 * {@code nvlink-degraded}, {@code slow-gpu-pair}, {@code pcie-downtrained}). Figures are typical of
 * real systems (HGX H100 NVLink 4: about 370 GB/s one way per pair; PCIe Gen5 x16: about 55 GB/s) with
 * a small deterministic spread per node and pair, so the same node always measures the same.
 */
public final class SimulatedFabric {
    /** One-way copy GB/s per fully healthy NVLink (18 links: NVLink 4 about 370 GB/s, NVLink 5 about 740). */
    private static final double NVLINK4_PER_LINK = 20.6;
    private static final double NVLINK5_PER_LINK = 41.2;
    /** Usable share of the raw PCIe rate for large pinned copies. */
    private static final double PCIE_EFFICIENCY = 0.87;

    private final SimulatedServer server;
    private final String node;

    public SimulatedFabric(SimulatedServer server) {
        this.server = server;
        this.node = server.nodeName();
    }

    /** One pair's figures in GB/s (10^9 bytes/s) and microseconds; {@code nvlink} says which path carried them. */
    public record PairFigures(boolean nvlink, double abGBps, double baGBps, double bidirGBps, double latencyUs) {
    }

    /**
     * Copy figures between two GPU slots, or empty when they cannot reach each other directly (no NVLink and
     * PCIe P2P not supported between their sockets); {@code factor} scales the bandwidths (1.0: healthy).
     */
    public Optional<PairFigures> pair(int slotA, int slotB) {
        boolean nvlink = server.p2pStatus(slotA, slotB, 2) == 0;
        if (!nvlink && server.p2pStatus(slotA, slotB, 0) != 0) {
            return Optional.empty();
        }
        double base;
        double latency;
        if (nvlink) {
            double perLink = server.nvlinkVersion() >= 5 ? NVLINK5_PER_LINK : NVLINK4_PER_LINK;
            int links = server.preset().nvlinksPerGpu();
            base = perLink * links * Math.min(linkShare(slotA), linkShare(slotB));
            latency = 2.2;
        } else {
            base = Math.min(pcieGBps(slotA), pcieGBps(slotB)) * 0.9; // peer writes through the root complex
            latency = 9.5;
        }
        double slow = pairFactor(slotA, slotB);
        double ab = base * slow * spread("ab", slotA, slotB);
        double ba = base * slow * spread("ba", slotA, slotB);
        double bidir = (ab + ba) * 0.96;
        return Optional.of(new PairFigures(nvlink, ab, ba, bidir, latency / Math.max(0.2, slow)));
    }

    /** Pinned host->device and device->host GB/s of a slot, from its PCIe link as trained. */
    public double[] host(int slot) {
        double bw = pcieGBps(slot);
        return new double[]{bw * spread("h2d", slot, slot), bw * 0.97 * spread("d2h", slot, slot)};
    }

    /** Share of a GPU's NVLink bandwidth it still has: down links count 0, degraded links their factor. */
    double linkShare(int slot) {
        SimGpu g = server.slots().get(slot);
        int total = server.preset().nvlinksPerGpu();
        if (total == 0) {
            return 0;
        }
        double sum = 0;
        for (SimGpu.SimLink l : g.links) {
            if (!l.active()) {
                continue;
            }
            double f = 1.0;
            for (Fault fault : server.faults()) {
                if (fault instanceof Fault.NvlinkDegraded d && d.gpu() == slot
                        && (d.links().isEmpty() || d.links().contains(l.number()))) {
                    f = Math.min(f, d.factor());
                }
            }
            sum += f;
        }
        return sum / total;
    }

    private double pairFactor(int a, int b) {
        double f = 1.0;
        for (Fault fault : server.faults()) {
            if (fault instanceof Fault.SlowGpuPair p
                    && ((p.gpu() == a && p.peer() == b) || (p.gpu() == b && p.peer() == a))) {
                f = Math.min(f, p.factor());
            }
        }
        return f;
    }

    private double pcieGBps(int slot) {
        SimGpu g = server.slots().get(slot);
        double perLane = switch (g.pcieGen) {
            case 1 -> 0.25;
            case 2 -> 0.5;
            case 3 -> 0.985;
            case 4 -> 1.969;
            case 5 -> 3.938;
            default -> 7.877;
        };
        return perLane * g.pcieWidth * PCIE_EFFICIENCY;
    }

    /** 0.98 .. 1.02, fixed per node, kind and pair. */
    private double spread(String kind, int a, int b) {
        int h = (node + "/" + kind + "/" + Math.min(a, b) + "-" + Math.max(a, b)).hashCode();
        return 0.98 + (Math.floorMod(h, 401) / 10_000.0);
    }
}
