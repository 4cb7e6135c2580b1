package dev.kiln.cli;

import dev.kiln.cli.fanout.NodeResult;
import dev.kiln.cli.output.OutputFormat;
import dev.kiln.cli.output.ResultWriter;
import dev.kiln.cli.output.Table;
import dev.kiln.protocol.NodeInfo;

import java.io.PrintWriter;
import java.util.List;
import java.util.function.Consumer;

/** Renders {@code kiln status} results as they arrive (in fleet order). */
final class StatusReport implements Consumer<NodeResult<NodeInfo>> {
    private final PrintWriter out;
    private final Table table;
    private final ResultWriter json;
    final Tally tally = new Tally();

    StatusReport(OutputFormat format, PrintWriter out) {
        this.out = out;
        this.table = format == OutputFormat.table
                ? new Table("NODE", "RACK", "ADDRESS", "REACHABLE", "KILN", "MODE", "GPUS", "NOTE") : null;
        this.json = format == OutputFormat.table ? null : new ResultWriter(out, format, "nodeInfo");
    }

    @Override
    public void accept(NodeResult<NodeInfo> r) {
        NodeInfo info = r.body();
        List<String> failures = info == null ? List.of() : Agents.check(info);
        tally.count(r, failures, info == null ? 0 : info.gpuCount());
        if (json != null) {
            json.write(r, failures);
            return;
        }
        if (info == null) {
            table.add(r.node().name(), r.node().rack(), r.node().address(), r.reachable() ? "yes" : "no",
                    null, null, null, r.error().message());
            return;
        }
        String note = failures.isEmpty() && !info.nvml().available()
                ? "NVML unavailable: " + Agents.orUnknown(info.nvml().reason())
                : String.join("; ", failures);
        table.add(r.node().name(), r.node().rack(), r.node().address(), "yes", info.kilnVersion(),
                info.mode(), Integer.toString(info.gpuCount()), note);
    }

    /** Prints the table and summary (table), or closes the JSON; the summary goes to {@code err} for JSON. */
    void finish(PrintWriter err) {
        if (json != null) {
            json.close();
            err.println("kiln: " + tally.summary());
            err.flush();
        } else {
            table.print(out);
            out.println();
            out.println(tally.summary());
            out.flush();
        }
    }
}
