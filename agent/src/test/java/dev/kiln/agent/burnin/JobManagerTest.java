package dev.kiln.agent.burnin;

import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.ProtocolVersion;
import dev.kiln.protocol.burnin.BurninRequest;
import dev.kiln.protocol.burnin.JobState;
import dev.kiln.protocol.burnin.JobStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Jobs persisted in the state directory, and what a restart makes of them. */
class JobManagerTest {
    private static JobStatus job(String id, JobState state) {
        return new JobStatus(ProtocolVersion.SCHEMA_VERSION, JobStatus.KIND, id, "node-1",
                new BurninRequest("burnin", List.of("burnin.pcie"), List.of(0), 60, false, null), state,
                Instant.parse("2026-11-27T01:00:00Z"), Instant.parse("2026-11-27T01:00:01Z"),
                state.terminal() ? Instant.parse("2026-11-27T01:01:00Z") : null, 0.4,
                state.terminal() ? null : "burnin.pcie on GPU 0", null, List.of(), List.of());
    }

    private static JobManager manager(Path stateDir) {
        return new JobManager("node-1", Optional.of(stateDir), JobManager.Backend.cuda(), () -> {
            throw new AssertionError("no inventory needed");
        });
    }

    @Test
    void onlyTheNewestFinishedJobsAreKeptWithTheirFiles(@TempDir Path state) throws Exception {
        Path jobs = Files.createDirectories(state.resolve("jobs"));
        int n = JobManager.JOBS_KEPT + 5;
        for (int i = 0; i < n; i++) {
            String id = String.format("burnin-%03d", i);
            JobStatus s = job(id, JobState.PASSED);
            s = new JobStatus(s.schemaVersion(), s.kind(), s.id(), s.node(), s.request(), s.state(),
                    Instant.parse("2026-11-27T01:00:00Z").plusSeconds(i), s.startedAt(), s.finishedAt(), 1.0, null,
                    null, List.of(), List.of());
            Files.write(jobs.resolve(id + ".json"), KilnJson.mapper().writeValueAsBytes(s));
            Files.writeString(jobs.resolve(id + ".jsonl"), "{}\n");
            Files.writeString(jobs.resolve(id + ".worker.log"), "log\n");
        }
        JobManager m = manager(state);
        assertThat(m.list()).hasSize(JobManager.JOBS_KEPT);
        assertThat(m.get("burnin-004")).isEmpty();
        assertThat(m.get("burnin-005")).isPresent();
        for (String suffix : List.of(".json", ".jsonl", ".worker.log")) {
            assertThat(jobs.resolve("burnin-000" + suffix)).doesNotExist();
            assertThat(jobs.resolve("burnin-104" + suffix)).exists();
        }
    }

    @Test
    void aJobRunningWhenTheAgentStoppedIsInterruptedAfterARestart(@TempDir Path state) throws Exception {
        Path jobs = Files.createDirectories(state.resolve("jobs"));
        Files.write(jobs.resolve("burnin-a.json"), KilnJson.mapper().writeValueAsBytes(job("burnin-a", JobState.RUNNING)));
        Files.write(jobs.resolve("burnin-b.json"), KilnJson.mapper().writeValueAsBytes(job("burnin-b", JobState.PASSED)));
        Files.writeString(jobs.resolve("burnin-c.json"), "{truncated");
        JobManager m = manager(state);
        JobStatus a = m.get("burnin-a").orElseThrow();
        assertThat(a.state()).isEqualTo(JobState.INTERRUPTED);
        assertThat(a.reason()).isEqualTo("the agent restarted while this job ran");
        assertThat(a.finishedAt()).isNotNull();
        assertThat(a.current()).isNull();
        assertThat(m.get("burnin-b").orElseThrow().state()).isEqualTo(JobState.PASSED);
        assertThat(m.list()).extracting(JobStatus::id).containsExactly("burnin-a", "burnin-b");
        assertThat(m.notes()).singleElement().asString().contains("burnin-c.json", "unreadable");
        // The interruption is persisted: a second restart reads it as it is.
        JobStatus onDisk = KilnJson.mapper().readValue(jobs.resolve("burnin-a.json").toFile(), JobStatus.class);
        assertThat(onDisk.state()).isEqualTo(JobState.INTERRUPTED);
        assertThat(manager(state).get("burnin-a").orElseThrow().reason()).isEqualTo(a.reason());
        // Its events stream holds its final state and ends at once.
        JobManager.Subscription sub = m.subscribe("burnin-a", e -> { }, () -> { });
        assertThat(sub.ended()).isTrue();
        assertThat(sub.backlog()).singleElement().satisfies(e -> assertThat(e.type()).isEqualTo("state"));
    }

    @Test
    void workerCommandUsesThisJvmAndClassPath() {
        List<String> cmd = BurninSupervisor.workerCommand(Path.of("/tmp/j.json"));
        assertThat(cmd.getFirst()).endsWith("java");
        assertThat(cmd).containsSubsequence("-cp", System.getProperty("java.class.path"), "dev.kiln.agent.cli.AgentMain",
                "burnin-worker", "--job", "/tmp/j.json");
    }

    @Test
    void fromQuarkusFastJarTheWorkerRunsWithDashJar() {
        assertThat(BurninSupervisor.workerCommand(Path.of("/j.json"), "/usr/bin/java",
                "/opt/kiln/agent/quarkus-run.jar")).containsSubsequence("/usr/bin/java", "-jar",
                "/opt/kiln/agent/quarkus-run.jar", "burnin-worker", "--job", "/j.json").doesNotContain("-cp");
    }

    @Test
    void exitStatusesAreNamed() {
        assertThat(BurninSupervisor.describeExit(134)).isEqualTo("killed by SIGABRT, exit status 134");
        assertThat(BurninSupervisor.describeExit(3)).isEqualTo("exit status 3");
    }
}
