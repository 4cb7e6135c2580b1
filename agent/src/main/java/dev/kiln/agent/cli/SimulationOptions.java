package dev.kiln.agent.cli;

import dev.kiln.nvml.sim.FaultFile;
import dev.kiln.nvml.sim.FaultPlan;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** {@code --simulate PRESET [--faults FILE]}, shared by serve and inventory. */
final class SimulationOptions {
    @Option(names = "--simulate", paramLabel = "PRESET",
            description = "Use simulated GPUs instead of NVML: hgx-h100, hgx-h200, hgx-b200, pcie-l40s.")
    String preset;

    @Option(names = "--faults", paramLabel = "FILE",
            description = "Faults to inject into the simulated server (YAML or JSON; see docs/faults.md).")
    Path faults;

    FaultPlan faultPlan() {
        if (faults != null && preset == null) {
            throw new IllegalArgumentException("--faults needs --simulate PRESET: faults are only injected into simulated GPUs");
        }
        return faults == null ? FaultPlan.NONE : FaultFile.load(faults);
    }
}
