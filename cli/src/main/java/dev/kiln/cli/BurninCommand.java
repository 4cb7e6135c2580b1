package dev.kiln.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.kiln.cli.fanout.FanOut;
import dev.kiln.cli.fleet.Fleet;
import dev.kiln.cli.fleet.FleetNode;
import dev.kiln.cli.fleet.SpecRef;
import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.burnin.BurninRequest;
import dev.kiln.protocol.burnin.BurninTestIds;
import io.vertx.core.http.HttpMethod;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.Console;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code kiln burnin}: starts a burn-in job on every selected node, follows each to its end by polling,
 * then prints a verdict per GPU and test. Ctrl-C cancels the jobs it started.
 */
@Command(name = "burnin", mixinStandardHelpOptions = true,
        header = "Burn in the selected nodes' GPUs: compute, memory, HBM and PCIe stress with live telemetry.",
        description = {"Starts a burn-in job on every selected node (POST /v1/jobs; at most --max-in-flight "
                + "requests at once), then follows each job until it ends, polling GET /v1/jobs/{id} every second. "
                + "A node that is busy (another job, or someone's process on a GPU: HTTP 409) is reported with the "
                + "agent's message and not retried; --force runs on GPUs with compute processes anyway. A node "
                + "that stops answering mid-run is reported unreachable with its last known state.",
                "",
                "Progress goes to stderr: on a terminal, one redrawn line per node (progress, current test, hottest "
                + "GPU, total power); otherwise a line per node at each state change. With -o jsonl, stdout carries "
                + "one JSON event per line as it arrives (event state, progress, telemetry, result, error, and "
                + "last for each node 'final'). At the end: one row per GPU and test (verdict, TFLOP/s or GB/s, "
                + "first finding) and a summary; -o json prints one document per node holding its final job "
                + "status (docs/schema/job.schema.json) under 'job'.",
                "",
                "Ctrl-C cancels the jobs this run started (DELETE /v1/jobs/{id}) before exiting. --detach only "
                + "starts the jobs and prints their ids.",
                "",
                "Exit 3 when a job ended FAILED, ERROR, INTERRUPTED or CANCELLED (not by this run); exit 4 when a "
                + "node refused the job (409 busy, 400, 401), could not be reached, or was lost while running."})
final class BurninCommand implements Callable<Integer> {
    /** Starting a job reads the node's inventory and launches the worker; polling is a map lookup. */
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    static final Duration POLL_INTERVAL = Duration.ofSeconds(1);
    /** The agent's own bound on {@code durationSeconds}. */
    static final long MAX_DURATION_SECONDS = 7 * 24 * 3600;

    @Spec
    CommandSpec spec;

    @Mixin
    FleetOptions fleetOptions;

    @Mixin
    FanOutOptions fanOutOptions;

    @Mixin
    OutputOptions outputOptions;

    @Option(names = "--duration", paramLabel = "DURATION", defaultValue = "30m", converter = DurationSeconds.class,
            description = "Total time of the burn-in on each node, split equally over the tests: 90s, 30m, 2h "
                    + "(default: ${DEFAULT-VALUE}).")
    long durationSeconds = 1800;

    @Option(names = "--tests", paramLabel = "ID", split = ",",
            description = "Run only these tests, in this order: burnin.pcie, burnin.hbm-bandwidth, burnin.memory, "
                    + "burnin.compute (the default order; 'compute' is short for burnin.compute).")
    List<String> tests = new ArrayList<>();

    @Option(names = "--gpus", paramLabel = "INDEX", split = ",",
            description = "Only these GPUs (NVML indices) on every node (default: all).")
    List<Integer> gpus = new ArrayList<>();

    @Option(names = "--force", description = "Run even on GPUs with compute processes (someone's job).")
    boolean force;

    @Option(names = "--detach", description = "Start the jobs, print their ids and exit; the jobs run on.")
    boolean detach;

    @Override
    public Integer call() throws InterruptedException {
        List<String> testIds = testIds(spec.commandLine(), tests);
        for (int g : gpus) {
            if (g < 0) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--gpus: a GPU index is 0 or more, got "
                        + g);
            }
        }
        Fleet fleet = fleetOptions.load();
        List<FleetNode> nodes = fleetOptions.select(fleet);
        BurninRequest request = new BurninRequest(BurninRequest.TYPE, testIds, List.copyOf(new LinkedHashSet<>(gpus)),
                durationSeconds, force, null);
        // Each node judged by its fleet-file spec (a spec file goes inline: the agent does not have it).
        Map<SpecRef, byte[]> bySpec = new IdentityHashMap<>();
        Map<String, byte[]> bodies = new HashMap<>();
        for (FleetNode n : nodes) {
            bodies.put(n.name(), bySpec.computeIfAbsent(n.spec(), s -> body(SpecRef.judged(request, s))));
        }
        Duration timeout = fanOutOptions.timeout(fleet, DEFAULT_TIMEOUT);
        int maxInFlight = fanOutOptions.maxInFlight();
        PrintWriter err = spec.commandLine().getErr();
        boolean verbose = KilnCommand.verbose(spec);
        BurninOutput output = new BurninOutput(outputOptions.format(), spec.commandLine().getOut(), err,
                !detach && stderrIsTerminal());

        List<BurninJob> jobs = new ArrayList<>(nodes.size());
        Map<String, BurninJob> byName = new LinkedHashMap<>();
        for (FleetNode n : nodes) {
            BurninJob j = new BurninJob(n);
            jobs.add(j);
            byName.put(n.name(), j);
        }
        try (FanOut fanOut = FanOut.start()) {
            AtomicBoolean cancelling = new AtomicBoolean();
            Thread hook = detach ? null : new Thread(() -> cancel(fanOut, jobs, timeout, maxInFlight, err, cancelling),
                    "kiln-burnin-cancel");
            if (hook != null) {
                Runtime.getRuntime().addShutdownHook(hook);
            }
            try {
                FleetQuery.run(fanOut, nodes, FanOut.Request.postJson(Agents.JOBS_PATH, n -> bodies.get(n.name())), Agents.JOB_STATUS,
                        timeout, maxInFlight, r -> output.started(byName.get(r.node().name()), r), err, verbose);
                if (detach) {
                    output.detached(jobs);
                    // A job the agent accepted but that already ended badly (e.g. the worker could not start)
                    // is a failure even when detached.
                    int failedAlready = (int) jobs.stream().filter(j -> j.status != null && j.status.state().terminal()
                            && j.status.state() != dev.kiln.protocol.burnin.JobState.PASSED).count();
                    return ExitCodes.forRun((int) jobs.stream().filter(j -> j.outcome.notQueried()).count(), failedAlready);
                }
                follow(fanOut, jobs, byName, timeout, maxInFlight, output, cancelling);
            } finally {
                if (hook != null) {
                    removeHook(hook);
                }
            }
        }
        output.finish(jobs);
        return BurninOutput.exitCode(jobs);
    }

    /** Polls every running job about once a second until each has ended or been given up on. */
    private static void follow(FanOut fanOut, List<BurninJob> jobs, Map<String, BurninJob> byName, Duration timeout,
                               int maxInFlight, BurninOutput output, AtomicBoolean cancelling)
            throws InterruptedException {
        FanOut.Request poll = FanOut.Request.perNode(HttpMethod.GET, Agents.JOBS_PATH + "/{id}",
                n -> Agents.JOBS_PATH + "/" + byName.get(n.name()).jobId);
        output.redraw(jobs);
        long next = System.nanoTime() + POLL_INTERVAL.toNanos();
        while (!cancelling.get()) {
            List<FleetNode> running = jobs.stream().filter(j -> !j.ended()).map(j -> j.node).toList();
            if (running.isEmpty()) {
                return;
            }
            long waitMillis = (next - System.nanoTime()) / 1_000_000;
            if (waitMillis > 0) {
                Thread.sleep(waitMillis);
            }
            next = System.nanoTime() + POLL_INTERVAL.toNanos();
            fanOut.run(running, poll, Agents.JOB_STATUS, timeout, maxInFlight,
                    r -> output.polled(byName.get(r.node().name()), r), null);
            output.redraw(jobs);
        }
    }

    /** The Ctrl-C hook: DELETE every job this run started that has not ended, and say what happened. */
    static void cancel(FanOut fanOut, List<BurninJob> jobs, Duration timeout, int maxInFlight, PrintWriter err,
                       AtomicBoolean cancelling) {
        cancelling.set(true);
        Map<String, String> ids = new LinkedHashMap<>();
        List<FleetNode> nodes = new ArrayList<>();
        for (BurninJob j : jobs) {
            String id = j.jobId;
            if (id != null && !j.ended()) {
                ids.put(j.node.name(), id);
                nodes.add(j.node);
            }
        }
        if (nodes.isEmpty()) {
            return;
        }
        err.println();
        err.println("kiln: interrupted: cancelling " + nodes.size() + " burn-in job" + (nodes.size() == 1 ? "" : "s"));
        err.flush();
        try {
            // DELETE answers once the worker has stopped (SIGKILL after 2 s at most).
            Duration t = timeout.compareTo(Duration.ofSeconds(10)) < 0 ? Duration.ofSeconds(10) : timeout;
            fanOut.run(nodes, FanOut.Request.perNode(HttpMethod.DELETE, Agents.JOBS_PATH + "/{id}",
                            n -> Agents.JOBS_PATH + "/" + ids.get(n.name())), Agents.JOB_STATUS, t, maxInFlight,
                    r -> err.println("kiln: " + r.node().name() + ": job " + ids.get(r.node().name())
                            + (r.ok() ? " " + r.body().state() : " not cancelled: " + r.error().message())), null);
        } catch (InterruptedException | RuntimeException e) {
            err.println("kiln: cancelling stopped: " + e);
        }
        err.flush();
    }

    private static void removeHook(Thread hook) throws InterruptedException {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            hook.join(); // the JVM is exiting: let the hook finish its DELETEs with the client still open
        }
    }

    /** Test ids as given, with {@code compute} short for {@code burnin.compute}; unknown ids are a usage error. */
    static List<String> testIds(CommandLine cmd, List<String> given) {
        return List.copyOf(TestIdList.resolve(cmd, given, "burnin.", BurninTestIds.DEFAULT_ORDER, "burn-in"));
    }

    private static byte[] body(BurninRequest request) {
        try {
            return KilnJson.mapper().writeValueAsBytes(request);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Whether stderr is a person's terminal: {@link System#console()} is non-null, and on Java 22 and later
     * (where a console may exist with output redirected) {@code Console.isTerminal()} says so too.
     */
    static boolean stderrIsTerminal() {
        Console c = System.console();
        if (c == null) {
            return false;
        }
        try {
            return (Boolean) Console.class.getMethod("isTerminal").invoke(c);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return true; // Java 21: a console exists only on a terminal
        }
    }

    /** {@code 90s}, {@code 30m}, {@code 2h}, {@code 1.5h}: whole seconds, from 1 s to 7 days. */
    static final class DurationSeconds implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            long factor;
            if (v.endsWith("s")) {
                factor = 1;
            } else if (v.endsWith("m")) {
                factor = 60;
            } else if (v.endsWith("h")) {
                factor = 3600;
            } else {
                throw new CommandLine.TypeConversionException("'" + value + "' has no unit; write e.g. 90s, 30m or 2h");
            }
            double n;
            try {
                n = Double.parseDouble(v.substring(0, v.length() - 1));
            } catch (NumberFormatException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a duration; write e.g. 90s, "
                        + "30m or 2h");
            }
            long seconds = Math.round(n * factor);
            if (!(n > 0) || seconds < 1 || seconds > MAX_DURATION_SECONDS) {
                throw new CommandLine.TypeConversionException("'" + value + "' is out of range; use 1s to 168h");
            }
            return seconds;
        }
    }
}
