package dev.kiln.cli.db;

import java.time.Duration;
import java.util.Objects;

/**
 * A hook command that ran (e.g. a site script before burn-in): which run, node and stage it belonged to
 * (node and stage may be null), its name, the command line, the exit code (null: killed or timed out),
 * the tail of its output and how long it took.
 */
public record HookRun(String runId, String node, String stage, String hook, String command, Integer exitCode,
                      String outputTail, Duration duration) {
    public HookRun {
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(hook, "hook");
        Objects.requireNonNull(command, "command");
        duration = duration == null ? Duration.ZERO : duration;
    }
}
