package dev.kiln.cli;

import dev.kiln.cli.fanout.FanOut;
import dev.kiln.cli.fleet.Fleet;
import dev.kiln.cli.fleet.FleetNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.util.List;
import java.util.concurrent.Callable;

/** {@code kiln status}: is every agent up, which version, simulated or real, how many GPUs. */
@Command(name = "status", mixinStandardHelpOptions = true,
        header = "Show whether each node's agent answers, its Kiln version, mode and GPU count.",
        description = {"Reads GET /v1/node from every selected node (cheap: no hardware walk) and prints one row "
                + "per node in fleet-file order, then a summary line. Unreachable nodes are listed, never "
                + "skipped.",
                "",
                "Check: a node in real mode whose NVML is unavailable fails (exit 3); 'kiln inventory' also checks "
                + "GPU states."})
final class StatusCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    FleetOptions fleetOptions;

    @Mixin
    FanOutOptions fanOutOptions;

    @Mixin
    OutputOptions outputOptions;

    @Override
    public Integer call() throws InterruptedException {
        Fleet fleet = fleetOptions.load();
        List<FleetNode> nodes = fleetOptions.select(fleet);
        StatusReport report = new StatusReport(outputOptions.format(), spec.commandLine().getOut());
        try (FanOut fanOut = FanOut.start()) {
            FleetQuery.run(fanOut, nodes, Agents.NODE_PATH, Agents.NODE_INFO, fanOutOptions.timeout(fleet),
                    fanOutOptions.maxInFlight(), report, spec.commandLine().getErr(), KilnCommand.verbose(spec));
        }
        report.finish(spec.commandLine().getErr());
        return report.tally.exitCode();
    }
}
