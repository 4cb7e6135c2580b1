package dev.kiln.cli;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every exit status {@code kiln} returns, defined here and nowhere else (the {@code --help} footer
 * is generated from {@link #descriptions()}).
 *
 * <ul>
 *   <li>{@value #OK}: every selected node answered and passed the checks.</li>
 *   <li>{@value #INTERNAL}: a bug or an unexpected environment problem inside kiln itself
 *       ({@code --errors} prints the stack trace).</li>
 *   <li>{@value #USAGE}: bad usage: unknown or malformed flags, an unknown {@code --node}/{@code --rack}
 *       name, check id ({@code --only}/{@code --skip}) or burn-in test id ({@code --tests}), a
 *       {@code --duration} without a unit or out of range, a fleet file, token file or spec (fleet-file
 *       {@code spec:} or {@code --spec}) that cannot be used. Nothing was queried. Also {@code kiln spec lint}
 *       when a spec file has an error (warnings alone exit {@value #OK}).</li>
 *   <li>{@value #CHECK_FAILED}: every node answered, and at least one reported a problem.
 *       {@code kiln check}: a node's verdict is FAIL, or ERROR (a check could not run, which is never
 *       taken for a pass); WARN alone is printed but exits {@value #OK}. {@code kiln inventory}: a GPU whose
 *       {@code state} is not {@code ok} ({@code lost}, {@code reset_required}, {@code unreachable}); degraded links and missing
 *       GPUs are listed there but judged by {@code kiln check}. {@code kiln inventory --diff}: any property
 *       differs between nodes that share a spec, or from the spec. {@code status} and {@code inventory}: NVML
 *       unavailable on a node running in {@code real} mode. {@code kiln spec capture}: NVML unavailable on
 *       the node, so there is nothing to capture. {@code kiln burnin}: a node's job ended {@code FAILED} (a
 *       GPU failed a test, or the worker crashed or hung), {@code ERROR} (the burn-in could not run: never a
 *       pass), {@code INTERRUPTED} (the agent restarted mid-run) or {@code CANCELLED} by anyone but this run
 *       (a run that Ctrl-C cancels exits as the JVM does on SIGINT). Only {@code PASSED} everywhere is
 *       {@value #OK}. {@code kiln fabric}: any FAIL finding (a node's own test, a bad node or a bad path between
 *       two nodes), or a test that could not run (ERROR). {@code kiln bringup}: a node was quarantined (a stage failed or
 *       could not run), or an {@code --on-accepted}/{@code --on-quarantined} hook failed.</li>
 *   <li>{@value #UNREACHABLE}: at least one node could not be queried: connection refused, DNS failure,
 *       timeout, or an answer that was not a 2xx Kiln JSON body (e.g. 401 for a wrong token, 5xx, or a 400
 *       from {@code POST /v1/checks} when a real agent is given no spec). {@code kiln burnin}: also a node that
 *       refused the job ({@code 409}: a job already runs, or someone's process is on a selected GPU without
 *       {@code --force}; {@code 400}: e.g. no such GPU), and a node that stopped answering (or lost the job)
 *       while it ran, reported with its last known state. {@code --detach} exits {@value #OK} when every job
 *       started, else {@value #UNREACHABLE}. {@code kiln fabric}: likewise for its jobs, and a node that refused a
 *       fabric session or whose job did not end in time. {@code kiln bringup}: a node was quarantined because it could not
 *       be reached (at its first stage, or it stopped answering later).
 *       This takes precedence over {@value #CHECK_FAILED}: a node that could not be read might hide
 *       any failure, so a script that sees {@value #CHECK_FAILED} knows every selected node was read.</li>
 *   <li>{@value #ROLLOUT_HALTED}: {@code kiln bringup} halted the rollout because the failure budget was exceeded
 *       ({@code --max-failures N}: more than N nodes failed; {@code --max-failure-rate P%}: more than P% of the
 *       nodes started failed, judged once 10 have started): a systemic problem (firmware, cooling, power) stops
 *       the line instead of quarantining node after node. Nodes not yet started were left untouched.</li>
 * </ul>
 * When several apply, the order is {@value #INTERNAL} &gt; {@value #USAGE} (both stop the run) &gt;
 * {@value #ROLLOUT_HALTED} &gt; {@value #UNREACHABLE} &gt; {@value #CHECK_FAILED} &gt; {@value #OK}.
 */
public final class ExitCodes {
    public static final int OK = 0;
    public static final int INTERNAL = 1;
    public static final int USAGE = 2;
    public static final int CHECK_FAILED = 3;
    public static final int UNREACHABLE = 4;
    public static final int ROLLOUT_HALTED = 5;

    private ExitCodes() {
    }

    /** The status of a completed fan-out. */
    public static int forRun(int nodesNotQueried, int nodesFailingChecks) {
        if (nodesNotQueried > 0) {
            return UNREACHABLE;
        }
        return nodesFailingChecks > 0 ? CHECK_FAILED : OK;
    }

    /** Code to description, in the order {@code --help} lists them. */
    public static Map<String, String> descriptions() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(" " + OK, "Every selected node answered and passed the checks (WARN alone passes); burnin: every job "
                + "PASSED.");
        m.put(" " + INTERNAL, "Internal error in kiln (rerun with --errors for the stack trace).");
        m.put(" " + USAGE, "Bad usage: unknown flag or value, unknown --node/--rack, check or test id, unusable "
                + "fleet, token or spec file (also: spec lint found an error).");
        m.put(" " + CHECK_FAILED, "A node failed a check: verdict FAIL or ERROR (check; ERROR = a check could not "
                + "run, never a pass), a GPU whose state is not ok (inventory), deviations (inventory --diff), or "
                + "NVML unavailable on a real node; burnin: a job ended FAILED, ERROR, INTERRUPTED or CANCELLED "
                + "(not by this run); fabric: a FAIL finding (bad node, path or link) or a test that could not run; bringup: "
                + "a node quarantined, or a hook failed.");
        m.put(" " + UNREACHABLE, "A node could not be queried: unreachable, timed out, or no 2xx Kiln JSON answer "
                + "(e.g. 401 wrong token); burnin, fabric: a node refused the job (409 busy) or was lost mid-run; bringup: "
                + "a node quarantined as unreachable. Takes precedence over " + CHECK_FAILED + ".");
        m.put(" " + ROLLOUT_HALTED, "bringup: the rollout halted because the failure budget was exceeded "
                + "(--max-failures, --max-failure-rate): a systemic problem stops the line. Takes precedence over "
                + UNREACHABLE + " and " + CHECK_FAILED + ".");
        return m;
    }
}
