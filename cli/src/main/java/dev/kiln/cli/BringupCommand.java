package dev.kiln.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code kiln bringup}: the rollout. This class only parses and validates; {@link BringupRun} does the work (and is
 * the only one that loads the results database, so {@code kiln --help} never does).
 */
@Command(name = "bringup", mixinStandardHelpOptions = true,
        header = "Bring nodes from cabled to accepted: reachable, inventory vs spec, health, burn-in, GPU fabric, "
                + "network fabric; accepted or quarantined.",
        description = {"Moves every selected node through the stages, a rolling rollout within --max-parallel, "
                + "--max-per-rack, the power budgets of the fleet file (continuous load at most 80%% of each circuit's "
                + "rating) and --stagger: reachable (GET /v1/node) -> inventory (the inventory-vs-spec checks) -> "
                + "health (the other checks) -> burn-in (a burnin job) -> GPU fabric (a fabric job with the node-local "
                + "tests) -> network fabric (TCP tests against at least two peers that passed GPU fabric, accepted "
                + "ones first; a slow pair is retried with another peer before the node fails) -> accepted. A stage "
                + "that fails, or cannot run, quarantines the node with the findings, the recommended actions and the "
                + "GPU serials to RMA.",
                "",
                "Everything is recorded in the results database (--db; docs/results-db.md): every stage attempt with "
                + "the agent's answer as evidence, verdicts, hooks and events with the estimated watts. Nodes another "
                + "run holds are skipped (with who holds them). Ctrl-C, a crash or kill -9: 'kiln bringup --resume' "
                + "continues, re-attaching to jobs still running on the agents; passed stages are not rerun.",
                "",
                "--dry-run prints the wave plan (start times, waves, peak power per budget, critical path) and touches "
                + "nothing. --max-failures / --max-failure-rate halt the rollout (exit 5) when failures exceed them. "
                + "--on-accepted / --on-quarantined run a command per node ({node} {rack} {verdict} {report} {run}, "
                + "shell-quoted), e.g. to resume or drain it in Slurm; a failing hook is reported and makes the exit "
                + "code at least 3.",
                "",
                "Progress: a live view on a terminal, else a line per stage end on stderr; -o jsonl: one JSON event "
                + "per stage transition (and per verdict, hook, ...) on stdout. At the end: a row per node, the GPUs "
                + "to RMA and a summary (time to production, throughput, peak power per budget). See docs/bringup.md.",
                "",
                "Exit 0 every node accepted; 3 a node quarantined or a hook failed; 4 a node unreachable; 5 halted by "
                + "the failure budget; 2 bad usage or a plan the power budgets cannot carry."})
final class BringupCommand implements Callable<Integer> {
    static final String LATEST = "@latest";

    @Spec
    CommandSpec spec;

    @Mixin
    FleetOptions fleetOptions;

    @Mixin
    FanOutOptions fanOutOptions;

    @Mixin
    OutputOptions outputOptions;

    @Option(names = "--all", description = "Every node of the fleet file (without it, name --rack or --node).")
    boolean all;

    @Option(names = "--spec", paramLabel = "SPEC",
            description = "Judge every node by this spec (a built-in name or a spec file) instead of the fleet file's. "
                    + "Jobs get its name only when it is a built-in (a spec file goes inline to the checks only).")
    String specOption;

    @Option(names = "--burnin", paramLabel = "DURATION", defaultValue = "30m",
            converter = BurninCommand.DurationSeconds.class,
            description = "Burn-in time per node, split over its tests: 90s, 30m, 2h (default: ${DEFAULT-VALUE}).")
    long burninSeconds = 1800;

    @Option(names = "--fabric-duration", paramLabel = "DURATION", defaultValue = "5m",
            converter = BurninCommand.DurationSeconds.class,
            description = "Time of the node-local fabric job (NVLink, GPU P2P, RDMA, NCCL) per node (default: "
                    + "${DEFAULT-VALUE}).")
    long fabricSeconds = 300;

    @Option(names = "--network-duration", paramLabel = "DURATION", defaultValue = "30s",
            converter = BurninCommand.DurationSeconds.class,
            description = "Time of each TCP test between two nodes (default: ${DEFAULT-VALUE}).")
    long networkSeconds = 30;

    int maxParallel = 64;

    @Option(names = "--max-parallel", paramLabel = "N", defaultValue = "64",
            description = "At most N nodes in flight, in any stage (default: ${DEFAULT-VALUE}).")
    void setMaxParallel(int n) {
        if (n < 1 || n > 65_536) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--max-parallel must be between 1 and 65536, "
                    + "got " + n);
        }
        maxParallel = n;
    }

    Integer maxPerRack;

    @Option(names = "--max-per-rack", paramLabel = "N", description = "At most N nodes of one rack in flight "
            + "(default: no limit).")
    void setMaxPerRack(int n) {
        if (n < 1 || n > 65_536) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--max-per-rack must be between 1 and 65536, "
                    + "got " + n);
        }
        maxPerRack = n;
    }

    @Option(names = "--stagger", paramLabel = "DURATION", defaultValue = "10s", converter = Stagger.class,
            description = "Least time between two node starts, and between two burn-in starts, so loads never step "
                    + "up together: 10s, 500ms, 0s for none (default: ${DEFAULT-VALUE}).")
    Duration stagger = Duration.ofSeconds(10);

    Integer maxFailures;

    @Option(names = "--max-failures", paramLabel = "N",
            description = "Halt the rollout (exit 5) when more than N nodes have failed; 0 halts at the first.")
    void setMaxFailures(int n) {
        if (n < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--max-failures must be 0 or more, got " + n);
        }
        maxFailures = n;
    }

    @Option(names = "--max-failure-rate", paramLabel = "P%",
            description = "Halt the rollout (exit 5) when more than P%% of the nodes started have failed (judged once "
                    + "10 have started): 5%%, 2.5%%.")
    String maxFailureRate;

    @Option(names = "--min-network-gbps", paramLabel = "GBITS",
            description = "A network pair is slow below this many Gbit/s either way (default: the specs' "
                    + "fabric.networkGbitps, else half the median of the rollout's pairs so far).")
    Double minNetworkGbps;

    @Option(names = "--dry-run", description = "Print the wave plan and exit; touches no node and no database.")
    boolean dryRun;

    @Option(names = "--per-node", description = "With --dry-run: the schedule of every node too.")
    boolean perNode;

    @Option(names = "--db", paramLabel = "JDBC-URL",
            description = "Results database: jdbc:sqlite:/path/kiln.db or jdbc:postgresql://host[:port]/database "
                    + "(default: $KILN_DB, else $KILN_HOME/kiln.db, else ~/.local/state/kiln/kiln.db).")
    String db;

    @Option(names = "--resume", paramLabel = "RUN", arity = "0..1", fallbackValue = LATEST,
            description = "Continue a run that was interrupted, crashed or killed: RUN, or without it the latest "
                    + "unfinished run you started. Its own settings apply (only --db, --fleet, -o and the hooks may "
                    + "be given again).")
    String resume;

    @Option(names = "--on-accepted", paramLabel = "CMD",
            description = "Run CMD through /bin/sh -c when a node is accepted; {node} {rack} {verdict} {report} {run} "
                    + "are replaced by shell-quoted values.")
    String onAccepted;

    @Option(names = "--on-quarantined", paramLabel = "CMD",
            description = "Run CMD through /bin/sh -c when a node is quarantined (placeholders as --on-accepted).")
    String onQuarantined;

    @Option(names = "--hook-timeout", paramLabel = "DURATION", defaultValue = "2m",
            converter = BurninCommand.DurationSeconds.class,
            description = "A hook still running after this is killed and reported failed (default: ${DEFAULT-VALUE}).")
    long hookTimeoutSeconds = 120;

    @Option(names = "--runs-dir", paramLabel = "DIR",
            description = "Where each run's directory of per-node evidence files goes (default: $KILN_HOME/runs, "
                    + "else ~/.local/state/kiln/runs).")
    Path runsDir;

    @Override
    public Integer call() throws Exception {
        CommandLine cmd = spec.commandLine();
        if (maxFailureRate != null) {
            try {
                dev.kiln.cli.bringup.FailureBudget.parseRate(maxFailureRate);
            } catch (UsageException e) {
                throw new CommandLine.ParameterException(cmd, e.getMessage());
            }
        }
        if (minNetworkGbps != null && !(minNetworkGbps > 0 && minNetworkGbps < 1e6)) {
            throw new CommandLine.ParameterException(cmd, "--min-network-gbps must be above 0 Gbit/s, got "
                    + minNetworkGbps);
        }
        if (resume != null) {
            if (dryRun) {
                throw new CommandLine.ParameterException(cmd, "--resume and --dry-run do not go together");
            }
            if (all || !fleetOptions.racks.isEmpty() || !fleetOptions.nodes.isEmpty()) {
                throw new CommandLine.ParameterException(cmd, "--resume continues the run's own nodes; leave out "
                        + "--rack, --node and --all");
            }
            return BringupRun.resume(this);
        }
        if (!all && fleetOptions.racks.isEmpty() && fleetOptions.nodes.isEmpty()) {
            throw new CommandLine.ParameterException(cmd, "name the nodes to bring up: --rack R (repeatable), --node N, "
                    + "or --all for every node of the fleet file");
        }
        if (all && (!fleetOptions.racks.isEmpty() || !fleetOptions.nodes.isEmpty())) {
            throw new CommandLine.ParameterException(cmd, "--all takes every node; leave out --rack and --node");
        }
        if (perNode && !dryRun) {
            throw new CommandLine.ParameterException(cmd, "--per-node goes with --dry-run");
        }
        return BringupRun.start(this);
    }

    /** {@code 10s}, {@code 500ms}, {@code 1m}, or {@code 0s} / {@code 0} for no stagger. */
    static final class Stagger implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            if (v.equals("0") || v.equals("0s") || v.equals("0ms")) {
                return Duration.ZERO;
            }
            return new FanOutOptions.DurationConverter().convert(value);
        }
    }
}
