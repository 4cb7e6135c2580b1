package dev.kiln.agent.burnin;

import dev.kiln.protocol.burnin.JobState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Supervision rules on stand-in workers (shell scripts): fast, no JVM start. */
@EnabledOnOs(OS.LINUX)
class BurninSupervisorTest {
    private static final String HB = "echo '{\"type\":\"heartbeat\"}'";

    record Ended(JobState state, String reason) {
    }

    private static Ended supervise(Path dir, String script, BurninSupervisor.Timing timing, List<String> types)
            throws Exception {
        CompletableFuture<Ended> ended = new CompletableFuture<>();
        BurninSupervisor.start(List.of("sh", "-c", script), dir.resolve("worker.log"), timing,
                new BurninSupervisor.Listener() {
                    public void line(WorkerLine line) {
                        types.add(line.type());
                    }

                    public void ended(JobState state, String reason) {
                        ended.complete(new Ended(state, reason));
                    }
                });
        return ended.get(20, TimeUnit.SECONDS);
    }

    private static BurninSupervisor.Timing timing(long heartbeatMs, long deadlineMs) {
        return new BurninSupervisor.Timing(Duration.ofMillis(heartbeatMs), Duration.ofMillis(deadlineMs),
                Duration.ofMillis(500));
    }

    @Test
    void aWorkerThatGoesQuietIsKilledAsHung(@TempDir Path dir) throws Exception {
        long t0 = System.nanoTime();
        Ended e = supervise(dir, HB + "; echo not-json; exec sleep 60", timing(500, 60_000), new CopyOnWriteArrayList<>());
        assertThat(e.state()).isEqualTo(JobState.FAILED);
        assertThat(e.reason()).contains("stopped heart-beating for 500 ms (hung)");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void telemetryAloneIsNoSignOfLife(@TempDir Path dir) throws Exception {
        String telemetry = "echo '{\"type\":\"telemetry\"}'";
        Ended e = supervise(dir, HB + "; while true; do " + telemetry + "; sleep 0.05; done", timing(500, 60_000),
                new CopyOnWriteArrayList<>());
        assertThat(e.reason()).contains("hung");
    }

    @Test
    void aWorkerPastItsDeadlineIsKilledEvenIfItIgnoresSigterm(@TempDir Path dir) throws Exception {
        List<String> types = new CopyOnWriteArrayList<>();
        Ended e = supervise(dir, "trap '' TERM; while true; do " + HB + "; sleep 0.05; done", timing(5_000, 700), types);
        assertThat(e.state()).isEqualTo(JobState.FAILED);
        assertThat(e.reason()).contains("past its deadline");
        assertThat(types).contains(WorkerLine.HEARTBEAT);
    }

    @Test
    void doneThenExitZeroIsTheWorkersVerdictAndAnErrorLineIsAnError(@TempDir Path dir) throws Exception {
        assertThat(supervise(dir, HB + "; echo '{\"type\":\"done\",\"verdict\":\"PASS\"}'", timing(5_000, 60_000),
                new CopyOnWriteArrayList<>()).state()).isEqualTo(JobState.PASSED);
        Ended failed = supervise(dir, "echo '{\"type\":\"done\",\"verdict\":\"FAIL\"}'", timing(5_000, 60_000),
                new CopyOnWriteArrayList<>());
        assertThat(failed.state()).isEqualTo(JobState.FAILED);
        Ended error = supervise(dir, "echo '{\"type\":\"error\",\"message\":\"no GPUs\"}'; exit 2", timing(5_000, 60_000),
                new CopyOnWriteArrayList<>());
        assertThat(error).isEqualTo(new Ended(JobState.ERROR, "no GPUs"));
        Ended died = supervise(dir, HB + "; kill -SEGV $$", timing(5_000, 60_000), new CopyOnWriteArrayList<>());
        assertThat(died.state()).isEqualTo(JobState.FAILED);
        assertThat(died.reason()).contains("died (killed by SIGSEGV, exit status 139)");
    }
}
