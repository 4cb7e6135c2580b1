package dev.kiln.cli.bringup;

import dev.kiln.cli.db.AttemptState;
import dev.kiln.cli.db.NodeVerdict;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * What {@link BringupEngine} tells its caller while a rollout runs, all on the engine's one thread: the run's start,
 * nodes held by other runs, every stage transition, every verdict and hook, a halt, a progress snapshot about once
 * a second (for a live view) and, last, the summary. Every method has a default that does nothing.
 */
public interface BringupListener {

    /** A node another run holds: skipped, not a failure. {@code holder}: {@code run br-3 (alice@pc (pid 42)) until ...}. */
    record Held(String node, String rack, String holder) {
    }

    record RunStarted(String runId, boolean resumed, String database, Path runDir, int nodes, int alreadyDecided,
                      List<Held> held, Limits limits, String startedBy) {
        public RunStarted {
            held = List.copyOf(held);
        }
    }

    /**
     * A stage of a node started, was re-attached after a resume, or ended.
     *
     * @param state  {@code running} when it starts (or is re-attached), else how it ended
     * @param watts  the node's estimated draw during the stage (null: unknown)
     * @param note   {@code re-attached to job ...}, {@code resumed}, or null
     */
    record StageChange(Instant time, String runId, String node, String rack, int wave, Stage stage, int attempt,
                       AttemptState state, String verdict, String summary, String jobId, Double watts, String note) {
    }

    /** A node's verdict. {@code unreachable}: quarantined because kiln could not reach it (exit 4). */
    record Verdict(Instant time, String runId, String node, String rack, NodeVerdict.Outcome outcome,
                   boolean unreachable, Stage stage, List<String> reasons, List<String> actions,
                   List<NodeVerdict.RmaPart> rma, Path report, Duration timeToProduction) {
        public Verdict {
            reasons = List.copyOf(reasons);
            actions = List.copyOf(actions);
            rma = List.copyOf(rma);
        }
    }

    /** One in-flight node for the live view. */
    record NodeLine(String node, String rack, int wave, Stage stage, String status, Duration inStage) {
    }

    /** A budget's estimated draw now (committed by the scheduler) against its 80% limit. */
    record BudgetLine(String budget, long committedWatts, long limitWatts) {
    }

    record Progress(String runId, Duration elapsed, int nodes, int accepted, int quarantined, int inFlight,
                    int pending, int held, int wave, boolean halted, List<NodeLine> inFlightNodes,
                    List<BudgetLine> budgets) {
        public Progress {
            inFlightNodes = List.copyOf(inFlightNodes);
            budgets = List.copyOf(budgets);
        }

        public int decided() {
            return accepted + quarantined;
        }
    }

    default void runStarted(RunStarted info) {
    }

    default void held(Held held) {
    }

    default void stage(StageChange change) {
    }

    default void verdict(Verdict verdict) {
    }

    default void hook(Hooks.Result result) {
    }

    default void halted(FailureBudget.Halt halt) {
    }

    /** A line worth showing a person (a re-attach, a node judged with fewer peers, a lease lost). */
    default void note(String text) {
    }

    default void progress(Progress progress) {
    }

    default void finished(RolloutSummary summary) {
    }
}
