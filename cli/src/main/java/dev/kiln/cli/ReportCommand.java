package dev.kiln.cli;

import dev.kiln.cli.fleet.Fleet;
import dev.kiln.cli.fleet.FleetNode;
import dev.kiln.cli.report.CsvReport;
import dev.kiln.cli.report.DbReport;
import dev.kiln.cli.report.HtmlReport;
import dev.kiln.cli.report.JsonReport;
import dev.kiln.cli.report.JunitReport;
import dev.kiln.cli.report.ReportModel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code kiln report}: the acceptance report from the results database. */
@Command(name = "report", mixinStandardHelpOptions = true, sortOptions = false,
        header = "Write the acceptance report from the results database: HTML, JSON, JUnit XML or CSV.",
        description = {"The acceptance report of what kiln bringup recorded: per rack and fleet, per node the verdict, "
                + "stages, findings and the GPUs to RMA with serials; burn-in temperature and power charts and GPU-pair "
                + "heatmaps (HTML); time to production, throughput and the critical path at the top.",
                "",
                "Formats: html (one self-contained file, no internet), json (docs/schema/report.schema.json), junit "
                + "(a testsuite per rack, a testcase per node and stage, for CI systems), csv (one row per node, plus "
                + "<name>-rma.csv with one row per GPU to RMA; needs --out).",
                "",
                "Nodes of the fleet file (--fleet, default ./fleet.yaml when it exists) without any record are listed "
                + "as not started. Exit 0 when the report was written; 2 when the database or an option is unusable."})
final class ReportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "html",
            description = "html, json, junit or csv (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--out", paramLabel = "FILE", description = "Write here instead of stdout (csv: required).")
    Path out;

    @Option(names = "--rack", paramLabel = "RACK", split = ",", description = "Only these racks.")
    List<String> racks = new ArrayList<>();

    @Option(names = "--run", paramLabel = "RUN_ID", split = ",",
            description = "Only these bring-up runs (default: every run in the database).")
    List<String> runs = new ArrayList<>();

    @Option(names = "--db", paramLabel = "JDBC-URL",
            description = "Results database (default: $KILN_DB, else the SQLite file under $KILN_HOME or "
                    + "~/.local/state/kiln).")
    String db;

    @Option(names = "--fleet", paramLabel = "FILE", description = "Fleet file whose nodes without records are "
            + "listed as not started (default: ./fleet.yaml when it exists).")
    Path fleetFile;

    @Option(names = "--series", description = "json: every telemetry point, not a summary per GPU.")
    boolean series;

    @Override
    public Integer call() {
        CommandLine cmd = spec.commandLine();
        if (!List.of("html", "json", "junit", "csv").contains(format)) {
            throw new CommandLine.ParameterException(cmd, "--format must be html, json, junit or csv, got '"
                    + format + "'");
        }
        if (format.equals("csv") && out == null) {
            throw new CommandLine.ParameterException(cmd, "--format csv writes two files: give --out FILE.csv "
                    + "(the GPUs to RMA go to FILE-rma.csv)");
        }
        List<DbReport.FleetEntry> fleet = new ArrayList<>();
        Path ff = fleetFile != null ? fleetFile : Files.isRegularFile(Path.of("fleet.yaml")) ? Path.of("fleet.yaml") : null;
        if (ff != null) {
            Fleet f = dev.kiln.cli.fleet.FleetFile.load(ff);
            for (FleetNode n : f.nodes()) {
                fleet.add(new DbReport.FleetEntry(n.name(), n.rack()));
            }
        }
        String url = DbReport.resolveUrl(db);
        String name = ff != null ? ff.getFileName().toString().replaceFirst("\\.ya?ml$", "") : "kiln";
        // The database classes load only here (in DbReport), never when picocli builds the command tree.
        ReportModel model;
        try {
            model = DbReport.load(url, name, runs, fleet, Instant.now());
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        if (!racks.isEmpty()) {
            model = model.onlyRacks(racks);
        }
        PrintWriter err = cmd.getErr();
        try {
            switch (format) {
                case "html" -> emit(HtmlReport.render(model), cmd);
                case "json" -> emit(JsonReport.render(model, series), cmd);
                case "junit" -> emit(JunitReport.render(model), cmd);
                default -> {
                    Path rma = CsvReport.write(model, out);
                    err.println("kiln report: wrote " + out + " and " + rma);
                }
            }
        } catch (IOException e) {
            throw new UsageException("cannot write " + out + ": " + e.getMessage());
        }
        long nodes = model.racks().stream().mapToLong(r -> r.nodes().size()).sum();
        err.println("kiln report: " + nodes + " node" + (nodes == 1 ? "" : "s") + " in " + model.racks().size()
                + " rack" + (model.racks().size() == 1 ? "" : "s") + " from " + DbReport.redact(url)
                + (out == null || format.equals("csv") ? "" : "; wrote " + out));
        err.flush();
        return ExitCodes.OK;
    }

    private void emit(String text, CommandLine cmd) throws IOException {
        if (out == null) {
            cmd.getOut().print(text);
            cmd.getOut().flush();
        } else {
            Files.writeString(out, text);
        }
    }
}
