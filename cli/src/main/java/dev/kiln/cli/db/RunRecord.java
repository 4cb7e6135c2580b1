package dev.kiln.cli.db;

import java.time.Instant;

/**
 * A recorded run. Times are the database's clock. {@code heartbeatAt} moves with every lease renewal
 * ({@link ResultsDb#renew}), so a {@link RunState#RUNNING} run whose heartbeat is old has crashed;
 * {@code resumes} counts {@link ResultsDb#resumeRun} calls.
 */
public record RunRecord(String id, String startedBy, String argsJson, String planJson, RunState state,
                        Integer exitCode, String summary, Instant startedAt, Instant heartbeatAt,
                        Instant finishedAt, int resumes) {
}
