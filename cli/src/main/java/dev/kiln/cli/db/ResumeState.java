package dev.kiln.cli.db;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * What {@code kiln bringup --resume} needs to continue a run where it stopped: the run (its plan), the
 * latest attempt of every (node, stage) it touched, the verdicts already decided and the leases it still
 * holds. Passed stages are not rerun; {@link #running()} attempts were cut off: those with an
 * {@link StageAttempt#agentJobId()} may still run on their agent and are re-attached, the others start again.
 */
public record ResumeState(RunRecord run, List<StageAttempt> latest, List<VerdictRecord> verdicts, List<Lease> leases) {
    public ResumeState {
        latest = List.copyOf(latest);
        verdicts = List.copyOf(verdicts);
        leases = List.copyOf(leases);
    }

    /** The latest attempt of that node's stage, if any. */
    public Optional<StageAttempt> latest(String node, String stage) {
        return latest.stream().filter(a -> a.node().equals(node) && a.stage().equals(stage)).findFirst();
    }

    /** Whether that node's stage has passed in this run (so it is not rerun). */
    public boolean passed(String node, String stage) {
        return latest(node, stage).map(a -> a.state() == AttemptState.PASSED).orElse(false);
    }

    /** Attempts that had started but not finished when the run stopped. */
    public List<StageAttempt> running() {
        return latest.stream().filter(a -> a.state() == AttemptState.RUNNING).toList();
    }

    /** Attempts planned but never started. */
    public List<StageAttempt> pending() {
        return latest.stream().filter(a -> a.state() == AttemptState.PENDING).toList();
    }

    public List<StageAttempt> passed() {
        return latest.stream().filter(a -> a.state() == AttemptState.PASSED).toList();
    }

    /** Nodes with a verdict in this run. */
    public Set<String> decidedNodes() {
        Set<String> nodes = new LinkedHashSet<>();
        verdicts.forEach(v -> nodes.add(v.verdict().node()));
        return nodes;
    }
}
