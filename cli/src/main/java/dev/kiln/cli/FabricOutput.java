package dev.kiln.cli;

import dev.kiln.cli.fabric.FabricAttribution;
import dev.kiln.cli.fabric.FabricPlan;
import dev.kiln.cli.fabric.Heatmap;
import dev.kiln.cli.fleet.FleetNode;
import dev.kiln.cli.output.OutputFormat;
import dev.kiln.cli.output.Table;
import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.fabric.FabricFinding;
import dev.kiln.protocol.fabric.FabricResult;
import dev.kiln.protocol.fabric.FabricTestIds;
import dev.kiln.protocol.fabric.NetworkResult;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code kiln fabric} prints at the end. Table: a row per node (job state, each test's verdict, its
 * network pairs, a note), the GPU-pair heatmap of every node whose {@code fabric.p2p} did not pass (of every
 * node with {@code --heatmaps} or {@code -v}), the slow network pairs (all of them with {@code -v}), every
 * finding, and a summary. {@code -o json}: one document with every node's results, the plan, the pairs and the
 * findings; {@code -o jsonl}: the same as one record per line.
 */
final class FabricOutput {
    static final String KIND = "kiln.fabric.run";

    private final OutputFormat format;
    private final PrintWriter out;
    private final PrintWriter err;
    private final boolean allHeatmaps;
    private final boolean allPairs;
    private final boolean colour;

    FabricOutput(OutputFormat format, PrintWriter out, PrintWriter err, boolean allHeatmaps, boolean allPairs,
                 boolean colour) {
        this.format = format;
        this.out = out;
        this.err = err;
        this.allHeatmaps = allHeatmaps;
        this.allPairs = allPairs;
        this.colour = colour;
    }

    void print(FabricReport report) {
        switch (format) {
            case table -> table(report);
            case json -> {
                write(KilnJson.pretty(), document(report));
                err.println("kiln: " + report.summary());
            }
            case jsonl -> {
                jsonl(report);
                err.println("kiln: " + report.summary());
            }
        }
        out.flush();
        err.flush();
    }

    // --- table -------------------------------------------------------------------------------------------

    private void table(FabricReport report) {
        List<String> local = report.localTests();
        List<String> headers = new ArrayList<>(List.of("NODE", "RACK", "JOB"));
        for (String t : local) {
            headers.add(shortName(t));
        }
        if (report.networkSelected) {
            headers.add("NETWORK");
        }
        headers.add("NOTE");
        Table t = new Table(headers.toArray(String[]::new));
        for (FleetNode n : report.nodes) {
            List<String> row = new ArrayList<>();
            row.add(n.name());
            row.add(n.rack());
            BurninJob j = report.local.get(n.name());
            row.add(j == null ? null : j.outcome.notQueried() ? j.outcome.name()
                    : j.status == null ? null : j.status.state().name());
            List<FabricResult> results = j == null ? List.of() : FabricReport.results(j);
            for (String test : local) {
                row.add(results.stream().filter(r -> test.equals(r.test())).map(FabricResult::verdict).findFirst()
                        .orElse(null));
            }
            if (report.networkSelected) {
                row.add(network(report, n.name()));
            }
            row.add(note(report, n));
            t.add(row.toArray(String[]::new));
        }
        t.print(out);

        for (FleetNode n : report.nodes) {
            BurninJob j = report.local.get(n.name());
            if (j == null) {
                continue;
            }
            for (FabricResult r : FabricReport.results(j)) {
                boolean show = allHeatmaps || !"PASS".equals(r.verdict()) && !"SKIP".equals(r.verdict())
                        || r.findings().stream().anyMatch(f -> FabricFinding.FAIL.equals(f.severity()));
                if (FabricTestIds.P2P.equals(r.test()) && show && (!r.pairs().isEmpty() || !r.host().isEmpty())) {
                    out.println();
                    Heatmap.render(n.name() + "  " + r.test() + " " + r.verdict()
                                    + ": GPU-to-GPU and host copy bandwidth", r.pairs(), r.host(), colour)
                            .forEach(out::println);
                }
            }
        }

        if (report.networkSelected && !report.pairs.isEmpty()) {
            pairs(report);
        } else if (report.networkSelected && report.networkNote != null) {
            out.println();
            out.println("Network: " + report.networkNote);
        }

        if (!report.findings.isEmpty()) {
            out.println();
            out.println("Findings:");
            Table f = new Table("SEVERITY", "TEST", "SUBJECT", "ENDS", "OBSERVED", "EXPECTED", "CULPRIT / ACTION");
            for (FabricAttribution.Located l : report.findings) {
                FabricFinding x = l.finding();
                f.add(x.severity(), x.test(), x.subject(), ends(l), x.observed(), x.expected(),
                        join(x.culprit(), x.action()));
            }
            f.print(out);
        }
        out.println();
        out.println(report.summary());
        out.flush();
    }

    private void pairs(FabricReport report) {
        List<FabricPair> shown = report.pairs.stream().filter(p -> allPairs || !FabricPair.MEASURED.equals(p.outcome)
                || slow(report, p)).toList();
        FabricAttribution.Threshold th = report.attribution == null ? null : report.attribution.threshold();
        out.println();
        String judged = th == null ? "" : ", judged against " + th.expected();
        if (shown.isEmpty()) {
            out.println("Network: every pair is fine (" + report.plan.describe() + judged + ")");
            return;
        }
        out.println((allPairs ? "Network pairs" : "Network pairs that are slow or did not run") + " ("
                + report.plan.describe() + judged + "):");
        Table t = new Table("ROUND", "DRIVER", "SERVER", "SEND Gbit/s", "RECEIVE Gbit/s", "RTT p50 us", "VERDICT",
                "BLAME / REASON");
        for (FabricPair p : shown) {
            NetworkResult r = p.result;
            FabricAttribution.JudgedPair j = report.judged(p);
            String verdict = switch (p.outcome) {
                case FabricPair.MEASURED -> j != null && j.slow() ? "slow" : "ok";
                case FabricPair.FAILED -> "failed";
                default -> "not run";
            };
            String note = p.reason != null ? p.reason : "";
            if (j != null && j.blame() != null) {
                note = blame(j.blame(), p) + (note.isEmpty() ? "" : "; " + note);
            }
            t.add(Integer.toString(p.round), p.driver.name(), p.server.name(), r == null ? null : num(r.sendGbps()),
                    r == null ? null : num(r.receiveGbps()), r == null ? null : num(r.rttP50Us()), verdict, note);
        }
        t.print(out);
    }

    private static String blame(String blame, FabricPair p) {
        return switch (blame) {
            case "path" -> "the path between " + p.driver.name() + " and " + p.server.name();
            case "unclear" -> "unclear: too few healthy comparisons";
            case "fabric" -> "the fabric as a whole: every pair is slow";
            default -> blame.startsWith("node ") ? "bad " + blame : blame;
        };
    }

    private static boolean slow(FabricReport report, FabricPair p) {
        FabricAttribution.JudgedPair j = report.judged(p);
        return j != null && j.slow();
    }

    /** {@code 4 ok}, {@code 3/4 slow}, {@code 2 ok, 1 not run}, or empty when it took part in none. */
    private static String network(FabricReport report, String node) {
        int total = 0;
        int slow = 0;
        int notRun = 0;
        for (FabricPair p : report.pairs) {
            if (!p.pairing.involves(node)) {
                continue;
            }
            if (FabricPair.NOT_RUN.equals(p.outcome)) {
                notRun++;
                continue;
            }
            total++;
            if (slow(report, p)) {
                slow++;
            }
        }
        if (total == 0 && notRun == 0) {
            return null;
        }
        String s = slow == 0 ? total + " ok" : slow + "/" + total + " slow";
        return notRun == 0 ? s : s + ", " + notRun + " not run";
    }

    /** Why a node could not be queried, why its job did not pass, or its first failing finding. */
    private static String note(FabricReport report, FleetNode n) {
        BurninJob j = report.local.get(n.name());
        if (j != null && j.outcome.notQueried()) {
            return j.outcome.id() + ": " + (j.error == null ? "" : j.error.message());
        }
        for (FabricPair p : report.pairs) {
            if (p.unqueried != null && p.unqueried.name().equals(n.name())) {
                return "network test " + p.label() + " not run: " + p.reason;
            }
        }
        if (report.attribution != null && report.attribution.badNodes().contains(n.name())) {
            return "network: slow with its peers (see Findings)";
        }
        for (FabricAttribution.Located l : report.findings) {
            if (n.name().equals(l.node()) && FabricAttribution.failing(l.finding())) {
                FabricFinding f = l.finding();
                return f.test() + ": " + (f.culprit() != null ? f.culprit() : f.observed());
            }
        }
        return "";
    }

    /** {@code node-003: GPU 3 (...) link 7 <-> NVSwitch ...}, or kiln's ends: {@code node-003 <-> node-011}. */
    static String ends(FabricAttribution.Located l) {
        List<String> ends = l.finding().ends();
        String joined = String.join(" <-> ", ends);
        if (l.node() == null) {
            return ends.size() <= 2 ? joined : String.join(", ", ends.subList(0, 3)) + (ends.size() > 3
                    ? ", ... (" + ends.size() + " nodes)" : "");
        }
        if (ends.isEmpty() || ends.equals(List.of(l.node()))) {
            return l.node();
        }
        return l.node() + ": " + joined;
    }

    private static String join(String culprit, String action) {
        if (culprit == null) {
            return action == null ? "" : action;
        }
        return action == null ? culprit : culprit + " -> " + action;
    }

    static String shortName(String test) {
        String s = test.startsWith("fabric.") ? test.substring("fabric.".length()) : test;
        return s.toUpperCase(Locale.ROOT);
    }

    private static String num(double v) {
        return Heatmap.fmt(v);
    }

    // --- json --------------------------------------------------------------------------------------------

    /** The {@code -o json} document. */
    static Map<String, Object> document(FabricReport report) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("kind", KIND);
        d.put("tests", report.tests);
        d.put("exitCode", report.exitCode());
        d.put("summary", report.summary());
        List<Object> nodes = new ArrayList<>();
        for (FleetNode n : report.nodes) {
            nodes.add(node(report, n));
        }
        d.put("nodes", nodes);
        d.put("plan", plan(report));
        d.put("network", network(report));
        List<Object> findings = new ArrayList<>();
        for (FabricAttribution.Located l : report.findings) {
            findings.add(finding(l));
        }
        d.put("findings", findings);
        return d;
    }

    private static Map<String, Object> node(FabricReport report, FleetNode n) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("node", n.name());
        m.put("rack", n.rack());
        m.put("address", n.address());
        m.put("outcome", report.outcome(n).id());
        BurninJob j = report.local.get(n.name());
        m.put("reachable", j == null || j.error == null || j.error.kind().reachable());
        m.put("httpStatus", j == null || j.httpStatus <= 0 ? null : j.httpStatus);
        m.put("error", j == null || j.error == null ? null : Map.of("kind", j.error.kind().id(), "message",
                j.error.message()));
        m.put("jobId", j == null ? null : j.jobId);
        m.put("jobOutcome", j == null ? null : j.outcome.id());
        m.put("state", j == null || j.status == null ? null : j.status.state());
        m.put("reason", j == null || j.status == null ? null : j.status.reason());
        m.put("results", j == null ? List.of() : FabricReport.results(j));
        return m;
    }

    private static Map<String, Object> plan(FabricReport report) {
        if (report.plan == null) {
            return null;
        }
        FabricPlan p = report.plan;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("strategy", p.strategy());
        m.put("maxParallel", p.maxParallel());
        List<Object> rounds = new ArrayList<>();
        for (List<FabricPlan.Pairing> r : p.rounds()) {
            rounds.add(r);
        }
        m.put("rounds", rounds);
        Map<String, Object> peers = new LinkedHashMap<>();
        p.peers().forEach((k, v) -> peers.put(k, List.copyOf(v)));
        m.put("peers", peers);
        return m;
    }

    private static Map<String, Object> network(FabricReport report) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("note", report.networkNote);
        FabricAttribution.Threshold th = report.attribution == null ? null : report.attribution.threshold();
        Map<String, Object> threshold = null;
        if (th != null) {
            threshold = new LinkedHashMap<>();
            threshold.put("gbps", th.gbps());
            threshold.put("source", th.source());
            threshold.put("expected", th.expected());
            threshold.put("medianGbps", th.medianGbps());
        }
        m.put("threshold", threshold);
        m.put("badNodes", report.attribution == null ? List.of() : report.attribution.badNodes());
        List<Object> pairs = new ArrayList<>();
        for (FabricPair p : report.pairs) {
            pairs.add(pair(report, p));
        }
        m.put("pairs", pairs);
        return m;
    }

    private static Map<String, Object> pair(FabricReport report, FabricPair p) {
        FabricAttribution.JudgedPair j = report.judged(p);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("round", p.round);
        m.put("driver", p.driver.name());
        m.put("server", p.server.name());
        m.put("kind", p.pairing.kind());
        m.put("outcome", p.outcome);
        m.put("gbps", j == null ? null : j.gbps());
        m.put("slow", j != null && j.slow());
        m.put("blame", j == null ? null : j.blame());
        m.put("reason", p.reason);
        m.put("jobId", p.job.jobId);
        m.put("result", p.result);
        m.put("agentResult", p.agentResult);
        return m;
    }

    private static Map<String, Object> finding(FabricAttribution.Located l) {
        FabricFinding f = l.finding();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("node", l.node());
        m.put("source", l.source());
        m.put("test", f.test());
        m.put("severity", f.severity());
        m.put("subject", f.subject());
        m.put("ends", f.ends());
        m.put("observed", f.observed());
        m.put("expected", f.expected());
        m.put("culprit", f.culprit());
        m.put("action", f.action());
        m.put("performance", f.performance());
        return m;
    }

    /** {@code -o jsonl}: a record per node, pair and finding, then the plan and summary. */
    private void jsonl(FabricReport report) {
        for (FleetNode n : report.nodes) {
            writeLine(with("node", node(report, n)));
        }
        for (FabricPair p : report.pairs) {
            writeLine(with("pair", pair(report, p)));
        }
        for (FabricAttribution.Located l : report.findings) {
            writeLine(with("finding", finding(l)));
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("kind", KIND);
        summary.put("tests", report.tests);
        summary.put("exitCode", report.exitCode());
        summary.put("summary", report.summary());
        summary.put("plan", plan(report));
        Map<String, Object> network = network(report);
        network.remove("pairs");
        summary.put("network", network);
        writeLine(with("summary", summary));
    }

    private static Map<String, Object> with(String record, Map<String, Object> fields) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("record", record);
        m.putAll(fields);
        return m;
    }

    private void writeLine(Map<String, Object> m) {
        out.println(KilnJson.write(m));
    }

    private void write(com.fasterxml.jackson.databind.ObjectMapper mapper, Object value) {
        out.println(KilnJson.write(mapper, value));
    }
}
