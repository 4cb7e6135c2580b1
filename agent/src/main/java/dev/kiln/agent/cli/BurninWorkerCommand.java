package dev.kiln.agent.cli;

import dev.kiln.agent.burnin.BurninWorker;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** The burn-in worker the agent starts as a child process; not for people (hidden). */
@Command(name = "burnin-worker", hidden = true, mixinStandardHelpOptions = true,
        header = "Run one burn-in job file and write its progress as JSON lines (started by the agent).",
        description = {"Reads the job file the agent wrote, runs its tests and writes heartbeat, progress, telemetry,",
                "result and done lines to stdout. The agent supervises it: a worker that dies or stops",
                "heart-beating fails its job without touching the agent."})
final class BurninWorkerCommand implements Callable<Integer> {
    @Option(names = "--job", required = true, paramLabel = "FILE", description = "The job file (JSON).")
    Path job;

    @Override
    public Integer call() {
        return BurninWorker.run(job, System.out);
    }
}
