package dev.kiln.cli;

import dev.kiln.cli.bringup.BringupListener;
import dev.kiln.cli.bringup.DryRunRenderer;
import dev.kiln.cli.bringup.FailureBudget;
import dev.kiln.cli.bringup.Hooks;
import dev.kiln.cli.bringup.PowerModel;
import dev.kiln.cli.bringup.RolloutSummary;
import dev.kiln.cli.db.AttemptState;
import dev.kiln.cli.db.NodeVerdict;
import dev.kiln.cli.output.OutputFormat;
import dev.kiln.cli.output.Table;
import dev.kiln.protocol.KilnJson;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code kiln bringup} prints while it runs and at the end.
 *
 * <ul>
 *   <li>On a terminal (table output): a live view on stderr, redrawn about once a second like {@code kiln burnin}'s:
 *       overall progress, the current wave, the most loaded budgets, and a line per node in flight (first
 *       {@value #LIVE_LINES}) with its stage and status. Verdicts, hooks and notes print above it as they come.</li>
 *   <li>Otherwise: a line on stderr per stage end, verdict, hook and note ({@code -v}: stage starts too).</li>
 *   <li>{@code -o jsonl}: one JSON event per line on stdout as it happens: {@code run}, {@code held}, {@code stage}
 *       (every stage transition), {@code verdict}, {@code hook}, {@code halted}, {@code note}, and last {@code summary}.</li>
 *   <li>At the end: the per-node table, the GPUs to RMA and the summary on stdout (table), or one JSON document
 *       ({@code -o json}); the summary line also goes to stderr.</li>
 * </ul>
 */
final class BringupOutput implements BringupListener {
    static final int LIVE_LINES = 20;

    private final OutputFormat format;
    private final PrintWriter out;
    private final PrintWriter err;
    private final boolean live;
    private final boolean verbose;
    private int drawn;
    private Progress last;

    BringupOutput(OutputFormat format, PrintWriter out, PrintWriter err, boolean live, boolean verbose) {
        this.format = format;
        this.out = out;
        this.err = err;
        this.live = live && format == OutputFormat.table;
        this.verbose = verbose;
    }

    // --- while it runs -----------------------------------------------------------------------------

    @Override
    public void runStarted(RunStarted info) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("state", info.resumed() ? "resumed" : "started");
        e.put("run", info.runId());
        e.put("database", info.database());
        e.put("runDir", info.runDir() == null ? null : info.runDir().toString());
        e.put("nodes", info.nodes());
        e.put("alreadyDecided", info.alreadyDecided());
        e.put("held", info.held().size());
        e.put("startedBy", info.startedBy());
        event("run", e);
        line((info.resumed() ? "resuming run " : "run ") + info.runId() + ": " + info.nodes() + " node"
                + (info.nodes() == 1 ? "" : "s") + (info.alreadyDecided() > 0 ? " (" + info.alreadyDecided()
                + " already decided)" : "") + (info.held().isEmpty() ? "" : ", " + info.held().size()
                + " held by other runs") + "; results in " + info.database() + ", evidence in " + info.runDir());
    }

    @Override
    public void held(Held h) {
        event("held", Map.of("node", h.node(), "rack", h.rack(), "holder", h.holder()));
        line(h.node() + ": skipped, held by " + h.holder());
    }

    @Override
    public void stage(StageChange c) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("time", c.time());
        e.put("run", c.runId());
        e.put("node", c.node());
        e.put("rack", c.rack());
        e.put("wave", c.wave());
        e.put("stage", c.stage().id());
        e.put("attempt", c.attempt());
        e.put("state", c.state().id());
        e.put("verdict", c.verdict());
        e.put("summary", c.summary());
        e.put("jobId", c.jobId());
        e.put("watts", c.watts());
        e.put("note", c.note());
        event("stage", e);
        if (c.state() == AttemptState.RUNNING) {
            if (verbose || c.note() != null && c.note().startsWith("re-attached")) {
                line(c.node() + ": " + c.stage().id() + " " + (c.note() == null ? "started" : c.note())
                        + (c.attempt() > 1 ? " (attempt " + c.attempt() + ")" : "")
                        + (c.jobId() == null ? "" : ", job " + c.jobId()));
            }
            return;
        }
        if (!live) {
            line(c.node() + ": " + c.stage().id() + " " + c.state().id() + (c.summary() == null ? ""
                    : ": " + c.summary()));
        }
    }

    @Override
    public void verdict(Verdict v) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("time", v.time());
        e.put("run", v.runId());
        e.put("node", v.node());
        e.put("rack", v.rack());
        e.put("outcome", v.outcome().name().toLowerCase(Locale.ROOT));
        e.put("unreachable", v.unreachable());
        e.put("stage", v.stage() == null ? null : v.stage().id());
        e.put("reasons", v.reasons());
        e.put("actions", v.actions());
        e.put("rma", v.rma());
        e.put("report", v.report() == null ? null : v.report().toString());
        e.put("timeToProductionSeconds", v.timeToProduction() == null ? null : v.timeToProduction().toSeconds());
        event("verdict", e);
        if (v.outcome() == NodeVerdict.Outcome.ACCEPTED) {
            above(v.node() + ": ACCEPTED" + (v.timeToProduction() == null ? "" : " (time to production "
                    + DryRunRenderer.hms(v.timeToProduction()) + ")") + (v.reasons().isEmpty() ? ""
                    : "; " + String.join("; ", v.reasons())));
        } else {
            above(v.node() + ": QUARANTINED" + (v.stage() == null ? "" : " at " + v.stage().id()) + ": "
                    + (v.reasons().isEmpty() ? "" : v.reasons().getFirst()) + (v.reasons().size() > 1 ? " (+"
                    + (v.reasons().size() - 1) + " more)" : "") + (v.rma().isEmpty() ? "" : "; RMA "
                    + rmaText(v.rma())));
        }
    }

    @Override
    public void hook(Hooks.Result h) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("node", h.node());
        e.put("rack", h.rack());
        e.put("hook", h.hook());
        e.put("ok", h.ok());
        e.put("exitCode", h.exitCode());
        e.put("timedOut", h.timedOut());
        e.put("error", h.error());
        e.put("durationMs", h.duration().toMillis());
        e.put("outputTail", h.outputTail());
        e.put("command", h.command());
        event("hook", e);
        if (!h.ok()) {
            above(h.node() + ": WARNING: " + h.hook() + " hook failed (" + h.describe() + "): " + h.command()
                    + tailText(h.outputTail()));
        } else if (verbose) {
            above(h.node() + ": " + h.hook() + " hook ok in " + h.duration().toMillis() + " ms");
        }
    }

    @Override
    public void halted(FailureBudget.Halt halt) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("reason", halt.reason());
        e.put("failures", halt.failures());
        e.put("started", halt.started());
        e.put("failedNodes", halt.failedNodes());
        event("halted", e);
        above("ROLLOUT HALTED: " + halt.reason() + "; nodes in flight finish, no new node starts");
    }

    @Override
    public void note(String text) {
        event("note", Map.of("text", text));
        above(text);
    }

    @Override
    public void progress(Progress p) {
        last = p;
        redraw();
    }

    // --- the end -----------------------------------------------------------------------------------

    @Override
    public void finished(RolloutSummary s) {
        clearLive();
        switch (format) {
            case json -> {
                out.println(KilnJson.write(KilnJson.pretty(), document(s, true)));
                out.flush();
            }
            case jsonl -> event("summary", document(s, false));
            case table -> table(s);
        }
        err.println("kiln bringup: " + summaryLine(s));
        err.flush();
    }

    static String summaryLine(RolloutSummary s) {
        return "run " + s.runId() + ": " + s.nodes() + " node" + (s.nodes() == 1 ? "" : "s") + ": " + s.accepted()
                + " accepted, " + s.quarantined() + " quarantined" + (s.unreachable() > 0 ? " (" + s.unreachable()
                + " unreachable)" : "") + (s.held().isEmpty() ? "" : ", " + s.held().size() + " held by other runs")
                + (s.notStarted().isEmpty() ? "" : ", " + s.notStarted().size() + " not started")
                + (s.failedHooks().isEmpty() ? "" : ", " + s.failedHooks().size() + " hook" + (s.failedHooks().size()
                == 1 ? "" : "s") + " failed") + "; exit " + s.exitCode() + " (" + s.exitReason() + ")";
    }

    private void table(RolloutSummary s) {
        Table t = new Table("NODE", "RACK", "VERDICT", "AT", "TIME TO PROD", "REASON / NOTE");
        List<Verdict> sorted = new ArrayList<>(s.verdicts());
        sorted.sort(Comparator.comparing((Verdict v) -> v.outcome() == NodeVerdict.Outcome.ACCEPTED)
                .thenComparing(Verdict::node));
        for (Verdict v : sorted) {
            String at = "-";
            String reason = v.reasons().isEmpty() ? "" : v.reasons().getFirst() + (v.reasons().size() > 1 ? " (+"
                    + (v.reasons().size() - 1) + " more)" : "");
            if (v.outcome() == NodeVerdict.Outcome.QUARANTINED && !v.reasons().isEmpty()) {
                int colon = v.reasons().getFirst().indexOf(": ");
                at = colon > 0 ? v.reasons().getFirst().substring(0, colon) : "-";
            }
            t.add(v.node(), v.rack(), v.outcome().name().toLowerCase(Locale.ROOT) + (v.unreachable() ? " (unreachable)"
                    : ""), at, v.timeToProduction() == null ? "-" : DryRunRenderer.hms(v.timeToProduction()), reason);
        }
        for (Held h : s.held()) {
            t.add(h.node(), h.rack(), "held", "-", "-", "held by " + h.holder());
        }
        for (String n : s.notStarted()) {
            t.add(n, "", "not started", "-", "-", s.halt() != null ? "the rollout halted before it started" : "");
        }
        t.print(out);
        List<String[]> rma = new ArrayList<>();
        for (Verdict v : sorted) {
            for (NodeVerdict.RmaPart p : v.rma()) {
                rma.add(new String[]{v.node(), v.rack(), p.gpuIndex() == null ? "-" : "GPU " + p.gpuIndex(),
                        p.serial() == null ? "-" : p.serial(), p.reason()});
            }
        }
        if (!rma.isEmpty()) {
            out.println();
            out.println("GPUs to RMA:");
            Table r = new Table("NODE", "RACK", "GPU", "SERIAL", "REASON");
            rma.forEach(x -> r.add(x));
            r.print(out);
        }
        List<Verdict> withActions = sorted.stream().filter(v -> v.outcome() == NodeVerdict.Outcome.QUARANTINED
                && !v.actions().isEmpty()).toList();
        if (!withActions.isEmpty()) {
            out.println();
            out.println("Recommended actions:");
            for (Verdict v : withActions) {
                out.println("  " + v.node() + ": " + String.join("; ", v.actions()));
            }
        }
        out.println();
        out.println(summaryLine(s));
        if (s.ttpMedian() != null) {
            out.println("Time to production: median " + DryRunRenderer.hms(s.ttpMedian()) + ", p90 "
                    + DryRunRenderer.hms(s.ttpP90()) + ", slowest " + s.slowestNode() + " "
                    + DryRunRenderer.hms(s.ttpMax()) + "; throughput " + (s.throughputPerHour() == null ? "n/a"
                    : String.format(Locale.ROOT, "%.1f nodes/h", s.throughputPerHour())) + "; elapsed "
                    + DryRunRenderer.hms(s.elapsed()));
        }
        for (RolloutSummary.BudgetPeak p : s.peaks()) {
            out.println("Power: " + p.description() + ": peak " + PowerModel.kw(p.peakWatts()) + " ("
                    + percent(p.peakWatts(), p.limitWatts()) + " of the limit)" + (p.at() == null ? ""
                    : " at " + p.at()) + (p.over() ? "  OVER THE LIMIT" : "") + " (estimates from the recorded events)");
        }
        if (s.hooksRun() > 0 || !s.failedHooks().isEmpty()) {
            out.println("Hooks: " + s.hooksRun() + " run, " + s.failedHooks().size() + " failed");
            for (Hooks.Result h : s.failedHooks()) {
                out.println("  WARNING: " + h.node() + " " + h.hook() + ": " + h.describe() + ": " + h.command()
                        + tailText(h.outputTail()));
            }
        }
        if (s.halt() != null) {
            out.println("Halted: " + s.halt());
        }
        out.println("Evidence per node: " + s.runDir() + "/<node>.json; every stage and verdict: kiln history --node "
                + "<node>" + (s.interrupted() ? "; continue with: kiln bringup --resume " + s.runId() : ""));
        out.flush();
    }

    private static String percent(long part, long whole) {
        return whole <= 0 ? "-" : Math.round(100.0 * part / whole) + "%";
    }

    static Map<String, Object> document(RolloutSummary s, boolean withNodes) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("kind", "kiln.bringup.run");
        d.put("run", s.runId());
        d.put("exitCode", s.exitCode());
        d.put("exitReason", s.exitReason());
        d.put("interrupted", s.interrupted());
        d.put("database", s.database());
        d.put("runDir", s.runDir() == null ? null : s.runDir().toString());
        Map<String, Object> sum = new LinkedHashMap<>();
        sum.put("nodes", s.nodes());
        sum.put("accepted", s.accepted());
        sum.put("quarantined", s.quarantined());
        sum.put("unreachable", s.unreachable());
        sum.put("held", s.held().size());
        sum.put("notStarted", s.notStarted().size());
        sum.put("elapsedSeconds", s.elapsed().toSeconds());
        sum.put("timeToProductionSeconds", Map.of(
                "median", seconds(s.ttpMedian()), "p90", seconds(s.ttpP90()), "max", seconds(s.ttpMax())));
        sum.put("slowestNode", s.slowestNode());
        sum.put("throughputNodesPerHour", s.throughputPerHour());
        d.put("summary", sum);
        List<Map<String, Object>> power = new ArrayList<>();
        for (RolloutSummary.BudgetPeak p : s.peaks()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("budget", p.budget());
            m.put("ratingWatts", p.ratingWatts());
            m.put("limitWatts", p.limitWatts());
            m.put("peakWatts", p.peakWatts());
            m.put("peakAt", p.at());
            m.put("over", p.over());
            power.add(m);
        }
        d.put("power", power);
        d.put("held", s.held());
        d.put("notStarted", s.notStarted());
        d.put("halt", s.halt());
        Map<String, Object> hooks = new LinkedHashMap<>();
        hooks.put("run", s.hooksRun());
        hooks.put("failed", s.failedHooks());
        d.put("hooks", hooks);
        if (withNodes) {
            List<Map<String, Object>> nodes = new ArrayList<>();
            for (Verdict v : s.verdicts()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("node", v.node());
                m.put("rack", v.rack());
                m.put("outcome", v.outcome().name().toLowerCase(Locale.ROOT));
                m.put("unreachable", v.unreachable());
                m.put("decidedAt", v.time());
                m.put("timeToProductionSeconds", seconds(v.timeToProduction()));
                m.put("reasons", v.reasons());
                m.put("actions", v.actions());
                m.put("rma", v.rma());
                m.put("report", v.report() == null ? null : v.report().toString());
                nodes.add(m);
            }
            d.put("nodes", nodes);
        }
        return d;
    }

    private static Object seconds(Duration d) {
        return d == null ? null : d.toSeconds();
    }

    // --- plumbing ----------------------------------------------------------------------------------

    private static String rmaText(List<NodeVerdict.RmaPart> rma) {
        List<String> parts = new ArrayList<>();
        for (NodeVerdict.RmaPart p : rma) {
            parts.add("GPU " + p.gpuIndex() + (p.serial() == null ? "" : " serial " + p.serial()));
        }
        return String.join(", ", parts);
    }

    private static String tailText(String tail) {
        if (tail == null || tail.isBlank()) {
            return "";
        }
        String t = tail.strip();
        String[] lines = t.split("\n");
        String lastLines = String.join(" | ", java.util.Arrays.asList(lines).subList(Math.max(0, lines.length - 3),
                lines.length));
        return "; output: " + (lastLines.length() > 300 ? "..." + lastLines.substring(lastLines.length() - 300)
                : lastLines);
    }

    private void event(String type, Map<String, ?> fields) {
        if (format != OutputFormat.jsonl) {
            return;
        }
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("event", type);
        if (!fields.containsKey("time")) {
            e.put("time", Instant.now());
        }
        e.putAll(fields);
        out.println(KilnJson.write(KilnJson.mapper(), e));
        out.flush();
    }


    /** A progress line on stderr (not shown under the live view, which shows the same). */
    private void line(String text) {
        if (!live) {
            err.println("kiln: " + text);
            err.flush();
        } else {
            above(text);
        }
    }

    /** A line that stays: printed above the live view, which is then redrawn. */
    private void above(String text) {
        clearLive();
        err.println("kiln: " + text);
        err.flush();
        redraw();
    }

    private void clearLive() {
        if (live && drawn > 0) {
            StringBuilder b = new StringBuilder();
            b.append("\033[").append(drawn).append('A');
            for (int i = 0; i < drawn; i++) {
                b.append('\r').append("\033[K").append('\n');
            }
            b.append("\033[").append(drawn).append('A');
            err.print(b);
            err.flush();
            drawn = 0;
        }
    }

    private void redraw() {
        if (!live || last == null) {
            return;
        }
        Progress p = last;
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "bringup %s: %d/%d decided (%d accepted, %d quarantined), %d in flight, "
                        + "%d waiting to start%s; wave %d; %s%s", p.runId(), p.decided(), p.nodes(), p.accepted(),
                p.quarantined(), p.inFlight(), p.pending(), p.held() > 0 ? ", " + p.held() + " held by others" : "",
                p.wave(), DryRunRenderer.hms(p.elapsed()), p.halted() ? "  HALTED" : ""));
        List<BudgetLine> budgets = new ArrayList<>(p.budgets());
        budgets.sort(Comparator.comparingDouble((BudgetLine b) -> -(double) b.committedWatts()
                / Math.max(1, b.limitWatts())));
        if (!budgets.isEmpty()) {
            List<String> parts = new ArrayList<>();
            for (BudgetLine b : budgets.subList(0, Math.min(3, budgets.size()))) {
                parts.add(b.budget() + " " + PowerModel.kw(b.committedWatts()).replace(" kW", "") + "/"
                        + PowerModel.kw(b.limitWatts()) + " (" + percent(b.committedWatts(), b.limitWatts()) + ")");
            }
            lines.add("power held (of 80% limits): " + String.join(", ", parts));
        }
        int width = p.inFlightNodes().stream().mapToInt(n -> n.node().length()).max().orElse(4);
        for (NodeLine n : p.inFlightNodes().subList(0, Math.min(LIVE_LINES, p.inFlightNodes().size()))) {
            lines.add(String.format(Locale.ROOT, "  %-" + width + "s  %-8s w%-3d %-14s %8s  %s", n.node(), n.rack(),
                    n.wave(), n.stage() == null ? "-" : n.stage().id(), DryRunRenderer.hms(n.inStage()), n.status()));
        }
        if (p.inFlightNodes().size() > LIVE_LINES) {
            lines.add("  ... and " + (p.inFlightNodes().size() - LIVE_LINES) + " more in flight");
        }
        StringBuilder b = new StringBuilder();
        if (drawn > 0) {
            b.append("\033[").append(drawn).append('A');
        }
        for (String l : lines) {
            b.append('\r').append("\033[K").append(l).append('\n');
        }
        // Lines left over from a taller previous frame.
        for (int i = lines.size(); i < drawn; i++) {
            b.append('\r').append("\033[K").append('\n');
        }
        int extra = Math.max(0, drawn - lines.size());
        if (extra > 0) {
            b.append("\033[").append(extra).append('A');
        }
        drawn = lines.size();
        err.print(b);
        err.flush();
    }
}
