package dev.kiln.cli;

import dev.kiln.cli.fanout.FanOut;
import dev.kiln.cli.fanout.NodeError;
import dev.kiln.cli.fanout.NodeResult;
import dev.kiln.cli.fleet.FleetNode;
import dev.kiln.protocol.burnin.JobState;
import dev.kiln.protocol.burnin.JobStatus;
import dev.kiln.protocol.fabric.FabricResult;
import io.vertx.core.http.HttpMethod;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Starts fabric jobs ({@code POST /v1/jobs}) and follows them to their end the way {@code kiln burnin} does:
 * polling {@code GET /v1/jobs/{id}} about once a second, one bounded fan-out per poll; a node that fails
 * {@value BurninJob#MAX_FAILED_POLLS} polls in a row is given up on. Unlike a burn-in, a fabric job also has
 * a deadline here (its duration plus a grace period): a pair test that hangs must not hold up the rounds
 * after it, so a job past its deadline is cancelled ({@code DELETE}) and reported lost.
 *
 * <p>State lines go to stderr, one per job start failure and end. {@link #cancelRunning} is the Ctrl-C hook's
 * work: it cancels every job of the current phase that has not ended.
 */
final class FabricJobs {
    private final FanOut fanOut;
    private final Duration timeout;
    private final int maxInFlight;
    private final PrintWriter err;
    private final boolean verbose;
    /** The jobs of the phase that runs now (read by the Ctrl-C hook). */
    private volatile List<BurninJob> active = List.of();
    volatile boolean cancelling;

    FabricJobs(FanOut fanOut, Duration timeout, int maxInFlight, PrintWriter err, boolean verbose) {
        this.fanOut = fanOut;
        this.timeout = timeout;
        this.maxInFlight = maxInFlight;
        this.err = err;
        this.verbose = verbose;
    }

    /**
     * {@code POST /v1/jobs} with each job's body, then follows the started jobs until each has ended, been
     * given up on, or passed {@code deadline} after it started.
     *
     * @param label what the lines on stderr call a job ({@code node-003} or {@code node-001 -> node-002})
     */
    void run(List<BurninJob> jobs, Function<FleetNode, byte[]> body, Duration deadline,
             Function<BurninJob, String> label) throws InterruptedException {
        if (jobs.isEmpty()) {
            return;
        }
        Map<String, BurninJob> byName = new HashMap<>();
        for (BurninJob j : jobs) {
            if (byName.put(j.node.name(), j) != null) {
                throw new IllegalArgumentException("two jobs on " + j.node.name() + " at once");
            }
        }
        active = List.copyOf(jobs);
        List<FleetNode> nodes = jobs.stream().map(j -> j.node).toList();
        FleetQuery.run(fanOut, nodes, FanOut.Request.postJson(Agents.JOBS_PATH, body), Agents.JOB_STATUS, timeout,
                maxInFlight, r -> started(byName.get(r.node().name()), r, label), err, verbose);
        follow(jobs, byName, System.nanoTime() + deadline.toNanos(), deadline, label);
        active = List.of();
    }

    private void started(BurninJob job, NodeResult<JobStatus> r, Function<BurninJob, String> label) {
        job.httpStatus = r.httpStatus();
        job.elapsedMillis = r.elapsedMillis();
        if (!r.ok()) {
            job.error = r.error();
            job.outcome = r.reachable() ? BurninJob.Outcome.REFUSED : BurninJob.Outcome.UNREACHABLE;
            line(label.apply(job) + ": not started: " + (r.reachable() ? "" : "unreachable: ") + r.error().message());
            return;
        }
        job.jobId = r.body().id();
        update(job, r.body(), label);
    }

    private void update(BurninJob job, JobStatus s, Function<BurninJob, String> label) {
        job.status = s;
        if (s.state().terminal() && !job.ended()) {
            job.outcome = s.state() == JobState.PASSED ? BurninJob.Outcome.PASSED : BurninJob.Outcome.FAILED;
            line(label.apply(job) + ": job " + s.id() + " " + s.state() + " (" + verdicts(s.fabric()) + ")"
                    + (s.reason() == null ? "" : ": " + s.reason()));
        }
    }

    private void follow(List<BurninJob> jobs, Map<String, BurninJob> byName, long deadlineNanos, Duration deadline,
                        Function<BurninJob, String> label) throws InterruptedException {
        FanOut.Request poll = FanOut.Request.perNode(HttpMethod.GET, Agents.JOBS_PATH + "/{id}",
                n -> Agents.JOBS_PATH + "/" + byName.get(n.name()).jobId);
        long next = System.nanoTime() + BurninCommand.POLL_INTERVAL.toNanos();
        while (!cancelling) {
            List<BurninJob> running = jobs.stream().filter(j -> !j.ended()).toList();
            if (running.isEmpty()) {
                return;
            }
            if (System.nanoTime() - deadlineNanos > 0) {
                giveUp(running, deadline, label);
                return;
            }
            long waitMillis = (next - System.nanoTime()) / 1_000_000;
            if (waitMillis > 0) {
                Thread.sleep(waitMillis);
            }
            next = System.nanoTime() + BurninCommand.POLL_INTERVAL.toNanos();
            fanOut.run(running.stream().map(j -> j.node).toList(), poll, Agents.JOB_STATUS, timeout, maxInFlight,
                    r -> polled(byName.get(r.node().name()), r, label), null);
        }
    }

    private void polled(BurninJob job, NodeResult<JobStatus> r, Function<BurninJob, String> label) {
        if (r.ok()) {
            job.failedPolls = 0;
            update(job, r.body(), label);
            return;
        }
        job.failedPolls++;
        if (job.failedPolls < BurninJob.MAX_FAILED_POLLS) {
            return;
        }
        job.error = r.error();
        job.httpStatus = r.httpStatus();
        job.outcome = r.reachable() ? BurninJob.Outcome.LOST : BurninJob.Outcome.UNREACHABLE;
        line(label.apply(job) + ": job " + job.jobId + ": " + (r.reachable() ? "lost track" : "unreachable")
                + " (last known: " + job.lastKnown() + "): " + r.error().message());
    }

    /** Jobs past their deadline: reported lost, and cancelled so the node is free for the next round. */
    private void giveUp(List<BurninJob> running, Duration deadline, Function<BurninJob, String> label)
            throws InterruptedException {
        for (BurninJob j : running) {
            j.error = new NodeError(NodeError.Kind.TIMEOUT, "the job did not end within " + deadline.toSeconds()
                    + " s (last known: " + j.lastKnown() + "); kiln cancelled it");
            j.outcome = BurninJob.Outcome.LOST;
            line(label.apply(j) + ": job " + j.jobId + ": " + j.error.message());
        }
        delete(running);
    }

    /** The Ctrl-C hook: cancels every job of the current phase that has not ended. */
    void cancelRunning() {
        cancelling = true;
        List<BurninJob> jobs = active.stream().filter(j -> j.jobId != null && !j.ended()).toList();
        if (jobs.isEmpty()) {
            return;
        }
        err.println();
        err.println("kiln: interrupted: cancelling " + jobs.size() + " fabric job" + (jobs.size() == 1 ? "" : "s"));
        err.flush();
        try {
            delete(jobs);
        } catch (InterruptedException | RuntimeException e) {
            err.println("kiln: cancelling stopped: " + e);
        }
        err.flush();
    }

    private void delete(List<BurninJob> jobs) throws InterruptedException {
        Map<String, String> ids = new LinkedHashMap<>();
        for (BurninJob j : jobs) {
            ids.put(j.node.name(), j.jobId);
        }
        Duration t = timeout.compareTo(Duration.ofSeconds(10)) < 0 ? Duration.ofSeconds(10) : timeout;
        fanOut.run(jobs.stream().map(j -> j.node).toList(), FanOut.Request.perNode(HttpMethod.DELETE,
                        Agents.JOBS_PATH + "/{id}", n -> Agents.JOBS_PATH + "/" + ids.get(n.name())), Agents.JOB_STATUS,
                t, maxInFlight, r -> {
                    if (!r.ok()) {
                        line(r.node().name() + ": job " + ids.get(r.node().name()) + " not cancelled: "
                                + r.error().message());
                    }
                }, null);
    }

    /** {@code fabric.nvlink PASS, fabric.p2p FAIL} or {@code no results}. */
    static String verdicts(List<FabricResult> results) {
        if (results == null || results.isEmpty()) {
            return "no results";
        }
        return results.stream().map(r -> r.test() + " " + r.verdict()).collect(Collectors.joining(", "));
    }

    void line(String text) {
        err.println("kiln: " + text);
        err.flush();
    }
}
