package dev.kiln.cli.bringup;

import dev.kiln.cli.fleet.PowerBudget;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A rollout's schedule as {@link WavePlanner} estimates it; all times are offsets from the rollout's start.
 *
 * @param limits       the limits it was planned with
 * @param schedule     every node, in start order
 * @param waves        the nodes grouped into waves ({@link Wave})
 * @param budgets      every budget in play, halls first, then rows, then racks
 * @param finish       when the last node is expected to finish
 * @param criticalPath the chain of nodes that sets the finish, first to last: each started when the one before
 *                     it released what it waited for (a slot, power, or the stagger after its start)
 */
public record WavePlan(Limits limits, List<Slot> schedule, List<Wave> waves, List<BudgetUse> budgets,
                       Duration finish, List<Step> criticalPath) {
    public WavePlan {
        schedule = List.copyOf(schedule);
        waves = List.copyOf(waves);
        budgets = List.copyOf(budgets);
        criticalPath = List.copyOf(criticalPath);
    }

    /**
     * One node's place in the plan.
     *
     * @param highStart when its burn-in starts (after the stagger since the previous one); equals
     *                  {@code highEnd} when it has no high-power stage
     * @param highEnd   when its high-power stages end and its headroom goes back
     * @param budgets   keys of the budgets enclosing it ({@code rack:rack-01}), those in play
     * @param waitedFor what held its start back (null: nothing, it started at once)
     * @param after     the node whose release (or start, for the stagger) let it start; null for none
     */
    public record Slot(String node, String rack, String row, String hall, int wave, Duration start, Duration highStart,
                       Duration highEnd, Duration finish, NodeLoad load, List<String> budgets, String waitedFor,
                       String after) {
        public Slot {
            budgets = List.copyOf(budgets);
        }
    }

    /**
     * A wave: nodes that start before any node of the wave releases its power or slot. Wave 1 is every node that
     * starts before the first node of the rollout releases anything; wave k+1 begins at the first release by
     * a node of wave k. Waves overlap in time: a rolling rollout refills as capacity frees.
     *
     * @param start      its first node's start
     * @param end        its last node's finish
     * @param peakWatts  per budget key, the highest estimated draw during [start, end]
     */
    public record Wave(int number, Duration start, Duration end, List<String> nodes, Map<String, Long> peakWatts) {
        public Wave {
            nodes = List.copyOf(nodes);
            peakWatts = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(peakWatts));
        }
    }

    /**
     * How a budget is used over the plan. Estimated draw at an instant: {@code outsideWatts + idleWatts} plus,
     * for each node in its high-power stages then, its burn-in draw less its idle draw.
     *
     * @param limitWatts   80% of the rating
     * @param outsideWatts nodes outside the rollout, at full draw
     * @param idleWatts    the rollout's nodes under it, idle
     * @param peakWatts    the highest estimated draw, first reached at {@code peakAt}
     */
    public record BudgetUse(PowerBudget budget, long limitWatts, long outsideWatts, long idleWatts, int nodes,
                            long peakWatts, Duration peakAt) {
    }

    /** One link of the critical path. */
    public record Step(String node, Duration start, Duration finish, String waitedFor) {
    }
}
