package dev.kiln.agent.cli;

import dev.kiln.agent.checks.SpecResolver;
import dev.kiln.agent.core.CheckReportTable;
import dev.kiln.agent.core.NodeAgent;
import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.check.CheckReport;
import dev.kiln.protocol.check.CheckStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.List;
import java.util.concurrent.Callable;

/** Runs the health checks on this node once, without a server. */
@Command(name = "check", mixinStandardHelpOptions = true,
        header = "Check this node against a golden spec and exit (no server).",
        description = {"Reads the node once, judges it with every enabled check and prints the report.",
                "Exit status: 0 when every check passed or warned, 3 when any check FAILed or could not run (ERROR), "
                        + "2 on bad usage."})
final class CheckCommand implements Callable<Integer> {
    enum Format { table, json }

    @Spec
    CommandSpec spec;

    @Mixin
    LocalNodeOptions node;

    @Option(names = "--spec", paramLabel = "NAME|FILE",
            description = "Built-in spec name (hgx-h100, hgx-h200, hgx-b200, pcie-l40s) or a spec file. "
                    + "Default for --simulate: the preset's spec.")
    String specName;

    @Option(names = "--only", split = ",", paramLabel = "ID", description = "Run only these check ids.")
    List<String> only = List.of();

    @Option(names = "--skip", split = ",", paramLabel = "ID", description = "Do not run these check ids.")
    List<String> skip = List.of();

    @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json (default: ${DEFAULT-VALUE}).")
    Format output;

    @Override
    public Integer call() throws Exception {
        CheckReport report;
        try (NodeAgent agent = node.open()) {
            String which = specName != null ? specName : agent.defaultSpecName();
            if (which == null) {
                throw new IllegalArgumentException("--spec is required on a real node (a built-in name or a spec file)");
            }
            report = agent.check(SpecResolver.resolve(which), only, skip);
        }
        var out = spec.commandLine().getOut();
        if (output == Format.json) {
            out.println(KilnJson.pretty().writeValueAsString(report));
        } else {
            out.print(CheckReportTable.render(report));
        }
        out.flush();
        return report.verdict() == CheckStatus.FAIL || report.verdict() == CheckStatus.ERROR ? 3 : 0;
    }
}
