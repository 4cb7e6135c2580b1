package dev.kiln.cli.bringup;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.agent.fleet.FleetSimulator;
import dev.kiln.agent.fleet.RunningFleet;
import dev.kiln.cli.ExitCodes;
import dev.kiln.cli.Kiln;
import dev.kiln.cli.db.AttemptState;
import dev.kiln.cli.db.ResultsDb;
import dev.kiln.cli.db.StageAttempt;
import dev.kiln.cli.fleet.Fleet;
import dev.kiln.cli.fleet.FleetFile;
import dev.kiln.nvml.sim.Fault;
import dev.kiln.nvml.sim.FaultPlan;
import dev.kiln.nvml.sim.ServerPresets;
import dev.kiln.protocol.KilnJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static dev.kiln.cli.bringup.Rollouts.on;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code kiln bringup} end to end over a simulated fleet: real agents over HTTP, real burn-in and fabric worker
 * processes, real TCP between agents. Faults of each kind quarantine exactly their nodes at the stage that finds
 * them; the power budgets hold in the recorded events; a faulty rack halts the rollout.
 */
class BringupFleetTest {
    @TempDir
    Path dir;

    private String[] args(Path fleetFile, String... more) {
        List<String> a = new ArrayList<>(List.of("bringup", "--fleet", fleetFile.toString(), "--burnin", "1s",
                "--fabric-duration", "1s", "--network-duration", "1s", "--min-network-gbps", "0.5",
                "--db", "jdbc:sqlite:" + dir.resolve("kiln.db"), "--runs-dir", dir.resolve("runs").toString()));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void faultsOfEachKindQuarantineExactlyTheirNodesWithinThePowerBudgets() throws Exception {
        Map<String, String> expect = new LinkedHashMap<>();
        List<FaultPlan.Rule> rules = new ArrayList<>();
        rules.add(on("node-002", new Fault.GpuMissing(5)));
        expect.put("node-002", "inventory: gpu.count FAIL");
        rules.add(on("node-004", new Fault.WorkerCrash(Duration.ofMillis(300))));
        expect.put("node-004", "burn-in: job ");
        rules.add(on("node-005", new Fault.EccUncorrectable(2, 1)));
        expect.put("node-005", "health: gpu.ecc.uncorrectable FAIL on GPU 2");
        rules.add(on("node-007", new Fault.BurninWrongResults(3)));
        expect.put("node-007", "burn-in: GPU 3");
        rules.add(on("node-008", new Fault.IbPortErrors("mlx5_3", 1, "symbol_error", 300)));
        expect.put("node-008", "gpu-fabric: fabric.rdma FAIL");
        rules.add(on("node-010", new Fault.NvlinkDegraded(5, List.of(), 0.45)));
        expect.put("node-010", "gpu-fabric: fabric.p2p FAIL");
        rules.add(on("node-011", new Fault.NicSlow(0.05)));
        expect.put("node-011", "network-fabric: ");
        expect.put("node-012", "reachable: unreachable: ");
        Set<String> faulty = new TreeSet<>(expect.keySet());
        try (RunningFleet fleet = FleetSimulator.start(FleetSimulator.options(12, ServerPresets.HGX_H100,
                new FaultPlan(rules), dir))) {
            fleet.stopNode("node-012");
            // hgx-h100: 10.2 kW in burn-in, 5.44 kW idle. Racks of 4 rated 34 kW (27.2 kW limit): one burn-in per rack.
            Path fleetFile = SimFleets.write(fleet, dir.resolve("budgeted.yaml"), "hgx-h100", 34, 0);
            Path hookLog = dir.resolve("accepted.log");
            Kiln.Run run = Kiln.run(args(fleetFile, "--all", "--max-parallel", "12", "--stagger", "0s", "-o", "jsonl",
                    "--on-accepted",
                    "echo {node} {verdict} >> " + hookLog));
            System.err.println("bringup of 12 real simulated nodes: " + run.millis() + " ms");
            assertThat(run.exitCode()).as(run.describe()).isEqualTo(ExitCodes.UNREACHABLE);

            List<JsonNode> events = run.jsonLines();
            Map<String, JsonNode> verdicts = new LinkedHashMap<>();
            events.stream().filter(e -> e.get("event").asText().equals("verdict"))
                    .forEach(e -> verdicts.put(e.get("node").asText(), e));
            assertThat(verdicts).hasSize(12);
            Set<String> quarantined = verdicts.values().stream().filter(v -> v.get("outcome").asText()
                    .equals("quarantined")).map(v -> v.get("node").asText()).collect(Collectors.toCollection(TreeSet::new));
            assertThat(quarantined).as(run.describe()).isEqualTo(faulty);
            expect.forEach((node, reason) -> assertThat(verdicts.get(node).get("reasons").get(0).asText())
                    .as(node).startsWith(reason));
            assertThat(verdicts.get("node-011").get("reasons").get(0).asText()).contains("node-011");
            JsonNode rma = verdicts.get("node-007").get("rma");
            assertThat(rma).hasSize(1);
            assertThat(rma.get(0).get("gpuIndex").asInt()).isEqualTo(3);
            assertThat(rma.get(0).get("serial").asText())
                    .isEqualTo(fleet.agent("node-007").inventory(false).gpus().get(3).serial());
            assertThat(events.getLast().get("event").asText()).isEqualTo("summary");
            assertThat(events.getLast().get("exitCode").asInt()).isEqualTo(ExitCodes.UNREACHABLE);

            String runId = events.getFirst().get("run").asText();
            try (ResultsDb db = ResultsDb.open("jdbc:sqlite:" + dir.resolve("kiln.db"))) {
                // One stage event on stdout per transition: a start and an end for every attempt.
                List<StageAttempt> attempts = db.attempts(runId);
                long stageEvents = events.stream().filter(e -> e.get("event").asText().equals("stage")
                        && !e.get("state").asText().equals("running")).count();
                assertThat(stageEvents).isEqualTo(attempts.size());
                assertThat(attempts).allSatisfy(a -> assertThat(a.state().finished()).isTrue());
                // Healthy nodes passed every stage once, each with the agent's answer as evidence.
                for (String n : List.of("node-001", "node-003", "node-006", "node-009")) {
                    assertThat(attempts).filteredOn(a -> a.node().equals(n)).extracting(StageAttempt::stage)
                            .containsExactly("reachable", "inventory", "health", "burn-in", "gpu-fabric",
                                    "network-fabric");
                    assertThat(attempts).filteredOn(a -> a.node().equals(n))
                            .allSatisfy(a -> assertThat(a.state()).isEqualTo(AttemptState.PASSED))
                            .allSatisfy(a -> assertThat(a.evidenceJson()).isNotBlank());
                }
                // The degraded NVLink's slow GPU pairs were measured twice before node-010 failed.
                assertThat(attempts).filteredOn(a -> a.node().equals("node-010") && a.stage().equals("gpu-fabric"))
                        .extracting(StageAttempt::state).containsExactly(AttemptState.FAILED, AttemptState.FAILED);
                // Power, from the recorded events.
                Fleet f = FleetFile.load(fleetFile);
                Map<String, String> rackOf = new LinkedHashMap<>();
                f.nodes().forEach(n -> rackOf.put(n.name(), n.rack()));
                long idle = PowerModel.estimate(Rollouts.H100.spec(), null).idleWatts();
                List<Long> peaks = Rollouts.assertWithinBudgets(db, runId, f.power(), rackOf, idle, Map.of());
                assertThat(peaks).as("a burn-in ran under every rack").allSatisfy(p ->
                        assertThat(p).isGreaterThan(4 * idle));
            }
            JsonNode evidence = KilnJson.mapper().readTree(dir.resolve("runs").resolve(runId).resolve("node-007.json")
                    .toFile());
            assertThat(evidence.get("outcome").asText()).isEqualTo("quarantined");
            assertThat(evidence.get("stages")).extracting(s -> s.get("stage").asText())
                    .containsExactly("reachable", "inventory", "health", "burn-in");
            assertThat(evidence.get("stages").get(3).get("evidence").get("state").asText()).isEqualTo("FAILED");
            assertThat(Files.readAllLines(dir.resolve("accepted.log"))).containsExactlyInAnyOrder(
                    "node-001 accepted", "node-003 accepted", "node-006 accepted", "node-009 accepted");
        }
    }

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void aWholeFaultyRackHaltsTheRolloutAndLeavesUnstartedNodesUntouched() throws Exception {
        // rack-02 (node-005..008): a GPU missing on every node: a systemic fault, found at the inventory stage.
        List<FaultPlan.Rule> rules = new ArrayList<>();
        for (int i = 5; i <= 8; i++) {
            rules.add(on(Rollouts.name(i), new Fault.GpuMissing(1)));
        }
        try (RunningFleet fleet = FleetSimulator.start(FleetSimulator.options(12, ServerPresets.HGX_H100,
                new FaultPlan(rules), dir))) {
            // Racks take turns, one start every 3 s: 001 005 009 002 006 010 003 007 011 004 008 012. A faulty node
            // fails its inventory about a second after its start, so when the 10th node (004) starts at 27 s, 005, 006
            // and 007 have failed: 3 of 10 started is 30%, over 20% (judged from 10 started on), and 008 and 012
            // never start.
            Kiln.Run run = Kiln.run(args(fleet.fleetFile(), "--all", "--max-parallel", "12", "--max-failure-rate",
                    "20%", "-o", "json", "--stagger", "3s"));
            assertThat(run.exitCode()).as(run.describe()).isEqualTo(ExitCodes.ROLLOUT_HALTED);
            JsonNode doc = run.json();
            assertThat(doc.get("halt").asText()).contains("3 of 10 nodes started failed (30%)")
                    .contains("--max-failure-rate 20%");
            assertThat(doc.get("notStarted")).extracting(JsonNode::asText).containsExactly("node-008", "node-012");
            Map<String, String> outcome = new LinkedHashMap<>();
            doc.get("nodes").forEach(n -> outcome.put(n.get("node").asText(), n.get("outcome").asText()));
            assertThat(outcome).containsEntry("node-005", "quarantined").containsEntry("node-006", "quarantined")
                    .containsEntry("node-007", "quarantined").doesNotContainKeys("node-008", "node-012");
            // The healthy nodes already in flight finished.
            for (String n : List.of("node-001", "node-002", "node-003", "node-004", "node-009", "node-010",
                    "node-011")) {
                assertThat(outcome).containsEntry(n, "accepted");
            }
            String runId = doc.get("run").asText();
            try (ResultsDb db = ResultsDb.open("jdbc:sqlite:" + dir.resolve("kiln.db"))) {
                assertThat(db.attempts(runId)).noneMatch(a -> a.node().equals("node-008") || a.node().equals("node-012"));
                assertThat(db.run(runId).orElseThrow().exitCode()).isEqualTo(ExitCodes.ROLLOUT_HALTED);
            }
            assertThat(fleet.agent("node-008").jobs().list()).isEmpty();
            assertThat(fleet.agent("node-012").jobs().list()).isEmpty();
            assertThat(run.err()).contains("ROLLOUT HALTED");
        }
    }
}
