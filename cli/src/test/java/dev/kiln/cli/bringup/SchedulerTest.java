package dev.kiln.cli.bringup;

import dev.kiln.cli.fleet.FleetPower;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.kiln.cli.bringup.Plans.node;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The online API the live {@code kiln bringup} drives. */
class SchedulerTest {
    private static final Duration T0 = Duration.ZERO;

    private static Duration s(long seconds) {
        return Duration.ofSeconds(seconds);
    }

    @Test
    void neverAdmitsANodeOverBudgetAndFreesHeadroomWhenTheGpuTestsEnd() {
        // Limit 40 kW; idle 3 x 1 kW; each burn-in adds 15 kW: two at once (33 kW), not three (48 kW).
        List<PlanNode> nodes = List.of(node("a", "r1", 16_000, 1_000), node("b", "r1", 16_000, 1_000),
                node("c", "r1", 16_000, 1_000));
        FleetPower power = new Plans.Power().rack("r1", 50).build();
        Scheduler sch = new Scheduler(nodes, power, Map.of(), Limits.unlimited());
        assertThat(sch.nextStartable(T0)).contains("a");
        sch.started("a", T0);
        assertThat(sch.nextStartable(T0)).contains("b");
        sch.started("b", T0);
        assertThat(sch.nextStartable(T0)).isEmpty();
        assertThat(sch.waitOf("c")).hasValueSatisfying(w -> {
            assertThat(w.kind()).isEqualTo(Scheduler.WaitKind.POWER);
            assertThat(w.subject()).isEqualTo("rack:r1");
            assertThat(w.text()).contains("rack 'r1' (80% of its 50.0 kW rating = 40.0 kW) has 7.0 kW free")
                    .contains("needs 15.0 kW");
        });
        assertThatThrownBy(() -> sch.started("c", T0)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("may not start now: power: rack 'r1'");
        assertThat(sch.committedWatts()).containsEntry("rack:r1", 33_000L);

        sch.highPowerEnded("a", s(100)); // burn-in and GPU tests over: power back, slot still held
        assertThat(sch.inFlight()).isEqualTo(2);
        assertThat(sch.nextStartable(s(100))).contains("c");
        sch.started("c", s(100));
        sch.finished("a", s(200));
        sch.finished("b", s(200));
        sch.finished("c", s(300));
        assertThat(sch.done()).isTrue();
        assertThat(sch.committedWatts()).containsEntry("rack:r1", 3_000L);
    }

    @Test
    void aNodeQuarantinedBeforeItsBurnInGivesItsHeadroomBack() {
        List<PlanNode> nodes = List.of(node("a", "r1", 16_000, 1_000), node("b", "r1", 16_000, 1_000));
        FleetPower power = new Plans.Power().rack("r1", 25).build(); // 20 kW: 2 idle + one burn-in of 15
        Scheduler sch = new Scheduler(nodes, power, Map.of(), Limits.unlimited());
        sch.started("a", T0);
        assertThat(sch.nextStartable(T0)).isEmpty();
        sch.finished("a", s(30)); // failed its health checks
        assertThat(sch.nextStartable(s(30))).contains("b");
    }

    @Test
    void slotsPerRackAndRacksInTurn() {
        List<PlanNode> nodes = List.of(node("a1", "A", 1, 0), node("a2", "A", 1, 0), node("a3", "A", 1, 0),
                node("b1", "B", 1, 0), node("c1", "C", 1, 0));
        Scheduler sch = new Scheduler(nodes, FleetPower.NONE, Map.of(), new Limits(4, 2, Duration.ZERO));
        StringBuilder order = new StringBuilder();
        for (var n = sch.nextStartable(T0); n.isPresent(); n = sch.nextStartable(T0)) {
            sch.started(n.get(), T0);
            order.append(n.get()).append(' ');
        }
        assertThat(order.toString()).isEqualTo("a1 b1 c1 a2 ");
        assertThat(sch.waitOf("a3")).hasValueSatisfying(w -> assertThat(w.kind()).isEqualTo(Scheduler.WaitKind.MAX_PARALLEL));
        sch.finished("b1", s(10));
        assertThat(sch.nextStartable(s(10))).isEmpty(); // rack A already has 2 in flight
        assertThat(sch.waitOf("a3")).hasValueSatisfying(w -> {
            assertThat(w.kind()).isEqualTo(Scheduler.WaitKind.MAX_PER_RACK);
            assertThat(w.subject()).isEqualTo("A");
        });
        sch.finished("a1", s(20));
        assertThat(sch.nextStartable(s(20))).contains("a3");
    }

    @Test
    void staggerSpacesStartsAndBurnIns() {
        List<PlanNode> nodes = List.of(node("a", "r", 1, 0), node("b", "r", 1, 0), node("c", "r", 1, 0));
        Scheduler sch = new Scheduler(nodes, FleetPower.NONE, Map.of(),
                new Limits(Limits.UNLIMITED, Limits.UNLIMITED, Duration.ofSeconds(10)));
        sch.started("a", T0);
        assertThat(sch.nextStartable(s(5))).isEmpty();
        assertThat(sch.waitOf("b")).hasValueSatisfying(w -> assertThat(w.text()).isEqualTo("stagger: 10 s after node 'a'"));
        assertThat(sch.nextStartNotBefore(s(5))).isEqualTo(s(10));
        assertThat(sch.nextStartable(s(10))).contains("b");
        sch.started("b", s(10));
        // Both ready for burn-in at 60 s: b waits its 10 s.
        assertThat(sch.highPowerSlot("a", s(60))).isEqualTo(s(60));
        assertThat(sch.highPowerSlot("b", s(60))).isEqualTo(s(70));
        assertThatThrownBy(() -> sch.highPowerSlot("c", s(60))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void haltStopsStartsWithdrawSkipsANode() {
        List<PlanNode> nodes = List.of(node("a", "r", 1, 0), node("b", "r", 1, 0), node("c", "s", 1, 0));
        Scheduler sch = new Scheduler(nodes, FleetPower.NONE, Map.of(), Limits.unlimited());
        sch.withdraw("a");
        assertThat(sch.nextStartable(T0)).contains("b");
        sch.started("b", T0);
        sch.halt();
        assertThat(sch.nextStartable(T0)).isEmpty();
        assertThat(sch.waitOf("c")).hasValueSatisfying(w -> assertThat(w.kind()).isEqualTo(Scheduler.WaitKind.HALTED));
        assertThat(sch.done()).isFalse();
        sch.finished("b", s(5));
        assertThat(sch.done()).isTrue();
        assertThat(sch.pending()).isEqualTo(1);
    }

    @Test
    void misuseIsRefused() {
        Scheduler sch = new Scheduler(List.of(node("a", "r", 1, 0)), FleetPower.NONE, Map.of(), Limits.unlimited());
        assertThatThrownBy(() -> sch.finished("a", T0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> sch.started("zz", T0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not in this rollout");
        sch.started("a", T0);
        assertThatThrownBy(() -> sch.started("a", T0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> new Scheduler(List.of(node("a", "r", 1, 0), node("a", "s", 1, 0)), FleetPower.NONE,
                Map.of(), Limits.unlimited())).hasMessageContaining("twice");
    }

    @Test
    void budgetsInPlayAreOnlyThoseOverTheRollout() {
        FleetPower power = new Plans.Power().rack("r1", 50).rack("r2", 50).hall("h", 500).place("r1", null, "h").build();
        Scheduler sch = new Scheduler(List.of(node("a", "r1", 5000, 500)), power, Map.of(), Limits.unlimited());
        assertThat(sch.budgets()).extracting(b -> b.key()).containsExactly("hall:h", "rack:r1");
    }
}
