package dev.kiln.cli;

import dev.kiln.cli.fanout.FanOut;
import dev.kiln.cli.fleet.Fleet;
import dev.kiln.cli.fleet.FleetNode;
import dev.kiln.cli.fleet.SpecRef;
import dev.kiln.cli.output.OutputFormat;
import picocli.CommandLine;
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
                "--diff prints fleet-wide deviations instead: for each property (GPU count and model, VBIOS, "
                + "driver, memory, PCIe max link, NVLinks, power limit, persistence, ECC, MIG, InfiniBand ports "
                + "and rate, CPU sockets, host memory) the majority value and every minority with its nodes or "
                + "GPUs, among nodes that share a spec; and, where nodes have a spec (--spec or the fleet file's "
                + "'spec:'), every deviation from it. -o json gives the same, structured.",
                "",
                "Checks: a GPU whose state is not ok, or NVML unavailable on a real node, fails (exit 3). "
                + "With --diff: any deviation exits 3, none exits 0."})
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

    @Option(names = "--diff", description = "Print fleet-wide deviations (majority vs minorities, and from the "
            + "spec) instead of the GPU table.")
    boolean diff;

    @Option(names = "--spec", paramLabel = "SPEC", description = "With --diff: compare every node with this spec "
            + "(a built-in name or a spec file) instead of the fleet file's 'spec:'.")
    String specOption;

    @Override
    public Integer call() throws InterruptedException {
        if (specOption != null && !diff) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--spec works with --diff (kiln inventory "
                    + "lists what nodes are; 'kiln check --spec' judges them)");
        }
        Fleet fleet = fleetOptions.load();
        List<FleetNode> nodes = fleetOptions.select(fleet);
        if (diff) {
            return diff(fleet, nodes);
        }
        InventoryReport report = new InventoryReport(outputOptions.format(), spec.commandLine().getOut());
        try (FanOut fanOut = FanOut.start()) {
            FleetQuery.run(fanOut, nodes, Agents.INVENTORY_PATH + (fresh ? "?fresh=true" : ""), Agents.INVENTORY,
                    fanOutOptions.timeout(fleet), fanOutOptions.maxInFlight(), report, spec.commandLine().getErr(),
                    KilnCommand.verbose(spec));
        }
        report.finish(spec.commandLine().getErr());
        return report.tally.exitCode();
    }

    private int diff(Fleet fleet, List<FleetNode> nodes) throws InterruptedException {
        SpecRef override = specOption == null ? null : CheckCommand.resolve(spec.commandLine(), specOption);
        InventoryDiff d = new InventoryDiff(n -> override != null ? override : n.spec());
        try (FanOut fanOut = FanOut.start()) {
            FleetQuery.run(fanOut, nodes, Agents.INVENTORY_PATH + (fresh ? "?fresh=true" : ""), Agents.INVENTORY,
                    fanOutOptions.timeout(fleet), fanOutOptions.maxInFlight(), d, spec.commandLine().getErr(),
                    KilnCommand.verbose(spec));
        }
        if (outputOptions.format() == OutputFormat.table) {
            d.print(spec.commandLine().getOut());
        } else {
            d.writeJson(spec.commandLine().getOut(), outputOptions.format());
            spec.commandLine().getErr().println("kiln: " + d.summary());
            spec.commandLine().getErr().flush();
        }
        return d.exitCode();
    }
}
