package dev.kiln.cli.bringup;

import dev.kiln.cli.db.AttemptState;
import dev.kiln.cli.db.NodeVerdict;

import java.util.List;
import java.util.Objects;

/**
 * How one stage attempt of one node ended, as {@link BringupEngine} records it: the attempt's state and verdict,
 * a one-line summary, the agent's answer as evidence, the findings, and, for a stage that quarantines the node,
 * the reasons, the recommended actions and the GPUs to RMA.
 *
 * @param verdict     the agent's own word (PASS, WARN, FAIL, ERROR, PASSED, FAILED, ...) or kiln's
 * @param evidence    what the agent answered (a node info, an inventory and check report, a job status, the
 *                    network pairs): stored as JSON
 * @param findings    the non-passing results (check results, burn-in results, fabric findings): stored as JSON
 * @param reasons     why the node is quarantined ({@code burn-in: GPU 3 (serial ...) burnin.memory FAIL: ...});
 *                    for a passed stage, notes worth keeping with the verdict (e.g. a network test with one peer)
 * @param unreachable the stage could not be judged because the node stopped answering (exit 4, not 3)
 */
public record StageOutcome(AttemptState state, String verdict, String summary, Object evidence, List<?> findings,
                           List<String> reasons, List<String> actions, List<NodeVerdict.RmaPart> rma,
                           boolean unreachable) {
    public StageOutcome {
        Objects.requireNonNull(state, "state");
        findings = findings == null ? List.of() : List.copyOf(findings);
        reasons = reasons == null ? List.of() : List.copyOf(reasons);
        actions = actions == null ? List.of() : List.copyOf(actions);
        rma = rma == null ? List.of() : List.copyOf(rma);
    }

    public boolean passed() {
        return state == AttemptState.PASSED || state == AttemptState.SKIPPED;
    }

    /** A stage that could not run or be judged (never a pass): quarantines the node with the reason. */
    public static StageOutcome error(Stage stage, String reason, Object evidence, String action, boolean unreachable) {
        return new StageOutcome(AttemptState.ERROR, "ERROR", reason, evidence, List.of(),
                List.of(stage.id() + ": " + reason), action == null ? List.of() : List.of(action), List.of(),
                unreachable);
    }
}
