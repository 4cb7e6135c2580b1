package dev.kiln.cli.bringup;

import java.util.Objects;

/**
 * A node's estimated power draw ({@link PowerModel#estimate}), or why there is none.
 *
 * @param burninWatts what it draws in the high-power stages: its GPUs' enforced power limits plus the host overhead
 * @param idleWatts   what it draws powered on but not loaded (the rest of the rollout)
 * @param basis       how the numbers were reached, for people ({@code 8 GPUs x 700 W enforced limit (inventory) + ...})
 * @param problem     why the draw could not be estimated; null when it was
 */
public record NodeLoad(long burninWatts, long idleWatts, String basis, String problem) {
    public NodeLoad {
        if (problem == null && (burninWatts < 0 || idleWatts < 0 || idleWatts > burninWatts)) {
            throw new IllegalArgumentException("a node's draw must be 0 <= idle <= burn-in, got idle " + idleWatts
                    + " W, burn-in " + burninWatts + " W");
        }
    }

    public static NodeLoad of(long burninWatts, long idleWatts, String basis) {
        return new NodeLoad(burninWatts, idleWatts, basis, null);
    }

    /** No estimate; {@code problem} says why and what to set. */
    public static NodeLoad unknown(String problem) {
        return new NodeLoad(0, 0, null, Objects.requireNonNull(problem, "problem"));
    }

    public boolean known() {
        return problem == null;
    }

    /** What admitting the node to its high-power stages adds to a budget already carrying its idle draw. */
    public long deltaWatts() {
        return burninWatts - idleWatts;
    }
}
