package dev.kiln.cli.db;

import java.time.Duration;
import java.util.List;

/**
 * A bring-up that gets killed: for {@link ConcurrentProcessesTest}. Creates the run, passes two stages
 * of node n1, starts burn-in with agent job {@code job-42}, leases n1 and n2 for {@code ttlMs}, prints
 * READY and waits to be killed with SIGKILL.
 *
 * <p>Arguments: url runId ttlMs
 */
public final class CrashWorker {
    private CrashWorker() {
    }

    public static void main(String[] args) throws Exception {
        ResultsDb db = ResultsDb.open(args[0]);
        String runId = args[1];
        db.createRun(new NewRun(runId, ResultsDb.whoAmI(), "{\"args\":[\"bringup\"]}", "{\"nodes\":[\"n1\",\"n2\"]}"));
        for (String s : List.of("reachable", "inventory")) {
            StageAttempt a = db.startStage(new StageStart(runId, "n1", "rack-1", s, 800.0));
            db.finishStage(a.id(), new StageResult(AttemptState.PASSED, "PASS", null, "{}", "[]"));
        }
        StageAttempt burnin = db.startStage(new StageStart(runId, "n1", "rack-1", "burn-in", 5600.0));
        db.attachJob(burnin.id(), "job-42");
        db.acquire(runId, List.of("n1", "n2"), Duration.ofMillis(Long.parseLong(args[2])));
        System.out.println("READY " + ProcessHandle.current().pid());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
