package dev.kiln.cli;

import dev.kiln.cli.fanout.NodeResult;
import dev.kiln.cli.fleet.FleetNode;
import dev.kiln.cli.fleet.SpecRef;
import dev.kiln.cli.output.OutputFormat;
import dev.kiln.cli.output.ResultWriter;
import dev.kiln.cli.output.Table;
import dev.kiln.protocol.check.CheckReport;
import dev.kiln.protocol.check.CheckResult;
import dev.kiln.protocol.check.CheckStatus;
import dev.kiln.protocol.check.GpuRef;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Renders {@code kiln check} results as they arrive (in fleet order): a verdict row per node, then every
 * finding that is not a PASS (SKIPs only when asked for; ERRORs always, since a check that could not run
 * is not a pass), then a summary. With {@code -o json|jsonl}, each node's full report instead.
 */
final class CheckOutput implements Consumer<NodeResult<CheckReport>> {
    private static final int NOTE_IDS = 4;

    private final PrintWriter out;
    private final Function<FleetNode, SpecRef> specs;
    private final boolean showSkips;
    private final Table table;
    private final ResultWriter json;
    private final List<String> findings = new ArrayList<>();
    private final Map<CheckStatus, Integer> verdicts = new EnumMap<>(CheckStatus.class);
    private final Map<CheckStatus, Integer> results = new EnumMap<>(CheckStatus.class);
    final Tally tally = new Tally();

    /**
     * @param specs     the spec kiln sent each node, null where it sent none (the agent's default applies)
     * @param showSkips list SKIP findings too
     */
    CheckOutput(OutputFormat format, PrintWriter out, Function<FleetNode, SpecRef> specs, boolean showSkips) {
        this.out = out;
        this.specs = specs;
        this.showSkips = showSkips;
        this.table = format == OutputFormat.table
                ? new Table("NODE", "RACK", "SPEC", "VERDICT", "FAIL", "WARN", "ERROR", "SKIP", "NOTE") : null;
        this.json = format == OutputFormat.table ? null : new ResultWriter(out, format, "report");
    }

    @Override
    public void accept(NodeResult<CheckReport> r) {
        FleetNode node = r.node();
        SpecRef sent = specs.apply(node);
        CheckReport report = r.body();
        CheckStatus verdict = report == null ? null : verdict(report);
        List<String> failures = new ArrayList<>();
        Map<CheckStatus, Integer> counts = new EnumMap<>(CheckStatus.class);
        if (report != null) {
            verdicts.merge(verdict, 1, Integer::sum);
            for (CheckResult x : sorted(report.results())) {
                counts.merge(x.status(), 1, Integer::sum);
                results.merge(x.status(), 1, Integer::sum);
                if (x.status() == CheckStatus.FAIL || x.status() == CheckStatus.ERROR) {
                    failures.add(headline(node.name(), x));
                }
                if (table != null && (x.status() != CheckStatus.PASS && (x.status() != CheckStatus.SKIP || showSkips))) {
                    finding(node.name(), x);
                }
            }
        }
        // A FAIL or ERROR verdict fails the run even if the agent listed no failing result.
        if (failures.isEmpty() && (verdict == CheckStatus.FAIL || verdict == CheckStatus.ERROR)) {
            failures.add(node.name() + ": verdict " + verdict);
        }
        tally.count(r, failures, 0);
        if (json != null) {
            Map<String, Object> extra = new LinkedHashMap<>();
            extra.put("spec", sent == null ? null : Map.of("name", sent.name(), "source", sent.source()));
            extra.put("verdict", verdict == null ? null : verdict.name());
            json.write(r, failures, extra);
            return;
        }
        if (report == null) {
            String note = (r.reachable() ? "error: " : "unreachable: ") + r.error().message();
            if (r.httpStatus() == 400 && sent == null) {
                note += " (give --spec, or set 'spec:' for the node in the fleet file)";
            }
            table.add(node.name(), node.rack(), sent == null ? null : sent.name(), null, null, null, null, null, note);
            return;
        }
        String spec = report.spec() != null ? report.spec() : sent == null ? null : sent.name();
        table.add(node.name(), node.rack(), spec, verdict.name(), count(counts, CheckStatus.FAIL),
                count(counts, CheckStatus.WARN), count(counts, CheckStatus.ERROR), count(counts, CheckStatus.SKIP),
                note(report, sent));
    }

    /** The worst of the agent's verdict and every result, so an ERROR is never reported as a pass. */
    static CheckStatus verdict(CheckReport report) {
        CheckStatus v = report.verdict() == null ? CheckStatus.PASS : report.verdict();
        for (CheckResult x : report.results()) {
            v = CheckStatus.worse(v, x.status());
        }
        return v == CheckStatus.SKIP ? CheckStatus.PASS : v;
    }

    /** Node-level results first, then by GPU index; the agent's order otherwise. */
    private static List<CheckResult> sorted(List<CheckResult> results) {
        List<CheckResult> copy = new ArrayList<>(results);
        copy.sort(Comparator.comparingInt(x -> x.gpu() == null || x.gpu().index() == null ? -1 : x.gpu().index()));
        return copy;
    }

    /** The ids that did not pass ({@code gpu.count, gpu.pcie.link}), and whether the agent chose the spec. */
    private static String note(CheckReport report, SpecRef sent) {
        Set<String> ids = new LinkedHashSet<>();
        for (CheckResult x : report.results()) {
            if (x.status() == CheckStatus.FAIL || x.status() == CheckStatus.ERROR || x.status() == CheckStatus.WARN) {
                ids.add(x.id());
            }
        }
        List<String> list = new ArrayList<>(ids);
        String note = list.size() <= NOTE_IDS ? String.join(", ", list)
                : String.join(", ", list.subList(0, NOTE_IDS)) + " and " + (list.size() - NOTE_IDS) + " more";
        if (sent == null) {
            note = note.isEmpty() ? "agent's default spec" : note + " (agent's default spec)";
        }
        return note;
    }

    private static String count(Map<CheckStatus, Integer> counts, CheckStatus s) {
        return Integer.toString(counts.getOrDefault(s, 0));
    }

    /**
     * {@code node-003 GPU 2 serial 1654922001234 (00000000:3A:00.0): FAIL gpu.pcie.link: observed Gen4 x8,
     * expected Gen5 x16}: one line a technician can grep, naming the board.
     */
    static String headline(String node, CheckResult x) {
        StringBuilder b = new StringBuilder(where(node, x)).append(": ").append(x.status()).append(' ').append(x.id())
                .append(": ");
        if (x.observed() != null || x.expected() != null) {
            b.append("observed ").append(orUnknown(x.observed())).append(", expected ").append(orUnknown(x.expected()));
        } else {
            b.append(orUnknown(x.message()));
        }
        return b.toString();
    }

    /** The node, and the GPU (index, serial, bus id) or other subject a result concerns. */
    static String where(String node, CheckResult x) {
        GpuRef g = x.gpu();
        if (g != null) {
            StringBuilder b = new StringBuilder(node).append(" GPU ").append(g.index() == null ? "?" : g.index())
                    .append(" serial ").append(Agents.orUnknown(g.serial()));
            if (g.pciBusId() != null) {
                b.append(" (").append(g.pciBusId()).append(')');
            }
            if (x.subject() != null) {
                b.append(' ').append(x.subject());
            }
            return b.toString();
        }
        return x.subject() == null ? node : node + " " + x.subject();
    }

    private void finding(String node, CheckResult x) {
        findings.add("  " + headline(node, x));
        if ((x.observed() != null || x.expected() != null) && x.message() != null) {
            findings.add("      " + x.message());
        }
        if (x.action() != null) {
            findings.add("      action: " + x.action());
        }
    }

    private static String orUnknown(String s) {
        return s == null ? "unknown" : s;
    }

    /**
     * {@code 16 nodes, 15 reachable, 1 unreachable; verdicts: 13 PASS, 2 FAIL; findings: 3 FAIL, 24 SKIP}.
     */
    String summary() {
        StringBuilder b = new StringBuilder();
        b.append(tally.nodes).append(tally.nodes == 1 ? " node, " : " nodes, ").append(tally.reachable)
                .append(" reachable, ").append(tally.unreachable).append(" unreachable");
        if (tally.answeredWithError > 0) {
            b.append(", ").append(tally.answeredWithError).append(" answered with an error");
        }
        b.append("; verdicts: ").append(counts(verdicts, List.of(CheckStatus.PASS, CheckStatus.WARN,
                CheckStatus.FAIL, CheckStatus.ERROR), true));
        String f = counts(results, List.of(CheckStatus.FAIL, CheckStatus.WARN, CheckStatus.ERROR, CheckStatus.SKIP),
                false);
        b.append("; findings: ").append(f.isEmpty() ? "none" : f);
        if (!showSkips && json == null && results.getOrDefault(CheckStatus.SKIP, 0) > 0) {
            b.append(" (SKIPs not listed; --show-skips lists them)");
        }
        return b.toString();
    }

    private static String counts(Map<CheckStatus, Integer> m, List<CheckStatus> order, boolean always) {
        List<String> parts = new ArrayList<>();
        for (CheckStatus s : order) {
            int n = m.getOrDefault(s, 0);
            if (n > 0 || always && (s == CheckStatus.PASS || s == CheckStatus.FAIL)) {
                parts.add(n + " " + s);
            }
        }
        return String.join(", ", parts);
    }

    /** Prints the table, the findings and the summary (table), or closes the JSON (summary to {@code err}). */
    void finish(PrintWriter err) {
        if (json != null) {
            json.close();
            err.println("kiln: " + summary());
            err.flush();
            return;
        }
        table.print(out);
        if (!findings.isEmpty()) {
            out.println();
            out.println("Findings:");
            findings.forEach(out::println);
        }
        out.println();
        out.println(summary());
        out.flush();
    }
}
