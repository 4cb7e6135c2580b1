package dev.kiln.cli.db;

import java.time.Instant;

/**
 * One line of the append-only event log, in {@code seq} order. Kinds: {@code run-started},
 * {@code run-resumed}, {@code run-interrupted}, {@code run-finished}, {@code stage-planned},
 * {@code stage-started}, {@code job-attached}, {@code stage-finished}, {@code verdict}, {@code hook},
 * {@code lease-takeover}. Stage events carry the node's estimated watts (the same figure on start and
 * finish) and the attempt's id, so {@link PowerTimeline} can rebuild what drew power when.
 */
public record StageEvent(long seq, Instant at, String runId, String kind, String node, String rack, String stage,
                         Integer attempt, Long attemptId, String state, Double estimatedWatts, String detail) {
}
