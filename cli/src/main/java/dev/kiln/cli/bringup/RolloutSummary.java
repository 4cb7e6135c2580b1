package dev.kiln.cli.bringup;

import dev.kiln.cli.db.StageEvent;
import dev.kiln.cli.fleet.PowerBudget;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a rollout ended: the counts, the nodes other runs held and those never started, the time to production and
 * the throughput, the peak estimated draw of each budget rebuilt from the recorded events, and the hooks that failed.
 *
 * @param exitCode          0 every node accepted (and every hook succeeded); 3 a node quarantined or a hook failed;
 *                          4 a node unreachable; 5 halted by the failure budget; {@link BringupEngine#INTERRUPTED}
 *                          when stopped by a signal (resumable)
 * @param ttpMedian         time to production (first contact to acceptance) of the accepted nodes: median, 90th
 *                          percentile (nearest rank) and maximum; null without an accepted node
 * @param throughputPerHour accepted nodes per hour, from the run's first contact with a node to its last acceptance
 * @param peaks             each budget in play: the highest estimated draw in the recorded events
 */
public record RolloutSummary(String runId, int exitCode, String exitReason, boolean interrupted, int nodes,
                             int accepted, int quarantined, int unreachable, List<BringupListener.Held> held,
                             List<String> notStarted, String halt, Duration elapsed, Duration ttpMedian,
                             Duration ttpP90, Duration ttpMax, String slowestNode, Double throughputPerHour,
                             List<BudgetPeak> peaks, int hooksRun, List<Hooks.Result> failedHooks,
                             List<BringupListener.Verdict> verdicts, Path runDir, String database) {
    public RolloutSummary {
        held = List.copyOf(held);
        notStarted = List.copyOf(notStarted);
        peaks = List.copyOf(peaks);
        failedHooks = List.copyOf(failedHooks);
        verdicts = List.copyOf(verdicts);
    }

    /** A budget's peak: rebuilt from the events, against its 80% limit. */
    public record BudgetPeak(String budget, String description, long ratingWatts, long limitWatts, long peakWatts,
                             Instant at) {
        public boolean over() {
            return peakWatts > limitWatts;
        }
    }

    /**
     * Each budget's highest estimated draw, replayed from the run's event log (not from the scheduler's books): every
     * node of the rollout at its idle draw, nodes outside it at {@code outsideWatts}, and a node whose stage is open
     * (between its {@code stage-started} and {@code stage-finished} events) at that stage's recorded watts instead
     * of its idle draw. Events of one instant are applied together.
     *
     * @param budgetsOf each rollout node's enclosing budgets
     * @param idleOf    each rollout node's idle draw (watts)
     * @param outside   load on each budget ({@link PowerBudget#key()}) from nodes outside the rollout
     */
    public static List<BudgetPeak> replay(List<StageEvent> events, List<PowerBudget> inPlay,
                                          Map<String, List<PowerBudget>> budgetsOf, Map<String, Long> idleOf,
                                          Map<String, Long> outside) {
        Map<String, Long> current = new LinkedHashMap<>();
        for (PowerBudget b : inPlay) {
            current.put(b.key(), outside.getOrDefault(b.key(), 0L));
        }
        budgetsOf.forEach((node, bs) -> {
            for (PowerBudget b : bs) {
                current.computeIfPresent(b.key(), (k, v) -> v + idleOf.getOrDefault(node, 0L));
            }
        });
        Map<String, Long> peak = new HashMap<>(current);
        Map<String, Instant> peakAt = new HashMap<>();
        Map<Long, long[]> open = new HashMap<>(); // attempt id -> {delta}
        Map<Long, String> openNode = new HashMap<>();
        Instant at = null;
        for (int i = 0; i < events.size(); i++) {
            StageEvent e = events.get(i);
            if (e.attemptId() != null && e.node() != null && budgetsOf.containsKey(e.node())) {
                long idle = idleOf.getOrDefault(e.node(), 0L);
                if (e.kind().equals("stage-started") && !open.containsKey(e.attemptId())) {
                    long delta = e.estimatedWatts() == null ? 0 : Math.round(e.estimatedWatts()) - idle;
                    open.put(e.attemptId(), new long[]{delta});
                    openNode.put(e.attemptId(), e.node());
                    apply(current, budgetsOf.get(e.node()), delta);
                } else if (e.kind().equals("stage-finished") && open.containsKey(e.attemptId())) {
                    long delta = open.remove(e.attemptId())[0];
                    apply(current, budgetsOf.get(openNode.remove(e.attemptId())), -delta);
                }
            }
            at = e.at();
            boolean lastOfInstant = i + 1 == events.size() || !events.get(i + 1).at().equals(at);
            if (lastOfInstant) {
                for (var c : current.entrySet()) {
                    if (c.getValue() > peak.getOrDefault(c.getKey(), Long.MIN_VALUE)) {
                        peak.put(c.getKey(), c.getValue());
                        peakAt.put(c.getKey(), at);
                    }
                }
            }
        }
        List<BudgetPeak> out = new ArrayList<>();
        for (PowerBudget b : inPlay) {
            out.add(new BudgetPeak(b.key(), PowerModel.describe(b), b.ratingWatts(), PowerModel.limitWatts(b),
                    peak.getOrDefault(b.key(), 0L), peakAt.get(b.key())));
        }
        return out;
    }

    private static void apply(Map<String, Long> current, List<PowerBudget> budgets, long delta) {
        for (PowerBudget b : budgets) {
            current.computeIfPresent(b.key(), (k, v) -> v + delta);
        }
    }

    /** The value at the nearest rank {@code p} (0..1) of sorted durations. */
    static Duration percentile(List<Duration> sorted, double p) {
        if (sorted.isEmpty()) {
            return null;
        }
        int rank = (int) Math.ceil(p * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }
}
