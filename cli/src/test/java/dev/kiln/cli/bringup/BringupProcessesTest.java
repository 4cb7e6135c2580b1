package dev.kiln.cli.bringup;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.agent.fleet.FleetSimulator;
import dev.kiln.agent.fleet.RunningFleet;
import dev.kiln.cli.ExitCodes;
import dev.kiln.cli.Kiln;
import dev.kiln.cli.db.AttemptState;
import dev.kiln.cli.db.ResultsDb;
import dev.kiln.cli.db.RunState;
import dev.kiln.cli.db.StageAttempt;
import dev.kiln.cli.db.StageEvent;
import dev.kiln.cli.db.TestDatabases;
import dev.kiln.cli.db.VerdictRecord;
import dev.kiln.nvml.sim.FaultPlan;
import dev.kiln.nvml.sim.ServerPresets;
import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.burnin.JobStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code kiln bringup} as separate JVMs, as a technician runs it: killed with SIGKILL in the middle of burn-in and
 * resumed, and two runs with overlapping racks on one database (SQLite, and PostgreSQL when a server can be started).
 */
class BringupProcessesTest {
    @TempDir
    Path dir;
    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void killLeftovers() {
        started.forEach(Process::destroyForcibly);
    }

    private KilnProcess kiln(String name, String... args) throws Exception {
        KilnProcess p = KilnProcess.start(dir, name, args);
        started.add(p.process());
        return p;
    }

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void killNineMidBurninThenResumeLosesNothingAndRerunsNothingThatPassed() throws Exception {
        String url = "jdbc:sqlite:" + dir.resolve("kiln.db");
        try (RunningFleet fleet = FleetSimulator.start(FleetSimulator.options(4, ServerPresets.HGX_H100,
                FaultPlan.NONE, dir))) {
            KilnProcess cli = kiln("first", "bringup", "--fleet", fleet.fleetFile().toString(), "--all", "--burnin",
                    "8s", "--fabric-duration", "1s", "--network-duration", "1s", "--stagger", "0s",
                    "--min-network-gbps", "0.5", "--db", url, "--runs-dir", dir.resolve("runs").toString(),
                    "-o", "jsonl");
            // Wait until every node's burn-in job runs on its agent, as the database records it (or, on a slow
            // machine, until some do and 4 s have passed since the first: a burn-in takes 8 s).
            String runId = null;
            List<StageAttempt> atKill = List.of();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            long firstAttached = 0;
            try (ResultsDb db = ResultsDb.open(url)) {
                while (System.nanoTime() < deadline) {
                    assertThat(cli.process().isAlive()).as(cli.describe()).isTrue();
                    var runs = db.recentRuns(1);
                    if (!runs.isEmpty()) {
                        runId = runs.getFirst().id();
                        atKill = db.attempts(runId);
                        long running = atKill.stream().filter(a -> a.stage().equals("burn-in") && a.agentJobId()
                                != null && a.state() == AttemptState.RUNNING).count();
                        if (running > 0 && firstAttached == 0) {
                            firstAttached = System.nanoTime();
                        }
                        if (running == 4 || running > 0 && System.nanoTime() - firstAttached
                                > TimeUnit.SECONDS.toNanos(4)) {
                            break;
                        }
                    }
                    Thread.sleep(50);
                }
                cli.process().destroyForcibly(); // SIGKILL: no shutdown hook, no finally
                assertThat(cli.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
                atKill = db.attempts(runId);
                assertThat(db.run(runId).orElseThrow().state()).as("nobody marked it").isEqualTo(RunState.RUNNING);
            }
            List<StageAttempt> running = atKill.stream().filter(a -> a.stage().equals("burn-in")
                    && a.state() == AttemptState.RUNNING && a.agentJobId() != null).toList();
            assertThat(running).as("killed mid burn-in").isNotEmpty();
            System.err.println("killed with " + running.size() + " of 4 burn-ins running");
            for (StageAttempt a : running) {
                JobStatus job = fleet.agent(a.node()).jobs().get(a.agentJobId()).orElseThrow();
                assertThat(job.state().terminal()).as("the job outlives the CLI on " + a.node()).isFalse();
            }

            // --resume without a run id: the latest unfinished run this user started.
            Kiln.Run resumed = Kiln.run("bringup", "--resume", "--db", url, "-o", "json");
            assertThat(resumed.exitCode()).as(resumed.describe()).isZero();
            assertThat(resumed.json().get("run").asText()).isEqualTo(runId);
            assertThat(resumed.err()).contains("re-attached to job");
            try (ResultsDb db = ResultsDb.open(url)) {
                List<StageAttempt> after = db.attempts(runId);
                for (StageAttempt b : atKill) {
                    if (b.state() == AttemptState.PASSED) {
                        assertThat(after).as("%s %s passed before the kill: not rerun", b.node(), b.stage())
                                .filteredOn(a -> a.node().equals(b.node()) && a.stage().equals(b.stage())).hasSize(1);
                    }
                }
                for (StageAttempt b : running) {
                    StageAttempt now = db.attempt(b.id()).orElseThrow();
                    assertThat(now.state()).isEqualTo(AttemptState.PASSED);
                    assertThat(now.agentJobId()).as("the same job, re-attached").isEqualTo(b.agentJobId());
                    assertThat(now.evidenceJson()).contains(b.agentJobId());
                    assertThat(after).filteredOn(a -> a.node().equals(b.node()) && a.stage().equals("burn-in"))
                            .hasSize(1);
                    assertThat(fleet.agent(b.node()).jobs().list()).as("one burn-in job on " + b.node())
                            .filteredOn(j -> "burnin".equals(j.request().type())).hasSize(1);
                }
                assertThat(db.verdicts(runId)).hasSize(4).extracting(VerdictRecord::verdict)
                        .allSatisfy(v -> assertThat(v.outcome().name()).isEqualTo("ACCEPTED"));
                assertThat(db.run(runId).orElseThrow().state()).isEqualTo(RunState.FINISHED);
                assertThat(db.run(runId).orElseThrow().resumes()).isEqualTo(1);
                List<StageEvent> events = db.events(runId);
                assertThat(events).extracting(StageEvent::kind).contains("run-resumed");
                assertThat(events.stream().filter(e -> e.kind().equals("job-attached") && e.stage().equals("burn-in")))
                        .as("each burn-in job attached, and the running ones re-attached").hasSize(4 + running.size());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"sqlite", "postgresql"})
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void twoRunsWithOverlappingRacksNeverTestTheSameNode(String kind) throws Exception {
        String url = kind.equals("sqlite") ? "jdbc:sqlite:" + dir.resolve("kiln.db") : TestDatabases.postgres();
        try (RunningFleet fleet = FleetSimulator.start(new FleetSimulator.Options(6, ServerPresets.HGX_H100,
                FaultPlan.NONE, 2, 0, false, dir.resolve("fleet.yaml"), dir.resolve("kiln-token")))) {
            String[] common = {"--fleet", fleet.fleetFile().toString(), "--burnin", "1s", "--fabric-duration", "1s",
                    "--network-duration", "1s", "--stagger", "0s", "--min-network-gbps", "0.5", "--db", url,
                    "--runs-dir", dir.resolve("runs").toString(), "-o", "json"};
            KilnProcess a = kiln("a", concat(new String[]{"bringup", "--rack", "rack-01", "--rack", "rack-02"}, common));
            KilnProcess b = kiln("b", concat(new String[]{"bringup", "--rack", "rack-02", "--rack", "rack-03"}, common));
            int codeA = a.await(200);
            int codeB = b.await(200);
            assertThat(codeA).as(a.describe()).isEqualTo(ExitCodes.OK);
            assertThat(codeB).as(b.describe()).isEqualTo(ExitCodes.OK);
            JsonNode docA = KilnJson.mapper().readTree(a.stdout());
            JsonNode docB = KilnJson.mapper().readTree(b.stdout());
            try (ResultsDb db = ResultsDb.open(url)) {
                // Per node and run: from its first stage's start to its verdict. Two runs never overlap on a node.
                Map<String, List<Instant[]>> spans = new HashMap<>();
                for (JsonNode doc : List.of(docA, docB)) {
                    String run = doc.get("run").asText();
                    Map<String, Instant> first = new HashMap<>();
                    for (StageAttempt at : db.attempts(run)) {
                        first.merge(at.node(), at.startedAt(), (x, y) -> x.isBefore(y) ? x : y);
                    }
                    for (VerdictRecord v : db.verdicts(run)) {
                        spans.computeIfAbsent(v.verdict().node(), k -> new ArrayList<>())
                                .add(new Instant[]{first.get(v.verdict().node()), v.decidedAt()});
                    }
                }
                spans.forEach((node, s) -> {
                    if (s.size() == 2) {
                        boolean disjoint = !s.get(0)[0].isBefore(s.get(1)[1]) || !s.get(1)[0].isBefore(s.get(0)[1]);
                        assertThat(disjoint).as("%s tested by both runs at once: %s-%s and %s-%s", node, s.get(0)[0],
                                s.get(0)[1], s.get(1)[0], s.get(1)[1]).isTrue();
                    }
                });
                assertThat(spans.keySet()).as("every node was tested by one of them").hasSize(6);
            }
            // They ran at the same time, so rack-02's nodes went to one run and the other skipped them, naming it.
            List<String> heldA = names(docA.get("held"));
            List<String> heldB = names(docB.get("held"));
            List<String> held = new ArrayList<>(heldA);
            held.addAll(heldB);
            assertThat(held).as(a.describe() + b.describe()).containsExactlyInAnyOrder("node-003", "node-004");
            JsonNode loser = heldA.isEmpty() ? docB : docA;
            String winner = (heldA.isEmpty() ? docA : docB).get("run").asText();
            assertThat(loser.get("held").get(0).get("holder").asText()).startsWith("run " + winner + " (");
            assertThat(loser.get("summary").get("accepted").asInt()).isEqualTo(2);
            System.err.printf("%s: run %s tested rack-02, the other skipped it%n", kind, winner);
        }
    }

    private static List<String> names(JsonNode held) {
        List<String> out = new ArrayList<>();
        held.forEach(h -> out.add(h.get("node").asText()));
        return out;
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = new String[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
