package dev.kiln.cli.db;

import java.util.List;
import java.util.Objects;

/**
 * A node's verdict in a run: accepted for production, or quarantined with the reasons, the recommended
 * actions and the parts to send back (RMA). A node may get several verdicts over its life (a retest in
 * a later run); {@link ResultsDb#history} lists them all.
 */
public record NodeVerdict(String runId, String node, String rack, Outcome outcome, List<String> reasons,
                          List<String> actions, List<RmaPart> rma) {
    public enum Outcome {
        ACCEPTED, QUARANTINED
    }

    /** A GPU (or other part) to return: index on the node (null if not a GPU), serial, UUID, why. */
    public record RmaPart(Integer gpuIndex, String serial, String uuid, String reason) {
    }

    public NodeVerdict {
        Objects.requireNonNull(runId, "runId");
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(outcome, "outcome");
        reasons = reasons == null ? List.of() : List.copyOf(reasons);
        actions = actions == null ? List.of() : List.copyOf(actions);
        rma = rma == null ? List.of() : List.copyOf(rma);
    }
}
