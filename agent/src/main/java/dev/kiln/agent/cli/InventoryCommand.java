package dev.kiln.agent.cli;

import dev.kiln.agent.core.InventoryTable;
import dev.kiln.agent.core.NodeAgent;
import dev.kiln.nvml.raw.NvmlLoader;
import dev.kiln.nvml.sim.ServerPresets;
import dev.kiln.protocol.InventoryDocument;
import dev.kiln.protocol.KilnJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** One-shot inventory of this node, no server: for SSH, and for comparing with nvidia-smi. */
@Command(name = "inventory", mixinStandardHelpOptions = true,
        header = "Print this node's inventory and exit (no server).",
        description = {"Reads NVML (or a simulated server), the host and InfiniBand ports once and prints them."})
final class InventoryCommand implements Callable<Integer> {
    enum Format { table, json }

    @Spec
    CommandSpec spec;

    @Mixin
    SimulationOptions simulation;

    @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json (default: ${DEFAULT-VALUE}).")
    Format output;

    @Option(names = "--name", description = "Node name (default: hostname).")
    String name;

    @Option(names = "--sysfs-root", defaultValue = "/sys", description = "Root of sysfs (default: ${DEFAULT-VALUE}).")
    Path sysfsRoot;

    @Option(names = "--nvml-library", description = "NVML library to load instead of libnvidia-ml.so.1.")
    String nvmlLibrary;

    @Override
    public Integer call() throws Exception {
        InventoryDocument doc;
        var plan = simulation.faultPlan();
        try (NodeAgent agent = simulation.preset != null
                ? NodeAgent.simulated(name != null ? name : "sim-node", ServerPresets.get(simulation.preset), plan, 1, false)
                : NodeAgent.real(name, nvmlLibrary != null ? NvmlLoader.load(nvmlLibrary) : NvmlLoader.system(),
                sysfsRoot)) {
            doc = agent.inventory(true);
        }
        var out = spec.commandLine().getOut();
        if (output == Format.json) {
            out.println(KilnJson.pretty().writeValueAsString(doc));
        } else {
            out.print(InventoryTable.render(doc));
        }
        out.flush();
        return 0;
    }
}
