package dev.kiln.agent.burnin;

import dev.kiln.nvml.sim.Fault;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Writes a node's burn-in faults as a faults file for its worker (read back with {@code FaultFile}),
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
                default -> {
                    // Not a burn-in fault: the worker does not need it.
                }
            }
        }
        return y.toString();
    }

    private static String seconds(java.time.Duration d) {
        return java.math.BigDecimal.valueOf(d.toMillis(), 3).stripTrailingZeros().toPlainString();
    }
}
