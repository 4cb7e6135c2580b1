package dev.kiln.cli.db;

import java.time.Instant;

/**
 * Who holds a node: the run, {@code user@host (pid N)} of the process that took it, when, and until when
 * (database clock). {@code expired}: past its expiry when read, so the next {@link ResultsDb#acquire}
 * may take it over.
 */
public record Lease(String node, String runId, String holder, Instant acquiredAt, Instant expiresAt,
                   boolean expired) {
    /** For a message: "run R (alice@rack-pc (pid 4242)) until 2026-11-27T10:00:00Z". */
    public String describe() {
        return "run " + runId + " (" + holder + ") until " + expiresAt + (expired ? " (expired)" : "");
    }
}
