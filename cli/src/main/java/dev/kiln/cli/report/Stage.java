package dev.kiln.cli.report;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * One stage of a node's bring-up, e.g. {@code inventory}, {@code checks}, {@code burnin}, {@code fabric}.
 *
 * @param startedAt  null while PENDING (or SKIPPED without running)
 * @param finishedAt null while PENDING or RUNNING
 * @param summary    one line for a person ("8 GPUs, 2 h 0 min, all PASS"); may be null
 */
public record Stage(String name, StageState state, Instant startedAt, Instant finishedAt, String summary) {
    public Stage {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(state, "state");
    }

    /** From start to finish; null unless both are known and in order. */
    public Duration duration() {
        if (startedAt == null || finishedAt == null || finishedAt.isBefore(startedAt)) {
            return null;
        }
        return Duration.between(startedAt, finishedAt);
    }
}
