package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.cli.bringup.BringupEngine;
import dev.kiln.cli.bringup.DryRunRenderer;
import dev.kiln.cli.bringup.Limits;
import dev.kiln.cli.bringup.PlanNode;
import dev.kiln.cli.bringup.PowerModel;
import dev.kiln.cli.bringup.RolloutSummary;
import dev.kiln.cli.bringup.Scheduler;
import dev.kiln.cli.bringup.Stage;
import dev.kiln.cli.bringup.StageTimes;
import dev.kiln.cli.bringup.WavePlan;
import dev.kiln.cli.bringup.WavePlanner;
import dev.kiln.cli.db.Lease;
import dev.kiln.cli.db.ResultsDb;
import dev.kiln.cli.db.ResultsDbException;
import dev.kiln.cli.db.RunRecord;
import dev.kiln.cli.db.RunState;
import dev.kiln.cli.fanout.FanOut;
import dev.kiln.cli.fleet.Fleet;
import dev.kiln.cli.fleet.FleetFile;
import dev.kiln.cli.fleet.FleetNode;
import dev.kiln.cli.fleet.SpecRef;
import dev.kiln.cli.output.OutputFormat;
import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.spec.SpecFileException;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The work behind {@link BringupCommand}: the plan (and {@code --dry-run}), the results database, the run's
 * settings recorded for {@code --resume}, the agents over HTTP, the engine, Ctrl-C.
 */
final class BringupRun {
    /** A check reads the hardware and runs its checks: slower than the other requests. */
    static final Duration CHECK_TIMEOUT = Duration.ofSeconds(30);
    private static final Pattern HOLDER = Pattern.compile("^(.*)@(.*) \\(pid (\\d+)\\)$");
    private static final DateTimeFormatter RUN_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")
            .withZone(ZoneOffset.UTC);

    private BringupRun() {
    }

    /** A new rollout (or its dry run). */
    static int start(BringupCommand c) throws InterruptedException {
        CommandLine cmd = c.spec.commandLine();
        Fleet fleet = c.fleetOptions.load();
        List<FleetNode> selected = c.fleetOptions.select(fleet);
        SpecRef override = c.specOption == null ? null : CheckCommand.resolve(cmd, c.specOption);
        StageTimes times = times(c.burninSeconds, c.fabricSeconds, c.networkSeconds);
        Limits limits = new Limits(c.maxParallel, c.maxPerRack == null ? Limits.UNLIMITED : c.maxPerRack, c.stagger);
        List<BringupEngine.Target> targets = targets(selected, override, times);
        List<PlanNode> outside = outside(fleet, selected, times);
        List<PlanNode> planNodes = targets.stream().map(BringupEngine.Target::plan).toList();
        if (c.dryRun) {
            WavePlan plan = WavePlanner.plan(planNodes, fleet.power(), PowerModel.outsideLoad(fleet.power(), outside),
                    limits);
            PrintWriter out = cmd.getOut();
            if (c.outputOptions.format() == OutputFormat.table) {
                DryRunRenderer.table(plan, out, c.perNode, Instant.now());
            } else {
                DryRunRenderer.json(plan, out, Instant.now());
            }
            out.flush();
            return ExitCodes.OK;
        }
        // Refuse a plan the budgets cannot carry before anything is recorded or touched (exit 2).
        new Scheduler(planNodes, fleet.power(), PowerModel.outsideLoad(fleet.power(), outside), limits);
        String runId = "br-" + RUN_TIME.format(Instant.now()) + "-" + String.format("%04x",
                ThreadLocalRandom.current().nextInt(0x10000));
        Path runsDir = runsDir(c.runsDir);
        BringupArgs args = new BringupArgs(BringupArgs.COMMAND, fleet.source().toAbsolutePath().toString(),
                List.copyOf(c.fleetOptions.racks), List.copyOf(c.fleetOptions.nodes), c.all,
                override == null ? null : override.builtIn() ? override.value() : override.source(), c.burninSeconds,
                c.fabricSeconds, c.networkSeconds, c.maxParallel, c.maxPerRack, c.stagger.toMillis(), c.maxFailures,
                c.maxFailureRate == null ? null : dev.kiln.cli.bringup.FailureBudget.parseRate(c.maxFailureRate),
                c.minNetworkGbps, c.onAccepted, c.onQuarantined, c.hookTimeoutSeconds,
                c.fanOutOptions.timeout(fleet, FabricCommand.DEFAULT_TIMEOUT).toMillis(), c.fanOutOptions.maxInFlight(),
                runsDir.toString(), host(), ProcessHandle.current().pid(),
                List.of(c.spec.commandLine().getParseResult().originalArgs().toArray(String[]::new)));
        try (ResultsDb db = open(c.db)) {
            return execute(c, db, fleet, targets, outside, args, runId, false);
        }
    }

    /** {@code --resume [RUN]}: the run's own settings and nodes, from the database. */
    static int resume(BringupCommand c) throws InterruptedException {
        CommandLine cmd = c.spec.commandLine();
        try (ResultsDb db = open(c.db)) {
            RunRecord run = BringupCommand.LATEST.equals(c.resume) ? latest(db) : db.run(c.resume).orElseThrow(() ->
                    new UsageException("no run '" + c.resume + "' in " + db.url() + " (" + recent(db) + ")"));
            if (run.state() == RunState.FINISHED) {
                throw new UsageException("run " + run.id() + " finished (exit " + run.exitCode() + ") at "
                        + run.finishedAt() + "; there is nothing to resume. Start a new run for the nodes to test again");
            }
            BringupArgs args = args(run);
            List<String> planned = plannedNodes(run);
            refuseIfAlive(db, run, args, planned);
            boolean fleetGiven = cmd.getParseResult().hasMatchedOption("--fleet");
            Path fleetFile = fleetGiven ? c.fleetOptions.fleetFile : Path.of(args.fleet());
            Fleet fleet = FleetFile.load(fleetFile);
            Map<String, FleetNode> byName = new LinkedHashMap<>();
            fleet.nodes().forEach(n -> byName.put(n.name(), n));
            List<String> missing = planned.stream().filter(n -> !byName.containsKey(n)).toList();
            if (!missing.isEmpty()) {
                throw new UsageException("run " + run.id() + " has node" + (missing.size() == 1 ? " " : "s ")
                        + String.join(", ", missing) + " that " + fleetFile + " does not list; give the fleet file it "
                        + "was started with (--fleet)");
            }
            List<FleetNode> selected = planned.stream().map(byName::get).toList();
            SpecRef override = null;
            if (args.spec() != null) {
                try {
                    override = SpecRef.resolve(args.spec(), Path.of("").toAbsolutePath());
                } catch (SpecRef.NotFound | SpecFileException e) {
                    throw new UsageException("the run's --spec " + args.spec() + " cannot be read any more: "
                            + e.getMessage());
                }
            }
            StageTimes times = times(args.burninSeconds(), args.fabricSeconds(), args.networkSeconds());
            List<BringupEngine.Target> targets = targets(selected, override, times);
            List<PlanNode> outside = outside(fleet, selected, times);
            BringupArgs effective = new BringupArgs(args.command(), args.fleet(), args.racks(), args.nodes(),
                    args.all(), args.spec(), args.burninSeconds(), args.fabricSeconds(), args.networkSeconds(),
                    args.maxParallel(), args.maxPerRack(), args.staggerMillis(), args.maxFailures(),
                    args.maxFailureRate(), args.minNetworkGbps(),
                    c.onAccepted != null ? c.onAccepted : args.onAccepted(),
                    c.onQuarantined != null ? c.onQuarantined : args.onQuarantined(),
                    cmd.getParseResult().hasMatchedOption("--hook-timeout") ? c.hookTimeoutSeconds
                            : args.hookTimeoutSeconds(), args.timeoutMillis(), args.maxInFlight(), args.runsDir(),
                    host(), ProcessHandle.current().pid(), args.argv());
            return execute(c, db, fleet, targets, outside, effective, run.id(), true);
        }
    }

    private static int execute(BringupCommand c, ResultsDb db, Fleet fleet, List<BringupEngine.Target> targets,
                               List<PlanNode> outside, BringupArgs args, String runId, boolean resume)
            throws InterruptedException {
        CommandLine cmd = c.spec.commandLine();
        PrintWriter err = cmd.getErr();
        Limits limits = new Limits(args.maxParallel(), args.maxPerRack() == null ? Limits.UNLIMITED
                : args.maxPerRack(), Duration.ofMillis(args.staggerMillis()));
        Duration timeout = Duration.ofMillis(args.timeoutMillis());
        BringupEngine.Settings settings = BringupEngine.Settings.of(Duration.ofSeconds(args.burninSeconds()),
                        Duration.ofSeconds(args.fabricSeconds()), Duration.ofSeconds(args.networkSeconds()), limits,
                        Path.of(args.runsDir()).resolve(runId))
                .withFailureBudget(args.maxFailures(), args.maxFailureRate())
                .withHooks(args.onAccepted(), args.onQuarantined(), Duration.ofSeconds(args.hookTimeoutSeconds()))
                .withTimings(null, null, null, 3, null, timeout);
        Minimum min = args.minNetworkGbps() != null ? new Minimum(args.minNetworkGbps(), "--min-network-gbps")
                : specMinimum(targets);
        if (min != null) {
            settings = settings.withNetworkMinimum(min.gbps, min.source);
        }
        BringupOutput output = new BringupOutput(c.outputOptions.format(), cmd.getOut(), err,
                BurninCommand.stderrIsTerminal(), KilnCommand.verbose(c.spec));
        BringupEngine.Rollout rollout = new BringupEngine.Rollout(runId, KilnJson.write(args), targets, outside,
                fleet.power());
        try (FanOut fanOut = FanOut.start();
             HttpAgentApi api = new HttpAgentApi(fanOut, timeout, max(timeout, CHECK_TIMEOUT), args.maxInFlight())) {
            BringupEngine engine = new BringupEngine(db, api, output, settings, rollout);
            Thread hook = new Thread(() -> engine.interrupt("interrupted by a signal (Ctrl-C or SIGTERM)",
                    Duration.ofSeconds(20)), "kiln-bringup-interrupt");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                RolloutSummary s = engine.run(resume);
                return s.exitCode();
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    hook.join(); // the JVM is exiting: let the hook see the run recorded as interrupted
                }
            }
        } catch (ResultsDbException e) {
            if (e.reason().userFixable()) {
                throw new UsageException(e.getMessage());
            }
            throw new IllegalStateException("the results database failed: " + e.getMessage() + "; what was recorded is "
                    + "kept: continue with 'kiln bringup --resume " + runId + "'", e);
        }
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    private static ResultsDb open(String flag) {
        String url = ResultsDb.resolveUrl(flag, null);
        try {
            return ResultsDb.open(url);
        } catch (ResultsDbException e) {
            if (e.reason().userFixable()) {
                throw new UsageException(e.getMessage());
            }
            throw e;
        }
    }

    // --- the plan -----------------------------------------------------------------------------------

    /** The planner's estimates for these durations: the jobs' own time plus a little for the worker to start. */
    static StageTimes times(long burninSeconds, long fabricSeconds, long networkSeconds) {
        return StageTimes.defaults(Duration.ofSeconds(burninSeconds))
                .with(Stage.GPU_FABRIC, Duration.ofSeconds(fabricSeconds + 10))
                .with(Stage.NETWORK_FABRIC, Duration.ofSeconds(2 * networkSeconds + 20));
    }

    static List<BringupEngine.Target> targets(List<FleetNode> selected, SpecRef override, StageTimes times) {
        List<BringupEngine.Target> out = new ArrayList<>();
        for (FleetNode n : selected) {
            SpecRef s = override != null ? override : n.spec();
            out.add(new BringupEngine.Target(n, s, new PlanNode(n.name(), n.rack(),
                    PowerModel.estimate(s == null ? null : s.spec(), null), times)));
        }
        return out;
    }

    /** The fleet's other nodes, by their own specs: outside the rollout, at full draw in shared budgets. */
    static List<PlanNode> outside(Fleet fleet, List<FleetNode> selected, StageTimes times) {
        Set<String> in = new HashSet<>();
        selected.forEach(n -> in.add(n.name()));
        List<PlanNode> out = new ArrayList<>();
        for (FleetNode n : fleet.nodes()) {
            if (!in.contains(n.name())) {
                out.add(new PlanNode(n.name(), n.rack(), PowerModel.estimate(n.spec() == null ? null
                        : n.spec().spec(), null), times));
            }
        }
        return out;
    }

    private record Minimum(double gbps, String source) {
    }

    /** The lowest {@code fabric.networkGbitps} among the nodes' specs, if any sets one. */
    private static Minimum specMinimum(List<BringupEngine.Target> targets) {
        Minimum min = null;
        for (BringupEngine.Target t : targets) {
            SpecRef s = t.spec();
            var f = s == null ? null : s.spec().fabric();
            if (f != null && f.networkGbitps() != null && (min == null || f.networkGbitps() < min.gbps)) {
                min = new Minimum(f.networkGbitps(), "spec " + s.name() + ", fabric.networkGbitps");
            }
        }
        return min;
    }

    static Path runsDir(Path flag) {
        if (flag != null) {
            return flag.toAbsolutePath();
        }
        String home = System.getenv(ResultsDb.ENV_HOME);
        if (home != null && !home.isBlank()) {
            return Path.of(home).resolve("runs");
        }
        return Path.of(System.getProperty("user.home"), ".local", "state", "kiln", "runs");
    }

    // --- resume ---------------------------------------------------------------------------------------

    private static RunRecord latest(ResultsDb db) {
        String me = ResultsDb.whoAmI();
        for (RunRecord r : db.unfinishedRuns()) {
            if (me.equals(r.startedBy()) && isBringup(r)) {
                return r;
            }
        }
        throw new UsageException("no unfinished kiln bringup run started by " + me + " in " + db.url() + " ("
                + recent(db) + "); name one: --resume RUN");
    }

    private static boolean isBringup(RunRecord r) {
        try {
            return r.argsJson() != null && BringupArgs.COMMAND.equals(KilnJson.mapper().readTree(r.argsJson())
                    .path("command").asText());
        } catch (IOException e) {
            return false;
        }
    }

    private static String recent(ResultsDb db) {
        List<String> ids = db.recentRuns(5).stream().map(r -> r.id() + " " + r.state().id()).toList();
        return ids.isEmpty() ? "it holds no runs" : "recent runs: " + String.join(", ", ids);
    }

    private static BringupArgs args(RunRecord run) {
        if (!isBringup(run)) {
            throw new UsageException("run " + run.id() + " was not started by kiln bringup; it cannot be resumed here");
        }
        try {
            return KilnJson.mapper().readValue(run.argsJson(), BringupArgs.class);
        } catch (IOException e) {
            throw new UsageException("run " + run.id() + "'s recorded settings cannot be read (" + e.getMessage()
                    + "); it cannot be resumed");
        }
    }

    private static List<String> plannedNodes(RunRecord run) {
        try {
            JsonNode plan = KilnJson.mapper().readTree(run.planJson());
            List<String> out = new ArrayList<>();
            plan.path("nodes").forEach(n -> out.add(n.path("name").asText()));
            return out;
        } catch (IOException | RuntimeException e) {
            throw new UsageException("run " + run.id() + "'s recorded plan cannot be read (" + e.getMessage()
                    + "); it cannot be resumed");
        }
    }

    /**
     * A run whose process still lives must not be resumed twice. On this machine the process ids tell (the one that
     * started it, and the latest that took its leases); a lease held from another machine and not expired means it
     * may run there.
     */
    private static void refuseIfAlive(ResultsDb db, RunRecord run, BringupArgs args, List<String> planned) {
        String me = host();
        long self = ProcessHandle.current().pid();
        List<String[]> holders = new ArrayList<>();
        holders.add(new String[]{args.host(), Long.toString(args.pid()), "started it"});
        for (Lease l : db.leases(planned)) {
            if (!l.runId().equals(run.id())) {
                continue;
            }
            Matcher m = HOLDER.matcher(l.holder());
            if (m.matches()) {
                holders.add(new String[]{m.group(2), m.group(3), "holds its lease on " + l.node()});
                if (!m.group(2).equals(me) && !l.expired()) {
                    throw new UsageException("run " + run.id() + " may still be running on " + m.group(2) + " (pid "
                            + m.group(3) + " holds its lease on " + l.node() + " until " + l.expiresAt() + "); stop it "
                            + "there, or wait for its leases to expire, then resume");
                }
            }
        }
        for (String[] h : holders) {
            long pid = Long.parseLong(h[1]);
            if (me.equals(h[0]) && pid != self && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                throw new UsageException("run " + run.id() + " is still running here (pid " + pid + " " + h[2]
                        + "); stop it first (Ctrl-C leaves it resumable), then resume");
            }
        }
    }

    static String host() {
        String who = ResultsDb.whoAmI();
        return who.substring(who.indexOf('@') + 1);
    }

}
