package dev.kiln.cli.bringup;

import dev.kiln.cli.fleet.FleetPower;
import dev.kiln.protocol.spec.BuiltinSpecs;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.kiln.cli.bringup.Plans.node;
import static dev.kiln.cli.bringup.Plans.rack;
import static dev.kiln.cli.bringup.Plans.racks;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WavePlannerTest {

    @Test
    void withoutBudgetsOrLimitsEveryNodeStartsAtOnce() {
        List<PlanNode> nodes = racks(3, 4, 10_000, 2_000);
        WavePlan plan = WavePlanner.plan(nodes, FleetPower.NONE, Limits.unlimited());
        PlanReplay.check(plan, nodes, FleetPower.NONE, Map.of(), Limits.unlimited());
        assertThat(plan.schedule()).allSatisfy(s -> assertThat(s.start()).isZero());
        assertThat(plan.finish()).isEqualTo(Plans.TIMES.total());
        assertThat(plan.waves()).hasSize(1);
        assertThat(plan.budgets()).isEmpty();
        // Racks take turns: the first three starts are one node of each rack.
        assertThat(plan.schedule().subList(0, 3)).extracting(WavePlan.Slot::rack)
                .containsExactly("rack-01", "rack-02", "rack-03");
    }

    @Test
    void aRackBudgetCapsConcurrentBurnInsAt80PercentOfItsRating() {
        // Rack rated 50 kW: limit 40 kW. 8 nodes idle at 1 kW (8 kW); each burn-in adds 9 kW: 3 at once (35 kW).
        List<PlanNode> nodes = racks(1, 8, 10_000, 1_000);
        FleetPower power = new Plans.Power().rack("rack-01", 50).build();
        WavePlan plan = WavePlanner.plan(nodes, power, Limits.unlimited());
        PlanReplay.check(plan, nodes, power, Map.of(), Limits.unlimited());
        assertThat(plan.budgets()).singleElement().satisfies(u -> {
            assertThat(u.limitWatts()).isEqualTo(40_000);
            assertThat(u.idleWatts()).isEqualTo(8_000);
            assertThat(u.peakWatts()).isEqualTo(35_000);
            assertThat(u.nodes()).isEqualTo(8);
        });
        assertThat(plan.schedule().stream().filter(s -> s.start().isZero())).hasSize(3);
        // The fourth node waited for the power of one of the first three.
        WavePlan.Slot fourth = plan.schedule().get(3);
        assertThat(fourth.waitedFor()).contains("power: rack 'rack-01'").contains("80% of its 50.0 kW rating = 40.0 kW");
        assertThat(fourth.after()).isIn("n-01-01", "n-01-02", "n-01-03");
        assertThat(fourth.start()).isEqualTo(Plans.TIMES.before().plus(Plans.TIMES.high()));
        // 8 nodes, 3 at a time: three rounds of burn-in.
        assertThat(plan.waves()).hasSize(3);
    }

    @Test
    void maxParallelMaxPerRackAndStaggerHold() {
        List<PlanNode> nodes = racks(4, 6, 10_000, 1_000);
        Limits limits = new Limits(5, 2, Duration.ofSeconds(20));
        WavePlan plan = WavePlanner.plan(nodes, FleetPower.NONE, limits);
        PlanReplay.check(plan, nodes, FleetPower.NONE, Map.of(), limits);
        // Staggered: 0, 20, 40, 60, 80 s for the first five, one per rack in turn, the fifth back at rack-01.
        assertThat(plan.schedule().subList(0, 5)).extracting(s -> s.start().toSeconds())
                .containsExactly(0L, 20L, 40L, 60L, 80L);
        assertThat(plan.schedule().subList(0, 5)).extracting(WavePlan.Slot::rack)
                .containsExactly("rack-01", "rack-02", "rack-03", "rack-04", "rack-01");
        assertThat(plan.schedule().get(1).waitedFor()).startsWith("stagger: 20 s after node 'n-01-01'");
        assertThat(plan.schedule().get(5).waitedFor()).startsWith("max-parallel");
    }

    @Test
    void staggerSpacesBurnInStartsEvenWhenNodesAreReadyTogether() {
        // Starts are staggered, but nodes whose health checks take longer reach burn-in out of step: the
        // burn-in starts are staggered on their own (the replay checks both).
        List<PlanNode> nodes = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            StageTimes t = Plans.TIMES.with(Stage.HEALTH, Duration.ofSeconds(i % 2 == 0 ? 100 : 5));
            nodes.add(new PlanNode("n" + i, "rack-01", NodeLoad.of(5000, 1000, "test"), t));
        }
        Limits limits = new Limits(Limits.UNLIMITED, Limits.UNLIMITED, Duration.ofSeconds(30));
        WavePlan plan = WavePlanner.plan(nodes, FleetPower.NONE, limits);
        PlanReplay.check(plan, nodes, FleetPower.NONE, Map.of(), limits);
        // Starts 0, 30, 60 ... s; ready for burn-in 125 s (slow health) or 30 s after the start. n0 is ready at
        // 125 s but n3 took the 120 s slot: n0 burns in at 150 s.
        WavePlan.Slot n0 = plan.schedule().stream().filter(x -> x.node().equals("n0")).findFirst().orElseThrow();
        assertThat(n0.highStart()).isEqualTo(Duration.ofSeconds(150));
        assertThat(plan.schedule()).extracting(x -> x.highStart().toSeconds()).containsExactlyInAnyOrder(
                60L, 120L, 150L, 180L, 210L, 245L);
    }

    @Test
    void twoHundredNodesInTenRacksUnderRowAndHallBudgets() {
        var spec = BuiltinSpecs.get("hgx-h100");
        NodeLoad load = PowerModel.estimate(spec, null);
        assertThat(load.burninWatts()).isEqualTo(8 * 700 + 4600);
        List<PlanNode> nodes = new ArrayList<>();
        Plans.Power p = new Plans.Power().hall("hall-a", 1500).row("row-1", 900).row("row-2", 900);
        for (int r = 1; r <= 10; r++) {
            String rack = rack(r);
            p.place(rack, r <= 5 ? "row-1" : "row-2", "hall-a").rack(rack, 200);
            for (int n = 1; n <= 20; n++) {
                nodes.add(new PlanNode(String.format("gpu-%02d-%02d", r, n), rack, load, Plans.TIMES));
            }
        }
        FleetPower power = p.build();
        Limits limits = new Limits(32, 6, Duration.ofSeconds(5));
        WavePlan plan = WavePlanner.plan(nodes, power, limits);
        PlanReplay.check(plan, nodes, power, Map.of(), limits);

        assertThat(plan.schedule()).hasSize(200);
        assertThat(plan.budgets()).extracting(u -> u.budget().key())
                .startsWith("hall:hall-a", "row:row-1", "row:row-2", "rack:rack-01").hasSize(13);
        // The hall binds: limit 1200 kW, idle 200 x 5.44 kW = 1088 kW, 112 kW free = 23 burn-ins of 4.76 kW.
        WavePlan.BudgetUse hall = plan.budgets().get(0);
        assertThat(hall.limitWatts()).isEqualTo(1_200_000);
        assertThat(hall.idleWatts()).isEqualTo(200 * load.idleWatts());
        long maxConcurrent = (hall.limitWatts() - hall.idleWatts()) / load.deltaWatts();
        assertThat(hall.peakWatts()).isEqualTo(hall.idleWatts() + maxConcurrent * load.deltaWatts());
        assertThat(plan.schedule()).anySatisfy(s -> assertThat(s.waitedFor()).contains("hall 'hall-a'"));
        assertThat(plan.waves().size()).isGreaterThan(1);
        assertThat(plan.waves().stream().mapToInt(w -> w.nodes().size()).sum()).isEqualTo(200);

        // Critical path: ends with the last node to finish; each step started no earlier than the one before.
        List<WavePlan.Step> path = plan.criticalPath();
        assertThat(path.get(path.size() - 1).finish()).isEqualTo(plan.finish());
        for (int i = 1; i < path.size(); i++) {
            assertThat(path.get(i).start()).isGreaterThanOrEqualTo(path.get(i - 1).start());
        }
        assertThat(path.get(0).waitedFor()).isNull();
    }

    @Test
    void deterministic() {
        List<PlanNode> nodes = racks(5, 7, 9_000, 1_500);
        FleetPower power = new Plans.Power().hall("h", 120).place("rack-01", null, "h").place("rack-02", null, "h")
                .rack("rack-03", 30).build();
        Limits limits = new Limits(9, 3, Duration.ofSeconds(7));
        WavePlan a = WavePlanner.plan(nodes, power, limits);
        WavePlan b = WavePlanner.plan(List.copyOf(nodes), power, limits);
        assertThat(a).isEqualTo(b);
        PlanReplay.check(a, nodes, power, Map.of(), limits);
    }

    @Test
    void aBudgetSmallerThanOneNodeIsAClearError() {
        List<PlanNode> nodes = new ArrayList<>(racks(2, 2, 10_000, 1_000));
        nodes.add(node("big-1", "rack-03", 30_000, 2_000));
        FleetPower power = new Plans.Power().rack("rack-03", 20).build();
        assertThatThrownBy(() -> WavePlanner.plan(nodes, power, Limits.unlimited()))
                .isInstanceOf(InfeasiblePlanException.class)
                .hasMessageContaining("node 'big-1'")
                .hasMessageContaining("rack 'rack-03' (80% of its 20.0 kW rating = 16.0 kW)")
                .hasMessageContaining("30.0 kW")
                .hasMessageContaining("80% of a circuit's rating");
    }

    @Test
    void idleDrawOverABudgetIsAClearError() {
        List<PlanNode> nodes = racks(1, 10, 10_000, 2_000);
        FleetPower power = new Plans.Power().rack("rack-01", 20).build();
        assertThatThrownBy(() -> WavePlanner.plan(nodes, power, Limits.unlimited()))
                .isInstanceOf(InfeasiblePlanException.class)
                .hasMessageContaining("idle draw of the 10 nodes")
                .hasMessageContaining("rack 'rack-01' (80% of its 20.0 kW rating = 16.0 kW)");
    }

    @Test
    void aNodeUnderABudgetWithoutAnEstimateIsAnError() {
        List<PlanNode> nodes = List.of(node("a", "rack-01", 5000, 1000),
                new PlanNode("b", "rack-01", NodeLoad.unknown("spec x sets no host.overheadWatts"), Plans.TIMES));
        FleetPower power = new Plans.Power().rack("rack-01", 100).build();
        assertThatThrownBy(() -> WavePlanner.plan(nodes, power, Limits.unlimited()))
                .hasMessageContaining("node 'b'").hasMessageContaining("host.overheadWatts")
                .hasMessageContaining("rack 'rack-01'");
        // Without a budget over it, its draw does not matter.
        WavePlan plan = WavePlanner.plan(nodes, FleetPower.NONE, Limits.unlimited());
        assertThat(plan.schedule()).hasSize(2);
    }

    @Test
    void loadFromOutsideTheRolloutShrinksTheHeadroom() {
        List<PlanNode> nodes = racks(1, 4, 10_000, 1_000);
        FleetPower power = new Plans.Power().rack("rack-01", 50).build(); // limit 40 kW
        Map<String, Long> outside = Map.of("rack:rack-01", 20_000L);    // 20 + 4 idle: 16 kW free = 1 burn-in
        WavePlan plan = WavePlanner.plan(nodes, power, outside, Limits.unlimited());
        PlanReplay.check(plan, nodes, power, outside, Limits.unlimited());
        assertThat(plan.schedule().stream().filter(s -> s.start().isZero())).hasSize(1);
        assertThat(plan.budgets().get(0).outsideWatts()).isEqualTo(20_000);
        assertThat(plan.waves()).hasSize(4);
    }

    @Test
    void aThousandNodesPlanQuickly() {
        List<PlanNode> nodes = racks(50, 20, 10_200, 5_440);
        Plans.Power p = new Plans.Power();
        for (int h = 1; h <= 2; h++) {
            p.hall("hall-" + h, 4000);
        }
        for (int row = 1; row <= 10; row++) {
            p.row("row-" + row, 1000);
        }
        for (int r = 1; r <= 50; r++) {
            int row = (r - 1) / 5 + 1;
            p.place(rack(r), "row-" + row, "hall-" + ((row - 1) / 5 + 1)).rack(rack(r), 160);
        }
        FleetPower power = p.build();
        Limits limits = new Limits(100, 4, Duration.ofSeconds(3));
        long t0 = System.nanoTime();
        WavePlan plan = WavePlanner.plan(nodes, power, limits);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("planned 1000 nodes in " + ms + " ms, " + plan.waves().size() + " waves, finish "
                + DryRunRenderer.hms(plan.finish()));
        PlanReplay.check(plan, nodes, power, Map.of(), limits);
        assertThat(plan.schedule()).hasSize(1000);
    }
}
