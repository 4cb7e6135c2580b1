package dev.kiln.cli;

import dev.kiln.cli.fanout.FanOut;
import dev.kiln.cli.fleet.Fleet;
import dev.kiln.cli.fleet.FleetNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.List;
import java.util.concurrent.Callable;

/** {@code kiln inventory}: every GPU of every node, or the full documents as JSON. */
@Command(name = "inventory", mixinStandardHelpOptions = true,
        header = "List every GPU of the selected nodes: identity, PCIe and NVLink state.",
        description = {"Reads GET /v1/inventory from every selected node. The table has one row per GPU (node, "
                + "index, name, serial, bus id, VBIOS, memory, PCIe generation/width now and at most, NVLinks up "
                + "of total, state); -o json prints each node's full inventory document "
                + "(docs/schema/inventory.schema.json) with the node's name, address, reachability and error.",
                "",
                "Checks: a GPU whose state is not ok, or NVML unavailable on a real node, fails (exit 3)."})
final class InventoryCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    FleetOptions fleetOptions;

    @Mixin
    FanOutOptions fanOutOptions;

    @Mixin
    OutputOptions outputOptions;

    @Option(names = "--fresh", description = "Ask agents to read the hardware now instead of reusing a reading "
            + "up to a few seconds old.")
    boolean fresh;

    @Override
    public Integer call() throws InterruptedException {
        Fleet fleet = fleetOptions.load();
        List<FleetNode> nodes = fleetOptions.select(fleet);
        InventoryReport report = new InventoryReport(outputOptions.format(), spec.commandLine().getOut());
        try (FanOut fanOut = FanOut.start()) {
            FleetQuery.run(fanOut, nodes, Agents.INVENTORY_PATH + (fresh ? "?fresh=true" : ""), Agents.INVENTORY,
                    fanOutOptions.timeout(fleet), fanOutOptions.maxInFlight(), report, spec.commandLine().getErr(),
                    KilnCommand.verbose(spec));
        }
        report.finish(spec.commandLine().getErr());
        return report.tally.exitCode();
    }
}
