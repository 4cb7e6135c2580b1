package dev.kiln.cli.bringup;

import dev.kiln.cli.fleet.FleetPower;
import dev.kiln.cli.fleet.PowerBudget;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checks a plan against the rules from its raw times alone, independent of the planner's and the scheduler's
 * bookkeeping: at every instant where anything changes, the draw of every budget (outside load + every node's
 * idle + burn-in less idle for nodes in their high-power stages) is within 80% of the rating, computed here
 * from the rating; so is the headroom held from each node's start; slots and staggers hold.
 */
final class PlanReplay {
    private PlanReplay() {
    }

    /** The highest value of base + the changes, each change at its time, all changes of one instant applied together. */
    static long sweepMax(long base, List<long[]> changes) {
        List<long[]> sorted = new ArrayList<>(changes);
        sorted.sort((a, b) -> Long.compare(a[0], b[0]));
        long v = base;
        long max = base;
        int i = 0;
        while (i < sorted.size()) {
            long t = sorted.get(i)[0];
            while (i < sorted.size() && sorted.get(i)[0] == t) {
                v += sorted.get(i)[1];
                i++;
            }
            max = Math.max(max, v);
        }
        return max;
    }

    static void check(WavePlan plan, List<PlanNode> nodes, FleetPower power, Map<String, Long> outside, Limits limits) {
        Map<String, PlanNode> byName = new HashMap<>();
        nodes.forEach(n -> byName.put(n.name(), n));
        assertThat(plan.schedule()).extracting(WavePlan.Slot::node).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(byName.keySet());

        // Each node's times follow from its stage estimates.
        for (WavePlan.Slot s : plan.schedule()) {
            StageTimes t = byName.get(s.node()).times();
            assertThat(s.highStart()).as(s.node()).isGreaterThanOrEqualTo(s.start().plus(t.before()));
            assertThat(s.highEnd()).as(s.node()).isEqualTo(s.highStart().plus(t.high()));
            assertThat(s.finish()).as(s.node()).isEqualTo(s.highEnd().plus(t.after()));
            assertThat(s.finish()).isLessThanOrEqualTo(plan.finish());
        }

        for (PowerBudget b : power.budgets()) {
            long base = outside.getOrDefault(b.key(), 0L);
            List<long[]> draw = new ArrayList<>();
            List<long[]> held = new ArrayList<>();
            boolean any = false;
            for (WavePlan.Slot s : plan.schedule()) {
                PlanNode n = byName.get(s.node());
                if (!power.enclosing(n.rack()).contains(b)) {
                    continue;
                }
                any = true;
                base += n.load().idleWatts();
                long extra = n.load().burninWatts() - n.load().idleWatts();
                draw.add(new long[] {s.highStart().toMillis(), extra});
                draw.add(new long[] {s.highEnd().toMillis(), -extra});
                held.add(new long[] {s.start().toMillis(), extra});
                held.add(new long[] {s.highEnd().toMillis(), -extra});
            }
            if (!any) {
                continue;
            }
            double limit = b.ratingWatts() * 0.8;
            assertThat(sweepMax(base, draw)).as("peak draw of %s", b.id()).isLessThanOrEqualTo((long) Math.floor(limit));
            assertThat(sweepMax(base, held)).as("peak headroom held in %s", b.id()).isLessThanOrEqualTo((long) Math.floor(limit));
        }

        // Slots: in flight over [start, finish).
        List<long[]> all = new ArrayList<>();
        Map<String, List<long[]>> perRack = new HashMap<>();
        for (WavePlan.Slot s : plan.schedule()) {
            long[] in = {s.start().toMillis(), 1};
            long[] out = {s.finish().toMillis(), -1};
            all.add(in);
            all.add(out);
            perRack.computeIfAbsent(s.rack(), k -> new ArrayList<>()).addAll(List.of(in, out));
        }
        assertThat(sweepMax(0, all)).as("nodes in flight").isLessThanOrEqualTo(limits.maxParallel());
        perRack.forEach((rack, ev) -> assertThat(sweepMax(0, ev)).as("nodes in flight in %s", rack)
                .isLessThanOrEqualTo(limits.maxPerRack()));

        // Stagger between consecutive starts, and between consecutive burn-in starts.
        List<Long> starts = plan.schedule().stream().map(s -> s.start().toMillis()).sorted().toList();
        List<Long> highs = plan.schedule().stream().filter(s -> s.highEnd().compareTo(s.highStart()) > 0)
                .map(s -> s.highStart().toMillis()).sorted().toList();
        long stagger = limits.stagger().toMillis();
        for (List<Long> times : List.of(starts, highs)) {
            for (int i = 1; i < times.size(); i++) {
                assertThat(times.get(i) - times.get(i - 1)).as("gap before start %d", i).isGreaterThanOrEqualTo(stagger);
            }
        }
        assertThat(plan.finish()).isEqualTo(plan.schedule().stream().map(WavePlan.Slot::finish)
                .max(Duration::compareTo).orElse(Duration.ZERO));
    }
}
