package dev.kiln.cli.db;

import java.util.Objects;

/**
 * How an attempt ended. {@code state} must be a finished one; {@code verdict} is the stage's own word
 * (e.g. an agent's PASS/WARN/FAIL); {@code evidenceJson} is the agent's report or job status as JSON
 * text and {@code findingsJson} the findings (JSON text), both stored as given.
 */
public record StageResult(AttemptState state, String verdict, String summary, String evidenceJson,
                          String findingsJson) {
    public StageResult {
        Objects.requireNonNull(state, "state");
        if (!state.finished()) {
            throw new IllegalArgumentException("a stage result needs a finished state, not " + state.id());
        }
    }
}
