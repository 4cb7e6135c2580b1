package dev.kiln.cli.db;

import java.util.Objects;

/**
 * One stage of one node about to run (or be planned). {@code stage} is the stage's id as
 * {@code kiln bringup} names it ({@code reachable}, {@code inventory}, {@code health}, {@code burn-in},
 * {@code gpu-fabric}, {@code network-fabric}; stored as text, so new stages need no schema change); {@code estimatedWatts} is the node's expected draw while the stage runs, recorded
 * with the start and finish events so a power-budget check can rebuild what ran when (null: unknown).
 */
public record StageStart(String runId, String node, String rack, String stage, Double estimatedWatts) {
    public StageStart {
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(stage, "stage");
    }
}
