package dev.kiln.cli.db;

import java.time.Instant;

/**
 * One attempt at one stage of one node in one run, as stored. {@code attempt} counts from 1 per (run,
 * node, stage); {@code agentJobId} is the job on the node's agent, for re-attaching after a crash;
 * {@code startedAt} is null while {@link AttemptState#PENDING}. Times are the database's clock.
 */
public record StageAttempt(long id, String runId, String node, String rack, String stage, int attempt,
                           AttemptState state, String agentJobId, Double estimatedWatts, Instant createdAt,
                           Instant startedAt, Instant finishedAt, String verdict, String summary,
                           String evidenceJson, String findingsJson) {
}
