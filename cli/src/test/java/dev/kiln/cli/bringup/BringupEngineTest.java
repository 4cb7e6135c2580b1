package dev.kiln.cli.bringup;

import dev.kiln.cli.ExitCodes;
import dev.kiln.cli.db.AttemptState;
import dev.kiln.cli.db.NewRun;
import dev.kiln.cli.db.NodeVerdict;
import dev.kiln.cli.db.ResultsDb;
import dev.kiln.cli.db.StageAttempt;
import dev.kiln.cli.fleet.FleetPower;
import dev.kiln.nvml.sim.Fault;
import dev.kiln.nvml.sim.FaultPlan;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static dev.kiln.cli.bringup.Rollouts.on;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The engine over a fake agent layer ({@link FakeFleet}: real simulated agents answer node info, inventories and
 * checks; jobs are played by a clock, so no worker process runs): 200-node rollouts in seconds. The same engine runs
 * against real agents over HTTP in {@link BringupFleetTest}.
 */
class BringupEngineTest {
    @TempDir
    Path dir;

    private ResultsDb db() {
        return ResultsDb.open("jdbc:sqlite:" + dir.resolve("kiln.db"));
    }

    private static BringupEngine.Rollout rollout(String runId, List<BringupEngine.Target> targets, FleetPower power) {
        return new BringupEngine.Rollout(runId, "{\"command\":\"bringup\"}", targets, List.of(), power);
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void twoHundredNodesWithFaultsOfEveryKindQuarantineExactlyTheFaultyOnes() {
        Map<String, String> expectStage = new LinkedHashMap<>();
        List<FaultPlan.Rule> rules = new ArrayList<>();
        rules.add(on("node-007", new Fault.GpuMissing(5)));
        expectStage.put("node-007", "inventory: gpu.count FAIL");
        rules.add(on("node-023", new Fault.PcieDowntrained(2, Optional.of(4), Optional.of(8))));
        expectStage.put("node-023", "inventory: gpu.pcie.link FAIL on GPU 2");
        rules.add(on("node-031", new Fault.WrongVbios(1, "96.00.00.00.01")));
        expectStage.put("node-031", "inventory: gpu.vbios FAIL on GPU 1");
        rules.add(on("node-046", new Fault.EccUncorrectable(2, 1)));
        expectStage.put("node-046", "health: gpu.ecc.uncorrectable FAIL on GPU 2");
        rules.add(on("node-058", new Fault.RemapFailure(3)));
        expectStage.put("node-058", "health: gpu.remap.failure FAIL on GPU 3");
        rules.add(on("node-077", new Fault.BurninWrongResults(3)));
        expectStage.put("node-077", "burn-in: GPU 3");
        rules.add(on("node-099", new Fault.WorkerCrash(Duration.ZERO)));
        expectStage.put("node-099", "burn-in: job ");
        rules.add(on("node-120", new Fault.NvlinkDegraded(5, List.of(), 0.4)));
        expectStage.put("node-120", "gpu-fabric: fabric.p2p FAIL GPU 5");
        rules.add(on("node-141", new Fault.IbPortErrors("mlx5_3", 1, "symbol_error", 300)));
        expectStage.put("node-141", "gpu-fabric: fabric.rdma FAIL mlx5_3 port 1");
        rules.add(on("node-163", new Fault.NicSlow(1.0)));
        expectStage.put("node-163", "network-fabric: ");
        expectStage.put("node-188", "reachable: unreachable: connection refused");
        Set<String> faulty = new TreeSet<>(expectStage.keySet());

        long t0 = System.nanoTime();
        Rollouts.Recorder rec = new Rollouts.Recorder();
        try (FakeFleet fleet = new FakeFleet(Rollouts.names(200), new FaultPlan(rules), Set.of("node-188"),
                Duration.ofMillis(100)); ResultsDb db = db()) {
            BringupEngine engine = new BringupEngine(db, fleet, rec, Rollouts.settings(dir.resolve("runs/r1"),
                    new Limits(64, Limits.UNLIMITED, Duration.ZERO)), rollout("r1", Rollouts.targets(200, 4),
                    FleetPower.NONE));
            RolloutSummary s = engine.run(false);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            System.err.printf("200-node fake rollout: %d ms, %d accepted, %d quarantined%n", ms, s.accepted(),
                    s.quarantined());

            assertThat(rec.quarantined()).as(rec.notes.toString()).containsExactlyElementsOf(faulty);
            assertThat(rec.accepted()).hasSize(200 - faulty.size()).doesNotContainAnyElementsOf(faulty);
            assertThat(s.exitCode()).as("an unreachable node: exit 4 over 3").isEqualTo(ExitCodes.UNREACHABLE);
            expectStage.forEach((node, reason) -> assertThat(rec.verdict(node).reasons()).as(node)
                    .anySatisfy(r -> assertThat(r).startsWith(reason)));
            assertThat(rec.verdict("node-188").unreachable()).isTrue();
            assertThat(rec.verdict("node-163").reasons().getFirst()).contains("node-163");
            // GPUs to RMA: the serial of the GPU that burn-in failed, and of the GPU a check failed on.
            assertThat(rec.verdict("node-077").rma()).singleElement().satisfies(p -> {
                assertThat(p.gpuIndex()).isEqualTo(3);
                assertThat(p.serial()).isEqualTo(fleet.serial("node-077", 3));
            });
            assertThat(rec.verdict("node-046").rma()).extracting(NodeVerdict.RmaPart::gpuIndex).containsExactly(2);
            assertThat(rec.verdict("node-099").rma()).as("a crashed worker names no GPU").isEmpty();
            assertThat(rec.verdict("node-099").actions()).isNotEmpty();

            // Recorded: every node's verdict, every stage of the accepted ones passed once, the evidence files.
            assertThat(db.verdicts("r1")).hasSize(200);
            Map<String, List<StageAttempt>> byNode = new HashMap<>();
            db.attempts("r1").forEach(a -> byNode.computeIfAbsent(a.node(), k -> new ArrayList<>()).add(a));
            for (String n : rec.accepted()) {
                assertThat(byNode.get(n)).as(n).extracting(StageAttempt::stage).containsExactly("reachable",
                        "inventory", "health", "burn-in", "gpu-fabric", "network-fabric");
                assertThat(byNode.get(n)).as(n).allSatisfy(a -> assertThat(a.state()).isEqualTo(AttemptState.PASSED));
            }
            assertThat(byNode.get("node-077")).filteredOn(a -> a.stage().equals("burn-in")).singleElement()
                    .satisfies(a -> {
                        assertThat(a.state()).isEqualTo(AttemptState.FAILED);
                        assertThat(a.agentJobId()).isNotNull();
                        assertThat(a.evidenceJson()).contains("\"state\":\"FAILED\"");
                    });
            // A GPU-pair bandwidth finding is confirmed by a repeat before the node fails; an error counter is not.
            assertThat(byNode.get("node-120")).filteredOn(a -> a.stage().equals("gpu-fabric"))
                    .extracting(StageAttempt::attempt, StageAttempt::state)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(1, AttemptState.FAILED),
                            org.assertj.core.groups.Tuple.tuple(2, AttemptState.FAILED));
            assertThat(byNode.get("node-141")).filteredOn(a -> a.stage().equals("gpu-fabric")).hasSize(1);
            assertThat(Files.exists(dir.resolve("runs/r1/node-077.json"))).isTrue();
            assertThat(s.ttpMedian()).isNotNull();
            assertThat(s.throughputPerHour()).isPositive();
            assertThat(db.run("r1").orElseThrow().exitCode()).isEqualTo(ExitCodes.UNREACHABLE);
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void tightPowerBudgetsAreNeverExceededInTheRecordedEvents() {
        // hgx-h100 by its spec: 10.2 kW in burn-in, 5.44 kW idle (4 racks of 4 nodes per row, 5 rows: 80 nodes).
        // Rack: 34 kW rating = 27.2 kW limit = 4 idle + one burn-in (+4.76 kW), never two.
        // Row: 16 x 5.44 = 87.0 kW idle; 115 kW rating = 92 kW limit: one burn-in per row at a time.
        // Hall: 80 idle = 435.2 kW; 560 kW rating = 448 kW: two burn-ins at once in the whole hall.
        Plans.Power p = new Plans.Power().hall("hall-a", 560);
        for (int row = 1; row <= 5; row++) {
            p.row("row-" + row, 115);
        }
        Map<String, String> rackOf = new LinkedHashMap<>();
        List<BringupEngine.Target> targets = Rollouts.targets(80, 4);
        for (BringupEngine.Target t : targets) {
            rackOf.put(t.node().name(), t.node().rack());
        }
        for (int r = 1; r <= 20; r++) {
            String rack = String.format("rack-%02d", r);
            p.place(rack, "row-" + ((r - 1) / 4 + 1), "hall-a").rack(rack, 34);
        }
        FleetPower power = p.build();
        Rollouts.Recorder rec = new Rollouts.Recorder();
        try (FakeFleet fleet = new FakeFleet(Rollouts.names(80), FaultPlan.NONE, Set.of(), Duration.ofMillis(80));
             ResultsDb db = db()) {
            BringupEngine engine = new BringupEngine(db, fleet, rec, Rollouts.settings(dir.resolve("runs/p1"),
                    new Limits(32, Limits.UNLIMITED, Duration.ZERO)), rollout("p1", targets, power));
            RolloutSummary s = engine.run(false);
            assertThat(s.exitCode()).as(rec.notes.toString()).isZero();
            assertThat(s.accepted()).isEqualTo(80);

            long idle = PowerModel.estimate(Rollouts.H100.spec(), null).idleWatts();
            List<Long> peaks = Rollouts.assertWithinBudgets(db, "p1", power, rackOf, idle, Map.of());
            // The budgets bound: the hall reached two burn-ins at once (its limit less one burn-in's headroom).
            long delta = PowerModel.estimate(Rollouts.H100.spec(), null).deltaWatts();
            assertThat(peaks.getFirst()).as("hall peak").isGreaterThan(448_000 - delta);
            // The engine's own summary replays the same events to the same peaks.
            assertThat(s.peaks()).extracting(RolloutSummary.BudgetPeak::peakWatts).containsExactlyElementsOf(peaks);
            assertThat(s.peaks()).noneMatch(RolloutSummary.BudgetPeak::over);
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void hooksRunPerVerdictWithQuotedPlaceholdersAndAFailingHookIsReportedAndRaisesTheExitCode() throws Exception {
        Path log = dir.resolve("hooks.log");
        Rollouts.Recorder rec = new Rollouts.Recorder();
        List<FaultPlan.Rule> rules = List.of(on("node-002", new Fault.EccUncorrectable(1, 1)));
        try (FakeFleet fleet = new FakeFleet(Rollouts.names(4), new FaultPlan(rules), Set.of(), Duration.ofMillis(50));
             ResultsDb db = db()) {
            BringupEngine.Settings settings = Rollouts.settings(dir.resolve("runs/h1"), new Limits(4,
                            Limits.UNLIMITED, Duration.ZERO))
                    .withHooks("echo accepted {node} {rack} {verdict} {report} >> " + log,
                            "echo 'drain failed for' {node}; exit 7", Duration.ofSeconds(10));
            RolloutSummary s = new BringupEngine(db, fleet, rec, settings, rollout("h1", Rollouts.targets(4, 4),
                    FleetPower.NONE)).run(false);
            assertThat(s.exitCode()).isEqualTo(ExitCodes.CHECK_FAILED);
            List<String> lines = Files.readAllLines(log);
            assertThat(lines).hasSize(3).anySatisfy(l -> assertThat(l).isEqualTo("accepted node-001 rack-01 accepted "
                    + dir.resolve("runs/h1/node-001.json")));
            assertThat(rec.hooks).hasSize(4);
            assertThat(s.failedHooks()).singleElement().satisfies(h -> {
                assertThat(h.node()).isEqualTo("node-002");
                assertThat(h.exitCode()).isEqualTo(7);
                assertThat(h.outputTail()).contains("drain failed for node-002");
                assertThat(h.command()).contains("'node-002'");
            });
            assertThat(db.hooks("h1")).hasSize(4).anySatisfy(h -> {
                assertThat(h.hook().node()).isEqualTo("node-002");
                assertThat(h.hook().hook()).isEqualTo(Hooks.ON_QUARANTINED);
                assertThat(h.hook().exitCode()).isEqualTo(7);
            });
        }
        assertThat(Hooks.expand("x {node} {nope}", Map.of("node", "a'b; rm -rf /"))).isEqualTo(
                "x 'a'\"'\"'b; rm -rf /' {nope}");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void nodesAnotherRunHoldsAreSkippedNotFailedAndCountAtFullDrawOutside() {
        Rollouts.Recorder rec = new Rollouts.Recorder();
        try (FakeFleet fleet = new FakeFleet(Rollouts.names(6), FaultPlan.NONE, Set.of(), Duration.ofMillis(50));
             ResultsDb db = db()) {
            db.createRun(new NewRun("other", "bob@elsewhere", null, null));
            db.acquire("other", List.of("node-002", "node-005"), Duration.ofMinutes(5));
            RolloutSummary s = new BringupEngine(db, fleet, rec, Rollouts.settings(dir.resolve("runs/l1"),
                    new Limits(6, Limits.UNLIMITED, Duration.ZERO)), rollout("l1", Rollouts.targets(6, 3),
                    FleetPower.NONE)).run(false);
            assertThat(s.exitCode()).isZero();
            assertThat(rec.accepted()).containsExactly("node-001", "node-003", "node-004", "node-006");
            assertThat(s.held()).extracting(BringupListener.Held::node).containsExactly("node-002", "node-005");
            assertThat(s.held().getFirst().holder()).startsWith("run other (");
            assertThat(fleet.touched()).doesNotContain("node-002", "node-005");
            assertThat(db.attempts("l1")).noneMatch(a -> a.node().equals("node-002") || a.node().equals("node-005"));
            assertThat(db.holder("node-002").orElseThrow().runId()).as("still the other run's").isEqualTo("other");
            assertThat(db.holder("node-001")).as("released at the end").isEmpty();
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void withTooFewPeersTheNetworkStageJudgesAgainstWhatExistsAndSaysSo() {
        // max-parallel 1: each node is alone in flight; the first has no peer, the second one, the third two.
        Rollouts.Recorder rec = new Rollouts.Recorder();
        try (FakeFleet fleet = new FakeFleet(Rollouts.names(3), FaultPlan.NONE, Set.of(), Duration.ofMillis(30));
             ResultsDb db = db()) {
            RolloutSummary s = new BringupEngine(db, fleet, rec, Rollouts.settings(dir.resolve("runs/n1"),
                    new Limits(1, Limits.UNLIMITED, Duration.ZERO)), rollout("n1", Rollouts.targets(3, 3),
                    FleetPower.NONE)).run(false);
            assertThat(s.exitCode()).isZero();
            assertThat(rec.verdict("node-001").reasons()).singleElement().satisfies(r ->
                    assertThat(r).startsWith("network-fabric: not tested: no peer"));
            assertThat(rec.verdict("node-002").reasons()).singleElement().satisfies(r ->
                    assertThat(r).startsWith("network-fabric: tested against only 1 peer (node-001)"));
            assertThat(rec.verdict("node-003").reasons()).isEmpty();
            assertThat(db.attempts("n1")).filteredOn(a -> a.node().equals("node-001") && a.stage()
                    .equals("network-fabric")).singleElement().satisfies(a ->
                    assertThat(a.state()).isEqualTo(AttemptState.SKIPPED));
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void anInterruptedRunResumesWithoutRerunningPassedStagesAndReattachesRunningJobs() throws Exception {
        Rollouts.Recorder first = new Rollouts.Recorder();
        try (FakeFleet fleet = new FakeFleet(Rollouts.names(8), FaultPlan.NONE, Set.of(), Duration.ofMillis(1500));
             ResultsDb db = db()) {
            BringupEngine.Settings settings = Rollouts.settings(dir.resolve("runs/i1"), new Limits(8,
                    Limits.UNLIMITED, Duration.ZERO));
            BringupEngine engine = new BringupEngine(db, fleet, first, settings, rollout("i1",
                    Rollouts.targets(8, 4), FleetPower.NONE));
            Thread t = Thread.ofVirtual().start(() -> engine.run(false));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (db.attempts("i1").stream().noneMatch(a -> a.stage().equals("burn-in") && a.agentJobId() != null)
                    && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(engine.interrupt("test", Duration.ofSeconds(10))).isTrue();
            t.join(10_000);
            assertThat(db.run("i1").orElseThrow().state().id()).isEqualTo("interrupted");
            List<StageAttempt> before = db.attempts("i1");
            List<StageAttempt> burnins = before.stream().filter(a -> a.stage().equals("burn-in")
                    && a.state() == AttemptState.RUNNING && a.agentJobId() != null).toList();
            assertThat(burnins).isNotEmpty();

            Rollouts.Recorder second = new Rollouts.Recorder();
            RolloutSummary s = new BringupEngine(db, fleet, second, settings, rollout("i1", Rollouts.targets(8, 4),
                    FleetPower.NONE)).run(true);
            assertThat(s.exitCode()).isZero();
            assertThat(s.accepted()).isEqualTo(8);
            List<StageAttempt> after = db.attempts("i1");
            for (StageAttempt b : before) {
                if (b.state() == AttemptState.PASSED) {
                    assertThat(after).as("%s %s passed before the stop: not rerun", b.node(), b.stage())
                            .filteredOn(a -> a.node().equals(b.node()) && a.stage().equals(b.stage())).hasSize(1);
                }
            }
            for (StageAttempt b : burnins) {
                assertThat(db.attempt(b.id()).orElseThrow()).satisfies(a -> {
                    assertThat(a.state()).isEqualTo(AttemptState.PASSED);
                    assertThat(a.agentJobId()).as("the same job, re-attached").isEqualTo(b.agentJobId());
                });
                assertThat(fleet.jobStarts.get(b.node() + "/burnin").get()).as("one burn-in job on " + b.node())
                        .isEqualTo(1);
            }
            assertThat(second.notes).anySatisfy(n -> assertThat(n).contains("re-attached to job"));
            assertThat(db.events("i1")).extracting(e -> e.kind()).contains("run-interrupted", "run-resumed");
        }
    }
}
