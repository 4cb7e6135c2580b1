package dev.kiln.cli.bringup;

import dev.kiln.cli.db.PowerTimeline;
import dev.kiln.cli.db.ResultsDb;
import dev.kiln.cli.db.StageEvent;
import dev.kiln.cli.fleet.FleetNode;
import dev.kiln.cli.fleet.FleetPower;
import dev.kiln.cli.fleet.PowerBudget;
import dev.kiln.cli.fleet.SpecRef;
import dev.kiln.nvml.sim.Fault;
import dev.kiln.nvml.sim.FaultPlan;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/** Rollouts for the engine tests: fleets of simulated HGX H100 nodes, settings, and the recorded-power check. */
final class Rollouts {
    static final SpecRef H100 = SpecRef.resolve("hgx-h100", Path.of("."));
    static final StageTimes TIMES = StageTimes.defaults(Duration.ofSeconds(1));

    private Rollouts() {
    }

    static String name(int i) {
        return String.format("node-%03d", i);
    }

    static String rack(int i, int perRack) {
        return String.format("rack-%02d", (i - 1) / perRack + 1);
    }

    static List<String> names(int n) {
        List<String> out = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            out.add(name(i));
        }
        return out;
    }

    static List<BringupEngine.Target> targets(int n, int perRack) {
        List<BringupEngine.Target> out = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            FleetNode fn = new FleetNode(name(i), rack(i, perRack), "127.0.0.1:9", "127.0.0.1", 9, "token", i, H100);
            out.add(new BringupEngine.Target(fn, H100, new PlanNode(fn.name(), fn.rack(),
                    PowerModel.estimate(H100.spec(), null), TIMES)));
        }
        return out;
    }

    static FaultPlan.Rule on(String node, Fault f) {
        return new FaultPlan.Rule(Optional.of(node), Optional.empty(), f, 0);
    }

    /** Fast timings for a fake fleet: polls every 20 ms, two reachable tries 50 ms apart. */
    static BringupEngine.Settings settings(Path runDir, Limits limits) {
        return BringupEngine.Settings.of(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1), limits,
                        runDir).withTimings(Duration.ofMillis(20), Duration.ofMinutes(2), Duration.ofSeconds(30), 2,
                        Duration.ofMillis(50), Duration.ofSeconds(5))
                .withNetworkMinimum(10.0, "test minimum");
    }

    /** Records what the engine reports. */
    static final class Recorder implements BringupListener {
        final List<BringupListener.Verdict> verdicts = new CopyOnWriteArrayList<>();
        final List<BringupListener.StageChange> stages = new CopyOnWriteArrayList<>();
        final List<Hooks.Result> hooks = new CopyOnWriteArrayList<>();
        final List<String> notes = new CopyOnWriteArrayList<>();
        final List<BringupListener.Held> held = new CopyOnWriteArrayList<>();
        volatile FailureBudget.Halt halt;
        volatile RolloutSummary summary;

        @Override
        public void verdict(BringupListener.Verdict v) {
            verdicts.add(v);
        }

        @Override
        public void stage(BringupListener.StageChange c) {
            stages.add(c);
        }

        @Override
        public void hook(Hooks.Result r) {
            hooks.add(r);
        }

        @Override
        public void note(String text) {
            notes.add(text);
        }

        @Override
        public void held(BringupListener.Held h) {
            held.add(h);
        }

        @Override
        public void halted(FailureBudget.Halt h) {
            halt = h;
        }

        @Override
        public void finished(RolloutSummary s) {
            summary = s;
        }

        List<String> quarantined() {
            return verdicts.stream().filter(v -> v.outcome() == dev.kiln.cli.db.NodeVerdict.Outcome.QUARANTINED)
                    .map(BringupListener.Verdict::node).sorted().toList();
        }

        List<String> accepted() {
            return verdicts.stream().filter(v -> v.outcome() == dev.kiln.cli.db.NodeVerdict.Outcome.ACCEPTED)
                    .map(BringupListener.Verdict::node).sorted().toList();
        }

        BringupListener.Verdict verdict(String node) {
            return verdicts.stream().filter(v -> v.node().equals(node)).findFirst().orElseThrow(() ->
                    new AssertionError("no verdict for " + node));
        }
    }

    /**
     * The power check, from the recorded events alone: for each budget, {@link PowerTimeline} over the events of the
     * nodes under it gives the watts of the stages open at each instant and how many were open; every other node of
     * the rollout under the budget draws its idle watts (all nodes here have the same estimate). That sum, plus the
     * load from outside the rollout, must stay within 80% of the budget's rating at every step.
     *
     * @return the highest draw of each budget, in the budgets' order
     */
    static List<Long> assertWithinBudgets(ResultsDb db, String runId, FleetPower power,
                                          java.util.Map<String, String> rackOfNodes, long idleWatts,
                                          java.util.Map<String, Long> outside) {
        List<StageEvent> events = db.events(runId);
        List<Long> peaks = new ArrayList<>();
        for (PowerBudget b : power.budgets()) {
            Set<String> under = new java.util.HashSet<>();
            rackOfNodes.forEach((n, rack) -> {
                if (power.enclosing(rack).contains(b)) {
                    under.add(n);
                }
            });
            long limit = b.ratingWatts() * 80 / 100;
            long base = outside.getOrDefault(b.key(), 0L);
            PowerTimeline tl = PowerTimeline.of(events.stream().filter(e -> under.contains(e.node())).toList());
            long peak = base + under.size() * idleWatts;
            for (PowerTimeline.Step s : tl.steps()) {
                long draw = base + Math.round(s.watts()) + (long) (under.size() - s.running()) * idleWatts;
                assertThat(draw).as("%s at %s: %d stages open, %d nodes under it", b.id(), s.at(), s.running(),
                        under.size()).isLessThanOrEqualTo(limit);
                peak = Math.max(peak, draw);
            }
            peaks.add(peak);
        }
        return peaks;
    }
}
