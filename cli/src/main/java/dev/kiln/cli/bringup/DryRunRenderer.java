package dev.kiln.cli.bringup;

import dev.kiln.cli.fleet.PowerBudget;
import dev.kiln.cli.output.Table;
import dev.kiln.protocol.KilnJson;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code kiln bringup --dry-run}: a {@link WavePlan} as tables for people or as one JSON document
 * ({@code kind: kiln.bringup.plan}). Times are offsets from the start ({@code h:mm:ss}); with a start
 * instant, the finish is also given as a time.
 */
public final class DryRunRenderer {
    public static final String KIND = "kiln.bringup.plan";
    /** Critical-path steps the table shows (the JSON has all). */
    static final int PATH_STEPS = 8;
    /** Node names a wave row shows. */
    static final int WAVE_NAMES = 4;

    private DryRunRenderer() {
    }

    /**
     * The plan as text: a summary line, the waves (with the most loaded budget of each kind against its 80%
     * limit), the budgets, the estimated finish and the critical path; with {@code perNode}, every node's times.
     *
     * @param startAt when the rollout would start (null: finish shown as an offset only)
     */
    public static void table(WavePlan plan, PrintWriter out, boolean perNode, Instant startAt) {
        Limits l = plan.limits();
        long racks = plan.schedule().stream().map(WavePlan.Slot::rack).distinct().count();
        out.println("Bring-up plan (dry run, nothing was touched): " + plan.schedule().size() + " node"
                + (plan.schedule().size() == 1 ? "" : "s") + " in " + racks + " rack" + (racks == 1 ? "" : "s")
                + "; max-parallel " + limit(l.maxParallel()) + ", max-per-rack " + limit(l.maxPerRack()) + ", stagger "
                + Scheduler.staggerText(l.stagger()));
        if (plan.budgets().isEmpty()) {
            out.println("Power: the fleet file sets no power budget (powerKw) over these nodes; only the limits above apply.");
        } else {
            out.println("Power: continuous load planned to at most " + PowerModel.CONTINUOUS_LOAD_PERCENT
                    + "% of each circuit's rating (powerKw); a node holds its burn-in headroom from its start to "
                    + "the end of its GPU tests.");
        }
        out.println();

        Table waves = new Table("WAVE", "START", "END", "NODES", "PEAK / " + PowerModel.CONTINUOUS_LOAD_PERCENT
                + "% LIMIT (most loaded of each kind)");
        Map<String, WavePlan.BudgetUse> uses = new LinkedHashMap<>();
        for (WavePlan.BudgetUse u : plan.budgets()) {
            uses.put(u.budget().key(), u);
        }
        for (WavePlan.Wave w : plan.waves()) {
            waves.add(String.valueOf(w.number()), hms(w.start()), hms(w.end()), names(w.nodes()),
                    mostLoaded(w.peakWatts(), uses));
        }
        waves.print(out);

        if (!plan.budgets().isEmpty()) {
            out.println();
            Table budgets = new Table("BUDGET", "RATING", "LIMIT (" + PowerModel.CONTINUOUS_LOAD_PERCENT + "%)",
                    "NODES", "IDLE", "OUTSIDE", "PEAK", "AT", "USE");
            for (WavePlan.BudgetUse u : plan.budgets()) {
                budgets.add(u.budget().id(), PowerModel.kw(u.budget().ratingWatts()), PowerModel.kw(u.limitWatts()),
                        String.valueOf(u.nodes()), PowerModel.kw(u.idleWatts()),
                        u.outsideWatts() == 0 ? "" : PowerModel.kw(u.outsideWatts()), PowerModel.kw(u.peakWatts()),
                        hms(u.peakAt()), percent(u.peakWatts(), u.limitWatts()) + " of limit");
            }
            budgets.print(out);
        }

        if (perNode) {
            out.println();
            Table nodes = new Table("NODE", "RACK", "WAVE", "START", "BURN-IN", "GPU TESTS END", "FINISH", "DRAW",
                    "WAITED FOR");
            for (WavePlan.Slot s : plan.schedule()) {
                nodes.add(s.node(), s.rack(), String.valueOf(s.wave()), hms(s.start()), hms(s.highStart()),
                        hms(s.highEnd()), hms(s.finish()), s.load().known() ? PowerModel.kw(s.load().burninWatts()) : "?",
                        s.waitedFor() == null ? "" : s.waitedFor());
            }
            nodes.print(out);
        }

        out.println();
        out.println("Estimated finish: " + hms(plan.finish()) + " after the start"
                + (startAt == null ? "" : " (" + startAt.plus(plan.finish()) + " if started at " + startAt + ")")
                + "; estimates, without confirming repeats of performance findings.");
        List<WavePlan.Step> path = plan.criticalPath();
        if (!path.isEmpty()) {
            out.println("Critical path (" + path.size() + " node" + (path.size() == 1 ? "" : "s")
                    + ", each started when the one before released what it waited for):");
            int from = Math.max(0, path.size() - PATH_STEPS);
            if (from > 0) {
                out.println("  ... " + from + " earlier (-o json lists them)");
            }
            for (WavePlan.Step st : path.subList(from, path.size())) {
                out.println("  " + st.node() + "  " + hms(st.start()) + " - " + hms(st.finish())
                        + (st.waitedFor() == null ? "" : "  waited for " + st.waitedFor()));
            }
        }
        out.flush();
    }

    /** The plan as one pretty-printed JSON document. */
    public static void json(WavePlan plan, PrintWriter out, Instant startAt) {
        out.println(KilnJson.write(KilnJson.pretty(), tree(plan, startAt)));
        out.flush();
    }

    /**
     * The JSON shape: {@code kind}, {@code limits}, {@code continuousLoadPercent}, {@code finishSeconds}
     * (and {@code finishAt} with a start), {@code budgets[]}, {@code waves[]}, {@code schedule[]},
     * {@code criticalPath[]}; times in seconds from the start, power in watts; {@code null} for unknown.
     */
    public static Map<String, Object> tree(WavePlan plan, Instant startAt) {
        Map<String, Object> top = new LinkedHashMap<>();
        top.put("kind", KIND);
        top.put("dryRun", true);
        top.put("nodes", plan.schedule().size());
        Map<String, Object> limits = new LinkedHashMap<>();
        limits.put("maxParallel", plan.limits().maxParallel() == Limits.UNLIMITED ? null : plan.limits().maxParallel());
        limits.put("maxPerRack", plan.limits().maxPerRack() == Limits.UNLIMITED ? null : plan.limits().maxPerRack());
        limits.put("staggerSeconds", seconds(plan.limits().stagger()));
        top.put("limits", limits);
        top.put("continuousLoadPercent", PowerModel.CONTINUOUS_LOAD_PERCENT);
        if (startAt != null) {
            top.put("startAt", startAt.toString());
            top.put("finishAt", startAt.plus(plan.finish()).toString());
        }
        top.put("finishSeconds", seconds(plan.finish()));
        List<Object> budgets = new ArrayList<>();
        for (WavePlan.BudgetUse u : plan.budgets()) {
            PowerBudget b = u.budget();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("budget", b.key());
            m.put("scope", b.scope().word());
            m.put("name", b.name());
            m.put("ratingWatts", b.ratingWatts());
            m.put("limitWatts", u.limitWatts());
            m.put("nodes", u.nodes());
            m.put("idleWatts", u.idleWatts());
            m.put("outsideWatts", u.outsideWatts());
            m.put("peakWatts", u.peakWatts());
            m.put("peakAtSeconds", seconds(u.peakAt()));
            budgets.add(m);
        }
        top.put("budgets", budgets);
        List<Object> waves = new ArrayList<>();
        for (WavePlan.Wave w : plan.waves()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("wave", w.number());
            m.put("startSeconds", seconds(w.start()));
            m.put("endSeconds", seconds(w.end()));
            m.put("nodes", w.nodes());
            m.put("peakWatts", new LinkedHashMap<>(w.peakWatts()));
            waves.add(m);
        }
        top.put("waves", waves);
        List<Object> schedule = new ArrayList<>();
        for (WavePlan.Slot s : plan.schedule()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("node", s.node());
            m.put("rack", s.rack());
            m.put("row", s.row());
            m.put("hall", s.hall());
            m.put("wave", s.wave());
            m.put("startSeconds", seconds(s.start()));
            m.put("burninStartSeconds", seconds(s.highStart()));
            m.put("gpuTestsEndSeconds", seconds(s.highEnd()));
            m.put("finishSeconds", seconds(s.finish()));
            m.put("burninWatts", s.load().known() ? s.load().burninWatts() : null);
            m.put("idleWatts", s.load().known() ? s.load().idleWatts() : null);
            m.put("drawBasis", s.load().known() ? s.load().basis() : s.load().problem());
            m.put("budgets", s.budgets());
            m.put("waitedFor", s.waitedFor());
            m.put("after", s.after());
            schedule.add(m);
        }
        top.put("schedule", schedule);
        List<Object> path = new ArrayList<>();
        for (WavePlan.Step st : plan.criticalPath()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("node", st.node());
            m.put("startSeconds", seconds(st.start()));
            m.put("finishSeconds", seconds(st.finish()));
            m.put("waitedFor", st.waitedFor());
            path.add(m);
        }
        top.put("criticalPath", path);
        return top;
    }

    // --- formatting -----------------------------------------------------------------------------

    /** {@code 1:05:00}; hours run past 24. */
    public static String hms(Duration d) {
        long s = d.toSeconds();
        return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
    }

    private static Object seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? (Object) d.toSeconds() : (Object) (d.toMillis() / 1000.0);
    }

    private static String limit(int n) {
        return n == Limits.UNLIMITED ? "unlimited" : String.valueOf(n);
    }

    private static String names(List<String> nodes) {
        if (nodes.size() <= WAVE_NAMES) {
            return nodes.size() + ": " + String.join(", ", nodes);
        }
        return nodes.size() + ": " + String.join(", ", nodes.subList(0, WAVE_NAMES)) + ", ... " + nodes.get(nodes.size() - 1);
    }

    /** Per kind (hall, row, rack), the budget with the highest peak share of its limit during the wave. */
    private static String mostLoaded(Map<String, Long> peaks, Map<String, WavePlan.BudgetUse> uses) {
        List<String> parts = new ArrayList<>();
        for (PowerBudget.Scope scope : new PowerBudget.Scope[] {PowerBudget.Scope.RACK, PowerBudget.Scope.ROW,
                PowerBudget.Scope.HALL}) {
            WavePlan.BudgetUse best = null;
            long bestPeak = 0;
            for (Map.Entry<String, Long> e : peaks.entrySet()) {
                WavePlan.BudgetUse u = uses.get(e.getKey());
                if (u == null || u.budget().scope() != scope) {
                    continue;
                }
                if (best == null || e.getValue() * best.limitWatts() > bestPeak * u.limitWatts()) {
                    best = u;
                    bestPeak = e.getValue();
                }
            }
            if (best != null) {
                parts.add(best.budget().id() + " " + kwNumber(bestPeak) + "/" + PowerModel.kw(best.limitWatts()) + " ("
                        + percent(bestPeak, best.limitWatts()) + ")");
            }
        }
        return parts.isEmpty() ? "no budget" : String.join("; ", parts);
    }

    private static String kwNumber(long watts) {
        return String.format(Locale.ROOT, "%.1f", watts / 1000.0);
    }

    private static String percent(long part, long whole) {
        return whole <= 0 ? "-" : String.format(Locale.ROOT, "%.0f%%", Math.floor(100.0 * part / whole));
    }
}
