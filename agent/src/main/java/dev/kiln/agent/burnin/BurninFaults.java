package dev.kiln.agent.burnin;

import dev.kiln.nvml.sim.Fault;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Writes a node's burn-in and link faults as a faults file for its worker (read back with {@code FaultFile}),
 * so the worker's simulated backend sees exactly the faults the agent's simulated server was given.
 */
final class BurninFaults {
    private BurninFaults() {
    }

    static String toYaml(List<Fault> faults) {
        StringBuilder y = new StringBuilder("faults:\n");
        for (Fault f : faults) {
            switch (f) {
                case Fault.BurninWrongResults w -> y.append("  - type: ").append(w.type()).append("\n    gpu: ")
                        .append(w.gpu()).append('\n');
                case Fault.BurninMemoryErrors m -> y.append("  - type: ").append(m.type()).append("\n    gpu: ")
                        .append(m.gpu()).append("\n    addresses: [").append(m.addresses().stream()
                                .map(a -> "0x" + Long.toHexString(a)).collect(Collectors.joining(", "))).append("]\n");
                case Fault.BurninThermal t -> y.append("  - type: ").append(t.type()).append("\n    gpu: ")
                        .append(t.gpu()).append("\n    afterSeconds: ").append(seconds(t.after())).append('\n');
                case Fault.BurninXid x -> y.append("  - type: ").append(x.type()).append("\n    gpu: ").append(x.gpu())
                        .append("\n    code: ").append(x.code()).append("\n    afterSeconds: ").append(seconds(x.after()))
                        .append('\n');
                case Fault.WorkerCrash c -> y.append("  - type: ").append(c.type()).append("\n    afterSeconds: ")
                        .append(seconds(c.after())).append('\n');
                case Fault.WorkerHang h -> y.append("  - type: ").append(h.type()).append("\n    afterSeconds: ")
                        .append(seconds(h.after())).append('\n');
                case Fault.GpuMissing g -> y.append("  - type: ").append(g.type()).append("\n    gpu: ").append(g.gpu())
                        .append('\n');
                case Fault.NvlinkDown n -> y.append("  - type: ").append(n.type()).append("\n    gpu: ").append(n.gpu())
                        .append("\n    links: ").append(n.links()).append('\n');
                case Fault.PcieDowntrained p -> {
                    y.append("  - type: ").append(p.type()).append("\n    gpu: ").append(p.gpu()).append('\n');
                    p.generation().ifPresent(v -> y.append("    generation: ").append(v).append('\n'));
                    p.width().ifPresent(v -> y.append("    width: ").append(v).append('\n'));
                }
                case Fault.NvlinkDegraded n -> y.append("  - type: ").append(n.type()).append("\n    gpu: ").append(n.gpu())
                        .append("\n    links: ").append(n.links()).append("\n    factor: ").append(n.factor()).append('\n');
                case Fault.SlowGpuPair p -> y.append("  - type: ").append(p.type()).append("\n    gpus: [").append(p.gpu())
                        .append(", ").append(p.peer()).append("]\n    factor: ").append(p.factor()).append('\n');
                case Fault.NvlinkErrors n -> y.append("  - type: ").append(n.type()).append("\n    gpu: ").append(n.gpu())
                        .append("\n    link: ").append(n.link()).append("\n    counter: ").append(n.counter())
                        .append("\n    count: ").append(n.count()).append('\n');
                case Fault.NicSlow n -> y.append("  - type: ").append(n.type()).append("\n    gbps: ").append(n.gbps())
                        .append('\n');
                case Fault.NicLossy n -> y.append("  - type: ").append(n.type()).append("\n    lossPercent: ")
                        .append(n.lossPercent()).append('\n');
                case Fault.IbPortErrors p -> y.append("  - type: ").append(p.type()).append("\n    device: \"")
                        .append(p.device()).append("\"\n    port: ").append(p.port()).append("\n    counter: \"")
                        .append(p.counter()).append("\"\n    count: ").append(p.count()).append('\n');
                default -> {
                    // Not a fault the worker acts on.
                }
            }
        }
        return y.toString();
    }

    private static String seconds(java.time.Duration d) {
        return java.math.BigDecimal.valueOf(d.toMillis(), 3).stripTrailingZeros().toPlainString();
    }
}
