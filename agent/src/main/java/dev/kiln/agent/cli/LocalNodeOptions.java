package dev.kiln.agent.cli;

import dev.kiln.agent.core.NodeAgent;
import dev.kiln.nvml.raw.NvmlLoader;
import dev.kiln.nvml.sim.ServerPresets;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The node a one-shot command reads: this machine's hardware, or a simulated server. */
final class LocalNodeOptions {
    @Mixin
    SimulationOptions simulation;

    @Option(names = "--name", description = "Node name (default: hostname).")
    String name;

    @Option(names = "--sysfs-root", defaultValue = "/sys", description = "Root of sysfs (default: ${DEFAULT-VALUE}).")
    Path sysfsRoot;

    @Option(names = "--nvml-library", description = "NVML library to load instead of libnvidia-ml.so.1.")
    String nvmlLibrary;

    /** A node agent for one reading; the caller closes it. */
    NodeAgent open() {
        var plan = simulation.faultPlan();
        if (simulation.preset != null) {
            return NodeAgent.simulated(name != null ? name : "sim-node", ServerPresets.get(simulation.preset), plan, 1, false);
        }
        return NodeAgent.real(name, nvmlLibrary != null ? NvmlLoader.load(nvmlLibrary) : NvmlLoader.system(), sysfsRoot);
    }
}
