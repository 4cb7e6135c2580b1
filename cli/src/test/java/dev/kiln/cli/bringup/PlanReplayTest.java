package dev.kiln.cli.bringup;

import dev.kiln.cli.fleet.FleetPower;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The replay used to check plans must itself catch a plan that breaks a rule. */
class PlanReplayTest {

    /** The plan with every node moved {@code shift} earlier (not below 0), everything else kept. */
    private static WavePlan squeezed(WavePlan plan) {
        List<WavePlan.Slot> slots = new ArrayList<>();
        for (WavePlan.Slot s : plan.schedule()) {
            Duration shift = s.start();
            slots.add(new WavePlan.Slot(s.node(), s.rack(), s.row(), s.hall(), s.wave(), Duration.ZERO,
                    s.highStart().minus(shift), s.highEnd().minus(shift), s.finish().minus(shift), s.load(),
                    s.budgets(), s.waitedFor(), s.after()));
        }
        Duration finish = slots.stream().map(WavePlan.Slot::finish).max(Duration::compareTo).orElseThrow();
        return new WavePlan(plan.limits(), slots, plan.waves(), plan.budgets(), finish, plan.criticalPath());
    }

    @Test
    void catchesAPlanOverBudget() {
        List<PlanNode> nodes = Plans.racks(1, 8, 10_000, 1_000);
        FleetPower power = new Plans.Power().rack("rack-01", 50).build();
        WavePlan plan = WavePlanner.plan(nodes, power, Limits.unlimited());
        PlanReplay.check(plan, nodes, power, Map.of(), Limits.unlimited());
        assertThatThrownBy(() -> PlanReplay.check(squeezed(plan), nodes, power, Map.of(), Limits.unlimited()))
                .isInstanceOf(AssertionError.class).hasMessageContaining("rack 'rack-01'");
    }

    @Test
    void catchesAPlanOverMaxParallelOrUnstaggered() {
        List<PlanNode> nodes = Plans.racks(2, 4, 10_000, 1_000);
        Limits limits = new Limits(3, 2, Duration.ZERO);
        WavePlan plan = WavePlanner.plan(nodes, FleetPower.NONE, limits);
        PlanReplay.check(plan, nodes, FleetPower.NONE, Map.of(), limits);
        assertThatThrownBy(() -> PlanReplay.check(squeezed(plan), nodes, FleetPower.NONE, Map.of(), limits))
                .isInstanceOf(AssertionError.class).hasMessageContaining("in flight");
        Limits staggered = new Limits(Limits.UNLIMITED, Limits.UNLIMITED, Duration.ofSeconds(5));
        WavePlan plain = WavePlanner.plan(nodes, FleetPower.NONE, Limits.unlimited());
        assertThatThrownBy(() -> PlanReplay.check(plain, nodes, FleetPower.NONE, Map.of(), staggered))
                .isInstanceOf(AssertionError.class).hasMessageContaining("gap before start");
    }
}
