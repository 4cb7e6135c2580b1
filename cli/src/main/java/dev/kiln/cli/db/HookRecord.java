package dev.kiln.cli.db;

import java.time.Instant;

/** A stored {@link HookRun} and when it was recorded as finished (database clock). */
public record HookRecord(long id, Instant finishedAt, HookRun hook) {
}
