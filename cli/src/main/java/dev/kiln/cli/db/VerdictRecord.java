package dev.kiln.cli.db;

import java.time.Instant;

/** A stored {@link NodeVerdict} and when it was decided (database clock). */
public record VerdictRecord(long id, Instant decidedAt, NodeVerdict verdict) {
}
