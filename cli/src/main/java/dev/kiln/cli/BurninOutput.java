package dev.kiln.cli;

import dev.kiln.cli.fanout.NodeError;
import dev.kiln.cli.fanout.NodeResult;
import dev.kiln.cli.output.OutputFormat;
import dev.kiln.cli.output.ResultWriter;
import dev.kiln.cli.output.Table;
import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.burnin.BurninTestIds;
import dev.kiln.protocol.burnin.GpuTestResult;
import dev.kiln.protocol.burnin.JobState;
import dev.kiln.protocol.burnin.JobStatus;
import dev.kiln.protocol.burnin.TelemetrySample;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@code kiln burnin} prints. While it runs: progress on stderr (a redrawn line per node on a
 * terminal, else a line per node at each state change) and, with {@code -o jsonl}, one JSON event per
 * line on stdout. At the end: the per-GPU result table and a summary (table), or an array of per-node
 * documents ({@code -o json}); with {@code -o jsonl} each node's last event is its {@code final} one.
 */
final class BurninOutput {
    /** Lines of the live display at most; the rest are counted on one more line. */
    static final int LIVE_LINES = 20;
    private static final int BAR = 20;

    private final OutputFormat format;
    private final PrintWriter out;
    private final PrintWriter err;
    private final boolean live;
    private int drawn;

    /**
     * @param live redraw a progress block on stderr (a terminal), instead of a line per state change
     */
    BurninOutput(OutputFormat format, PrintWriter out, PrintWriter err, boolean live) {
        this.format = format;
        this.out = out;
        this.err = err;
        this.live = live;
    }

    // --- while it runs -----------------------------------------------------------------------------

    /** The answer to {@code POST /v1/jobs}. */
    void started(BurninJob job, NodeResult<JobStatus> r) {
        job.httpStatus = r.httpStatus();
        job.elapsedMillis = r.elapsedMillis();
        if (!r.ok()) {
            job.error = r.error();
            job.outcome = r.reachable() ? BurninJob.Outcome.REFUSED : BurninJob.Outcome.UNREACHABLE;
            event(job, "error", errorFields(job));
            finalEvent(job);
            line(job.node.name() + ": not started: " + (r.reachable() ? "" : "unreachable: ") + r.error().message());
            return;
        }
        job.jobId = r.body().id();
        update(job, r.body());
    }

    /** The answer to one {@code GET /v1/jobs/{id}}. */
    void polled(BurninJob job, NodeResult<JobStatus> r) {
        if (r.ok()) {
            job.failedPolls = 0;
            update(job, r.body());
            return;
        }
        job.failedPolls++;
        if (job.failedPolls < BurninJob.MAX_FAILED_POLLS) {
            return;
        }
        job.error = r.error();
        job.httpStatus = r.httpStatus();
        job.outcome = r.reachable() ? BurninJob.Outcome.LOST : BurninJob.Outcome.UNREACHABLE;
        event(job, "error", errorFields(job));
        finalEvent(job);
        line(job.node.name() + ": job " + job.jobId + ": " + (r.reachable() ? "lost track" : "unreachable")
                + " (last known: " + job.lastKnown() + "): " + r.error().message());
    }

    /** Reports what changed since the previous status, then keeps this one. */
    private void update(BurninJob job, JobStatus s) {
        job.status = s;
        if (s.telemetry() != null) {
            Instant newest = job.lastTelemetry;
            for (TelemetrySample t : s.telemetry()) {
                boolean isNew = job.lastTelemetry == null || t == null || t.time() == null
                        || t.time().isAfter(job.lastTelemetry);
                if (t != null && isNew) {
                    event(job, "telemetry", Map.of("telemetry", t));
                    if (t.time() != null && (newest == null || t.time().isAfter(newest))) {
                        newest = t.time();
                    }
                }
            }
            job.lastTelemetry = newest;
        }
        for (GpuTestResult x : s.results() == null ? List.<GpuTestResult>of() : s.results()) {
            if (job.seenResults.add(x.test() + "/" + x.gpuIndex() + "/" + x.verdict() + "/" + x.durationMs())) {
                event(job, "result", Map.of("result", x));
            }
        }
        if (s.progress() != job.lastProgress || !java.util.Objects.equals(s.current(), job.lastCurrent)) {
            job.lastProgress = s.progress();
            job.lastCurrent = s.current();
            if (!s.state().terminal()) {
                Map<String, Object> f = new LinkedHashMap<>();
                f.put("progress", s.progress());
                f.put("current", s.current());
                event(job, "progress", f);
            }
        }
        if (s.state() != job.lastState) {
            job.lastState = s.state();
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("state", s.state());
            f.put("reason", s.reason());
            event(job, "state", f);
            if (s.state().terminal()) {
                job.outcome = s.state() == JobState.PASSED ? BurninJob.Outcome.PASSED : BurninJob.Outcome.FAILED;
                finalEvent(job);
                line(job.node.name() + ": job " + s.id() + " " + s.state() + " (" + verdictCounts(s.results())
                        + ")" + (s.reason() == null ? "" : ": " + s.reason()));
            } else {
                line(job.node.name() + ": job " + s.id() + " " + s.state());
            }
        }
    }

    private static Map<String, Object> errorFields(BurninJob job) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("httpStatus", job.httpStatus > 0 ? job.httpStatus : null);
        f.put("error", Map.of("kind", job.error.kind().id(), "message", job.error.message()));
        return f;
    }

    private void finalEvent(BurninJob job) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("outcome", job.outcome.id());
        f.put("state", job.status == null ? null : job.status.state());
        f.put("error", job.error == null ? null : Map.of("kind", job.error.kind().id(), "message",
                job.error.message()));
        f.put("status", job.status);
        event(job, "final", f);
    }

    /** With {@code -o jsonl}: {@code {"event":..,"time":..,"node":..,"rack":..,"job":..,...fields}}. */
    private void event(BurninJob job, String type, Map<String, ?> fields) {
        if (format != OutputFormat.jsonl) {
            return;
        }
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("event", type);
        e.put("time", Instant.now());
        e.put("node", job.node.name());
        e.put("rack", job.node.rack());
        e.put("job", job.jobId);
        e.putAll(fields);
        out.println(KilnJson.write(e));
        out.flush();
    }

    /** A state-change line on stderr, unless the live display shows it. */
    private void line(String text) {
        if (!live) {
            err.println("kiln: " + text);
            err.flush();
        }
    }

    /** On a terminal: redraws one line per node (progress bar, current test, hottest GPU, total power). */
    void redraw(List<BurninJob> jobs) {
        if (!live) {
            return;
        }
        StringBuilder b = new StringBuilder();
        if (drawn > 0) {
            b.append("\033[").append(drawn).append('A');
        }
        int width = jobs.stream().mapToInt(j -> j.node.name().length()).max().orElse(4);
        int lines = 0;
        for (BurninJob j : jobs.subList(0, Math.min(LIVE_LINES, jobs.size()))) {
            b.append('\r').append("\033[K").append(liveLine(j, width)).append('\n');
            lines++;
        }
        if (jobs.size() > LIVE_LINES) {
            long running = jobs.stream().filter(j -> !j.ended()).count();
            b.append('\r').append("\033[K").append("... and ").append(jobs.size() - LIVE_LINES)
                    .append(" more nodes (").append(running).append(" running in all)").append('\n');
            lines++;
        }
        drawn = lines;
        err.print(b);
        err.flush();
    }

    /** {@code node-001  [########............]  41%  burnin.memory on GPUs 0-7  83°C  5.4 kW}. */
    static String liveLine(BurninJob j, int width) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-" + width + "s  ", j.node.name()));
        JobStatus s = j.status;
        switch (j.outcome) {
            case REFUSED, UNREACHABLE, LOST -> {
                return b.append(j.outcome.id()).append(": ").append(j.error == null ? "" : j.error.message())
                        .toString();
            }
            default -> {
            }
        }
        if (s == null) {
            return b.append("starting").toString();
        }
        if (s.state().terminal()) {
            b.append(String.format(Locale.ROOT, "%-11s ", s.state())).append(verdictCounts(s.results()));
            return s.reason() == null ? b.toString() : b.append(": ").append(s.reason()).toString();
        }
        int filled = (int) Math.round(Math.max(0, Math.min(1, s.progress())) * BAR);
        b.append('[').append("#".repeat(filled)).append(".".repeat(BAR - filled)).append("] ")
                .append(String.format(Locale.ROOT, "%3d%%  ", Math.round(s.progress() * 100)))
                .append(s.current() == null ? s.state().name() : s.current());
        Integer hot = j.hottestCelsius();
        Double watts = j.totalPowerWatts();
        if (hot != null) {
            b.append("  ").append(hot).append("°C");
        }
        if (watts != null) {
            b.append("  ").append(watts >= 1000 ? String.format(Locale.ROOT, "%.1f kW", watts / 1000)
                    : String.format(Locale.ROOT, "%.0f W", watts));
        }
        return b.toString();
    }

    /** {@code 32 PASS} or {@code 31 PASS, 1 FAIL} or {@code no results}. */
    static String verdictCounts(List<GpuTestResult> results) {
        if (results == null || results.isEmpty()) {
            return "no results";
        }
        Map<String, Integer> counts = new TreeMap<>(Comparator.comparingInt(BurninOutput::verdictRank)
                .thenComparing(Comparator.naturalOrder()));
        results.forEach(r -> counts.merge(r.verdict(), 1, Integer::sum));
        List<String> parts = new ArrayList<>();
        counts.forEach((v, n) -> parts.add(n + " " + v));
        return String.join(", ", parts);
    }

    private static int verdictRank(String v) {
        return switch (v) {
            case "PASS" -> 0;
            case "FAIL" -> 1;
            case "ERROR" -> 2;
            case "SKIP" -> 3;
            default -> 4;
        };
    }

    // --- at the end --------------------------------------------------------------------------------

    /** {@code --detach}: each node's job id (or why it did not start). */
    void detached(List<BurninJob> jobs) {
        if (format == OutputFormat.table) {
            Table t = new Table("NODE", "RACK", "JOB", "STATE", "NOTE");
            for (BurninJob j : jobs) {
                t.add(j.node.name(), j.node.rack(), j.jobId, j.status == null ? null : j.status.state().name(),
                        j.error == null ? "" : j.outcome.id() + ": " + j.error.message());
            }
            t.print(out);
            out.flush();
        } else if (format == OutputFormat.json) {
            writeDocuments(jobs);
        }
        long started = jobs.stream().filter(j -> j.jobId != null).count();
        err.println("kiln: " + started + " of " + jobs.size() + " burn-in job" + (jobs.size() == 1 ? "" : "s")
                + " started; they run on (each node: GET /v1/jobs/<id>)");
        err.flush();
    }

    /** The per-GPU table and summary (table), or the per-node documents (json); the summary alone (jsonl). */
    void finish(List<BurninJob> jobs) {
        if (format == OutputFormat.json) {
            writeDocuments(jobs);
        }
        if (format != OutputFormat.table) {
            err.println("kiln: " + summary(jobs));
            err.flush();
            return;
        }
        Table t = new Table("NODE", "GPU", "SERIAL", "BUS ID", "TEST", "VERDICT", "METRIC", "FINDING");
        for (BurninJob j : jobs) {
            String note = nodeNote(j);
            if (note != null) {
                t.add(j.node.name(), null, null, null, null, nodeVerdict(j), null, note);
            }
            for (GpuTestResult r : sorted(j.results())) {
                t.add(j.node.name(), Integer.toString(r.gpuIndex()), r.serial(), r.pciBusId(), r.test(), r.verdict(),
                        metric(r), finding(r));
            }
        }
        t.print(out);
        out.println();
        out.println(summary(jobs));
        out.flush();
    }

    /**
     * A node-level row: why it did not run or was not followed to the end, or why the job did not pass when
     * no GPU row says so (a crashed or hung worker, an interrupted or cancelled job).
     */
    private static String nodeNote(BurninJob j) {
        if (j.outcome.notQueried()) {
            String msg = j.error == null ? "" : j.error.message();
            return j.status == null ? msg : msg + " (last known: " + j.lastKnown() + ")";
        }
        if (j.status != null && j.status.state() != JobState.PASSED) {
            boolean explained = j.results().stream().anyMatch(r -> !"PASS".equals(r.verdict())
                    && !"SKIP".equals(r.verdict()));
            if (explained && j.status.state() == JobState.FAILED) {
                return null;
            }
            return j.status.reason() != null ? j.status.reason() : "job " + j.status.state();
        }
        return null;
    }

    private static String nodeVerdict(BurninJob j) {
        return switch (j.outcome) {
            case REFUSED, UNREACHABLE, LOST -> j.outcome.name();
            default -> j.status == null ? null : j.status.state().name();
        };
    }

    /** By GPU, then in the default test order. */
    static List<GpuTestResult> sorted(List<GpuTestResult> results) {
        List<GpuTestResult> copy = new ArrayList<>(results);
        copy.sort(Comparator.comparingInt(GpuTestResult::gpuIndex).thenComparingInt(r -> {
            int i = BurninTestIds.DEFAULT_ORDER.indexOf(r.test());
            return i < 0 ? Integer.MAX_VALUE : i;
        }));
        return copy;
    }

    /** The test's headline figure: TFLOP/s (tensor, else FP32), GB/s, or the memory tested. */
    static String metric(GpuTestResult r) {
        Map<String, Double> m = r.metrics() == null ? Map.of() : r.metrics();
        return switch (r.test()) {
            case BurninTestIds.COMPUTE -> m.containsKey("tensorTflops") ? fmt(m.get("tensorTflops")) + " TFLOP/s"
                    : m.containsKey("tflops") ? fmt(m.get("tflops")) + " TFLOP/s" : null;
            case BurninTestIds.HBM_BANDWIDTH, BurninTestIds.PCIE -> m.containsKey("gbps") ? fmt(m.get("gbps"))
                    + " GB/s" : null;
            case BurninTestIds.MEMORY -> m.containsKey("testedBytes")
                    ? fmt(m.get("testedBytes") / (1L << 30)) + " GiB tested" : null;
            default -> null;
        };
    }

    private static String fmt(Double v) {
        if (v == null) {
            return "?";
        }
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }

    /** The first finding (and how many more), else the reason of an ERROR or SKIP. */
    static String finding(GpuTestResult r) {
        List<String> f = r.findings() == null ? List.of() : r.findings();
        if (!f.isEmpty()) {
            return f.get(0) + (f.size() > 1 ? " (+" + (f.size() - 1) + " more)" : "");
        }
        return r.reason() == null ? "" : r.reason();
    }

    /** {@code 3 nodes: 2 passed, 1 failed; 96 results: 95 PASS, 1 FAIL}. */
    static String summary(List<BurninJob> jobs) {
        Map<BurninJob.Outcome, Integer> outcomes = new java.util.EnumMap<>(BurninJob.Outcome.class);
        List<GpuTestResult> all = new ArrayList<>();
        for (BurninJob j : jobs) {
            outcomes.merge(j.outcome, 1, Integer::sum);
            all.addAll(j.results());
        }
        List<String> parts = new ArrayList<>();
        outcomes.forEach((o, n) -> parts.add(n + " " + o.id()));
        return jobs.size() + (jobs.size() == 1 ? " node: " : " nodes: ") + String.join(", ", parts) + "; "
                + all.size() + (all.size() == 1 ? " result" : " results") + (all.isEmpty() ? ""
                : ": " + verdictCounts(all));
    }

    /** {@code -o json}: one document per node, its final (or last known) job status under {@code job}. */
    private void writeDocuments(List<BurninJob> jobs) {
        try (ResultWriter w = new ResultWriter(out, OutputFormat.json, "job")) {
            for (BurninJob j : jobs) {
                NodeError error = j.error;
                NodeResult<JobStatus> r = new NodeResult<>(j.node, j.httpStatus, j.elapsedMillis, j.status, error);
                Map<String, Object> extra = new LinkedHashMap<>();
                extra.put("jobId", j.jobId);
                extra.put("outcome", j.outcome.id());
                w.write(r, failures(j), extra);
            }
        }
    }

    /** One line per result that is not a pass, naming node, GPU (serial, bus id) and test. */
    static List<String> failures(BurninJob j) {
        List<String> f = new ArrayList<>();
        for (GpuTestResult r : sorted(j.results())) {
            if (!"PASS".equals(r.verdict()) && !"SKIP".equals(r.verdict())) {
                f.add(j.node.name() + " GPU " + r.gpuIndex() + " serial " + Agents.orUnknown(r.serial())
                        + (r.pciBusId() == null ? "" : " (" + r.pciBusId() + ")") + ": " + r.verdict() + " " + r.test()
                        + (finding(r).isEmpty() ? "" : ": " + finding(r)));
            }
        }
        if (f.isEmpty() && j.outcome == BurninJob.Outcome.FAILED && j.status != null) {
            f.add(j.node.name() + ": job " + j.status.state() + (j.status.reason() == null ? ""
                    : ": " + j.status.reason()));
        }
        return f;
    }

    /** Nodes that failed (exit 3) and that could not be started or followed (exit 4). */
    static int exitCode(List<BurninJob> jobs) {
        int notQueried = (int) jobs.stream().filter(j -> j.outcome.notQueried()).count();
        int failed = (int) jobs.stream().filter(j -> j.outcome == BurninJob.Outcome.FAILED).count();
        return ExitCodes.forRun(notQueried, failed);
    }
}
