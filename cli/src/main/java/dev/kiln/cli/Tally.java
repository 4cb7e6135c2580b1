package dev.kiln.cli;

import dev.kiln.cli.fanout.NodeResult;

import java.util.List;

/** Counts over one run, for the summary line and the exit code. */
final class Tally {
    int nodes;
    int reachable;
    int unreachable;
    /** Reached, but the answer was not usable (401, 5xx, not Kiln JSON). */
    int answeredWithError;
    int failedChecks;
    int gpus;

    void count(NodeResult<?> r, List<String> checkFailures, int gpuCount) {
        nodes++;
        if (r.reachable()) {
            reachable++;
        } else {
            unreachable++;
        }
        if (!r.ok() && r.reachable()) {
            answeredWithError++;
        }
        if (!checkFailures.isEmpty()) {
            failedChecks++;
        }
        gpus += gpuCount;
    }

    /** Nodes whose answer could not be used at all. */
    int notQueried() {
        return unreachable + answeredWithError;
    }

    int exitCode() {
        return ExitCodes.forRun(notQueried(), failedChecks);
    }

    /** {@code 16 nodes, 15 reachable, 1 unreachable, 127 GPUs[, 1 answered with an error][, 2 with failed checks]}. */
    String summary() {
        StringBuilder sb = new StringBuilder();
        sb.append(nodes).append(nodes == 1 ? " node, " : " nodes, ").append(reachable).append(" reachable, ")
                .append(unreachable).append(" unreachable, ").append(gpus).append(gpus == 1 ? " GPU" : " GPUs");
        if (answeredWithError > 0) {
            sb.append(", ").append(answeredWithError).append(" answered with an error");
        }
        if (failedChecks > 0) {
            sb.append(", ").append(failedChecks).append(" with failed checks");
        }
        return sb.toString();
    }
}
