package dev.kiln.cli;

import dev.kiln.agent.fleet.FleetSimulator;
import dev.kiln.agent.fleet.RunningFleet;
import dev.kiln.cli.fanout.FanOut;
import dev.kiln.cli.fanout.NodeResult;
import dev.kiln.cli.fleet.Fleet;
import dev.kiln.cli.fleet.FleetFile;
import dev.kiln.cli.fleet.FleetNode;
import dev.kiln.cli.fleet.SpecRef;
import dev.kiln.cli.output.OutputFormat;
import dev.kiln.nvml.sim.Fault;
import dev.kiln.nvml.sim.FaultPlan;
import dev.kiln.nvml.sim.ServerPreset;
import dev.kiln.nvml.sim.ServerPresets;
import dev.kiln.protocol.InventoryDocument;
import dev.kiln.protocol.spec.BuiltinSpecs;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code kiln demo}: a guided tour against an in-process simulated fleet with a few faults. Narration
 * goes to stderr; the tables and findings (what the real commands print) go to stdout.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        header = "Start a simulated fleet with a few faults and walk through kiln against it.",
        description = {"Starts N simulated kiln-agents on 127.0.0.1 in this process (no GPUs, no root, nothing "
                + "installed), injects faults (a PCIe link trained down, a missing GPU, NVLinks down, a GPU with "
                + "a different VBIOS, a GPU that falls off the bus), runs 'kiln status', 'kiln inventory', "
                + "'kiln check' against the preset's golden spec and 'kiln inventory --diff' against them, points "
                + "at the faulty GPUs; then 'kiln bringup --all' (burn-in and fabric tests scaled down to seconds, "
                + "results in a throwaway SQLite database) quarantines exactly the faulty nodes and accepts the rest, "
                + "and 'kiln report' writes the acceptance report (--report). Then it stops the fleet. Takes about a "
                + "minute (a few seconds with --skip-bringup); always exits 0 unless the demo itself breaks."})
final class DemoCommand implements Callable<Integer> {
    private static final int MAX_NODES = 512;

    @Spec
    CommandSpec spec;

    private int nodes = 16;

    @Option(names = "--nodes", paramLabel = "N", defaultValue = "16",
            description = "Simulated nodes, 1.." + MAX_NODES + " (default: ${DEFAULT-VALUE}).")
    void setNodes(int n) {
        if (n < 1 || n > MAX_NODES) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--nodes must be between 1 and " + MAX_NODES + ", got " + n);
        }
        nodes = n;
    }

    private ServerPreset preset = ServerPresets.HGX_H100;

    @Option(names = "--preset", paramLabel = "PRESET", defaultValue = "hgx-h100",
            description = "Simulated server: hgx-h100, hgx-h200, hgx-b200, pcie-l40s (default: ${DEFAULT-VALUE}).")
    void setPreset(String id) {
        preset = ServerPresets.find(id).orElseThrow(() -> new CommandLine.ParameterException(spec.commandLine(),
                "unknown preset '" + id + "'; choose one of " + String.join(", ", ServerPresets.ids())));
    }

    @Option(names = "--report", paramLabel = "FILE", defaultValue = "kiln-demo-report.html",
            description = "Where the bring-up's HTML acceptance report goes (default: ${DEFAULT-VALUE} in the current "
                    + "directory).")
    Path report;

    @Option(names = "--skip-bringup", description = "Only the few-second tour: no bring-up, no report.")
    boolean skipBringup;

    /** One injected fault (null: injected later through a test hook) and the sentence that announces it. */
    private record Planned(String node, int position, Fault fault, String story) {
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        long t0 = System.nanoTime();
        List<Planned> planned = plan();
        Planned lost = lostGpu();
        Path dir = Files.createTempDirectory("kiln-demo-");
        try {
            say(err, "kiln demo: %d simulated %s servers (%s). Nothing here touches real hardware.",
                    nodes, preset.id(), preset.description());
            say(err, "");
            step(err, 1, "Starting %d kiln-agents on 127.0.0.1, each with its own port, bearer token check and "
                    + "simulated GPUs. Injected faults:", nodes);
            for (Planned p : planned) {
                say(err, "        - %s: %s", p.node(), p.story());
            }
            FaultPlan faults = new FaultPlan(planned.stream().filter(p -> p.fault() != null)
                    .map(p -> new FaultPlan.Rule(Optional.of(p.node()), Optional.empty(), p.fault(), 0)).toList());
            try (RunningFleet fleet = FleetSimulator.start(FleetSimulator.options(nodes, preset, faults, dir))) {
                Path fleetFile = fleet.fleetFile();
                say(err, "      Fleet file %s lists them by rack; every command below reads it.", fleetFile);
                Fleet parsed = FleetFile.load(fleetFile);
                Duration timeout = parsed.timeout().orElse(FanOutOptions.DEFAULT_TIMEOUT);
                try (FanOut fanOut = FanOut.start()) {
                    say(err, "");
                    step(err, 2, "$ kiln status --fleet %s", fleetFile);
                    StatusReport status = new StatusReport(OutputFormat.table, out);
                    fanOut.run(parsed.nodes(), Agents.NODE_PATH, Agents.NODE_INFO, timeout,
                            FanOutOptions.DEFAULT_MAX_IN_FLIGHT, status, null);
                    status.finish(err);
                    say(err, "      Every agent answers (exit status %d). A node with fewer GPUs than its siblings "
                            + "already shows; the rest needs the inventory.", status.tally.exitCode());

                    say(err, "");
                    Inventory first = inventory(fanOut, parsed.nodes(), Agents.INVENTORY_PATH, timeout);
                    step(err, 3, "$ kiln inventory --fleet %s --node %s", fleetFile,
                            String.join(",", first.findings.keySet()));
                    say(err, "      (kiln inventory read all %d nodes, %d GPUs; shown here: the nodes with findings, "
                            + "as --node selects them)", first.tally.nodes, first.tally.gpus);
                    first.print(out, err);
                    say(err, "      Exit status %d: inventory lists what the nodes are; judging them is 'kiln check'.",
                            first.tally.exitCode());

                    say(err, "");
                    SpecRef golden = new SpecRef(preset.id(), SpecRef.BUILT_IN, BuiltinSpecs.get(preset.id()));
                    step(err, 4, "$ kiln check --fleet %s --spec %s", fleetFile, preset.id());
                    say(err, "      Every node against the golden spec of its SKU (built-in '%s'; 'kiln spec capture' "
                            + "writes one from a known-good node):", preset.id());
                    int checked = check(fanOut, parsed.nodes(), golden, out, err);
                    say(err, "      Exit status %d: each fault is a FAIL of the check that owns it, naming the GPU, its "
                            + "serial and bus id, and what to do.", checked);

                    say(err, "");
                    step(err, 5, "$ kiln inventory --fleet %s --diff --spec %s", fleetFile, preset.id());
                    InventoryDiff diff = new InventoryDiff(n -> golden);
                    fanOut.run(parsed.nodes(), Agents.INVENTORY_PATH, Agents.INVENTORY, timeout,
                            FanOutOptions.DEFAULT_MAX_IN_FLIGHT, diff, null);
                    diff.print(out);
                    out.println();
                    say(err, "      Exit status %d: the one GPU whose VBIOS differs from its %d siblings stands out.",
                            diff.exitCode(), diff.tally.gpus - 1);

                    say(err, "");
                    int lostGpu = ((Fault.GpuLost) lost.fault()).gpu();
                    step(err, 6, "Meanwhile %s GPU %d falls off the bus (as after an Xid 79 error).", lost.node(),
                            lostGpu);
                    fleet.agent(lost.node()).simulatedServer().gpu(lostGpu).loseNow();

                    say(err, "");
                    step(err, 7, "$ kiln check --fleet %s --spec %s --node %s", fleetFile, preset.id(), lost.node());
                    int second = check(fanOut, parsed.nodes().stream().filter(n -> n.name().equals(lost.node()))
                            .toList(), golden, out, err);
                    say(err, "      Exit status %d: gpu.lost fails. The agent still names the GPU by the serial it last "
                            + "read, so the technician knows which board to pull.", second);
                }
                if (!skipBringup) {
                    bringup(fleetFile, dir, planned, out, err);
                }
                say(err, "");
                step(err, steps(), "Next, in a terminal of your own:");
                say(err, "        bin/kiln-agent simulate-fleet --nodes %d --preset %s --fleet-file fleet.yaml   "
                        + "# serves until Ctrl-C; --faults FILE injects faults (docs/faults.md)", nodes, preset.id());
                say(err, "        bin/kiln status --fleet fleet.yaml");
                say(err, "        bin/kiln check --fleet fleet.yaml --spec %s        # or 'spec: %s' in the fleet file",
                        preset.id(), preset.id());
                say(err, "        bin/kiln spec capture --fleet fleet.yaml --node node-001 -o my-sku.yaml   "
                        + "# a spec from a known-good node");
                say(err, "        bin/kiln inventory --fleet fleet.yaml -o json | jq '.[] | {node, gpus: "
                        + "(.inventory.gpus | length)}'");
                say(err, "        bin/kiln bringup --fleet fleet.yaml --all --dry-run   # the wave plan; without --dry-run "
                        + "the rollout (docs/bringup.md)");
                say(err, "        bin/kiln report --format html --out report.html       # from the results database "
                        + "(~/.local/state/kiln/kiln.db)");
                say(err, "      On real nodes: run kiln-agent on each, list them in a fleet file (docs/fleet-file.md), "
                        + "and pass --fleet.");
                say(err, "");
                say(err, "Stopping the simulated fleet. Demo done in %.1f s.", (System.nanoTime() - t0) / 1e9);
            }
        } finally {
            deleteTree(dir);
        }
        return ExitCodes.OK;
    }

    /**
     * Steps 8 and 9: the real {@code kiln bringup} and {@code kiln report} commands against the same fleet, with the
     * burn-in and fabric tests scaled down to seconds and a throwaway database in the demo's temp directory.
     */
    private void bringup(Path fleetFile, Path dir, List<Planned> planned, PrintWriter out, PrintWriter err) {
        String db = "jdbc:sqlite:" + dir.resolve("kiln.db");
        List<String> args = List.of("bringup", "--fleet", fleetFile.toString(), "--all", "--burnin", "5s",
                "--fabric-duration", "3s", "--network-duration", "1s", "--stagger", "0s", "--max-parallel", "8",
                // Loopback TCP between agents sharing this process's two cores is all the demo can measure; a real
                // fleet judges against the spec's fabric.networkGbitps.
                "--min-network-gbps", "0.2", "--db", db, "--runs-dir", dir.resolve("runs").toString());
        say(err, "");
        step(err, 8, "$ kiln %s", String.join(" ", args).replace(dir.toString(), "$TMP"));
        say(err, "      The headline: every node through reachable -> inventory vs spec -> health -> burn-in -> GPU "
                + "fabric -> network fabric, %d at a time, every stage recorded in a results database. Burn-in and fabric "
                + "tests last seconds here (real: --burnin 30m).", 8);
        int code = kiln(out, err, args);
        List<String> faulty = planned.stream().map(Planned::node).distinct().sorted().toList();
        say(err, "      Exit status %d (3: a node was quarantined). The faults were injected on %s: those should be "
                + "the quarantined rows above, each with its findings and the serials to RMA, and every other node "
                + "accepted. After Ctrl-C or a crash, 'kiln bringup --resume' continues where it stopped.",
                code, String.join(", ", faulty));

        say(err, "");
        Path html = report.toAbsolutePath();
        List<String> reportArgs = List.of("report", "--db", db, "--fleet", fleetFile.toString(), "--format", "html",
                "--out", html.toString());
        step(err, 9, "$ kiln %s", String.join(" ", reportArgs).replace(dir.toString(), "$TMP"));
        int written = kiln(out, err, reportArgs);
        if (written == ExitCodes.OK) {
            say(err, "      The acceptance report, one self-contained HTML file (no internet needed): per rack and node "
                    + "the verdict, findings and GPUs to RMA, burn-in charts, GPU-pair heatmaps, time to production. "
                    + "Open %s in a browser; --format json|junit|csv for automation.", html);
        } else {
            say(err, "      The report could not be written (exit status %d, above); choose another place with "
                    + "--report FILE.", written);
        }
    }

    /** Runs one kiln command line as {@code kiln} would, printing to the demo's streams. */
    private static int kiln(PrintWriter out, PrintWriter err, List<String> args) {
        CommandLine cl = KilnCli.commandLine();
        cl.setOut(out);
        cl.setErr(err);
        int code = cl.execute(args.toArray(String[]::new));
        out.flush();
        err.flush();
        return code;
    }

    /** One inventory fan-out, kept whole (a demo fleet is small) with each node's findings. */
    private final class Inventory {
        final List<NodeResult<InventoryDocument>> results = new ArrayList<>();
        final Map<String, List<String>> findings = new LinkedHashMap<>();
        final Tally tally = new Tally();

        /** The table of the nodes with findings, then the findings, on stdout (what a user would read). */
        void print(PrintWriter out, PrintWriter err) {
            InventoryReport shown = new InventoryReport(OutputFormat.table, out);
            results.stream().filter(r -> findings.containsKey(r.node().name())).forEach(shown);
            shown.finish(err);
            out.println();
            out.println("Findings:");
            findings.values().forEach(list -> list.forEach(line -> out.println("  " + line)));
            out.println();
            out.flush();
        }
    }

    /** {@code kiln check} as the command prints it; returns its exit status. */
    private static int check(FanOut fanOut, List<FleetNode> targets, SpecRef spec, PrintWriter out, PrintWriter err)
            throws InterruptedException {
        CheckOutput output = new CheckOutput(OutputFormat.table, out, n -> spec, false);
        fanOut.run(targets, CheckCommand.request(targets, n -> spec, List.of(), List.of()), Agents.CHECK_REPORT,
                CheckCommand.DEFAULT_TIMEOUT, FanOutOptions.DEFAULT_MAX_IN_FLIGHT, output, null);
        output.finish(err);
        out.println();
        out.flush();
        return output.tally.exitCode();
    }

    private Inventory inventory(FanOut fanOut, List<FleetNode> targets, String path, Duration timeout)
            throws InterruptedException {
        Inventory inv = new Inventory();
        fanOut.run(targets, path, Agents.INVENTORY, timeout, FanOutOptions.DEFAULT_MAX_IN_FLIGHT, r -> {
            inv.tally.count(r, r.body() == null ? List.of() : Agents.check(r.body()),
                    r.body() == null ? 0 : r.body().gpus().size());
            inv.results.add(r);
            List<String> f = r.body() == null ? List.of(r.node().name() + ": " + r.error().message())
                    : Findings.of(r.node().name(), r.body(), preset.gpuBusIds());
            if (!f.isEmpty()) {
                inv.findings.put(r.node().name(), f);
            }
        }, null);
        return inv;
    }

    /** Faults at fixed positions (3, 5, 7, 13 of 16; the last node on a smaller fleet), adapted to the preset. */
    private List<Planned> plan() {
        int gpus = preset.gpuCount();
        int maxGen = preset.gpu().pcieGeneration();
        int maxWidth = preset.gpu().pcieWidth();
        List<Planned> p = new ArrayList<>();
        int pcieGpu = 2 % gpus;
        int gen = Math.max(1, maxGen - 1);
        int width = Math.max(1, maxWidth / 2);
        p.add(planned(3, new Fault.PcieDowntrained(pcieGpu, Optional.of(gen), Optional.of(width)),
                "GPU " + pcieGpu + " PCIe link trained down to Gen" + gen + " x" + width + " (max Gen" + maxGen + " x"
                        + maxWidth + ")"));
        int missing = 3 % gpus;
        p.add(planned(5, new Fault.GpuMissing(missing), "GPU in slot " + missing + " (" + preset.gpuBusIds().get(missing)
                + ") does not enumerate"));
        if (preset.nvlinksPerGpu() > 2) {
            int nvGpu = 1 % gpus;
            List<Integer> links = List.of(3, Math.min(7, preset.nvlinksPerGpu() - 1));
            p.add(planned(7, new Fault.NvlinkDown(nvGpu, links), "GPU " + nvGpu + " NVLinks " + links.get(0) + " and "
                    + links.get(1) + " down"));
        }
        int vbiosGpu = 4 % gpus;
        String vbios = "96.00.5E.00.02".equals(preset.gpu().vbiosVersion()) ? "96.00.74.00.01" : "96.00.5E.00.02";
        p.add(planned(13, new Fault.WrongVbios(vbiosGpu, vbios), "GPU " + vbiosGpu + " flashed with VBIOS " + vbios
                + " (its siblings run " + preset.gpu().vbiosVersion() + ")"));
        Planned lost = lostGpu();
        p.add(new Planned(lost.node(), lost.position(), null, "GPU " + ((Fault.GpuLost) lost.fault()).gpu()
                + " will fall off the bus while the demo runs"));
        return p;
    }

    /** The GPU the demo loses mid-way (through the simulator's test hook, after status has seen it healthy). */
    private Planned lostGpu() {
        int gpu = Math.max(0, preset.gpuCount() - 2);
        int position = Math.min(11, nodes);
        return new Planned(FleetSimulator.nodeName(position), position, new Fault.GpuLost(gpu, 0, Duration.ZERO), "");
    }

    private Planned planned(int position, Fault fault, String story) {
        int pos = Math.min(position, nodes);
        return new Planned(FleetSimulator.nodeName(pos), pos, fault, story);
    }

    private int steps() {
        return skipBringup ? 8 : 10;
    }

    /** A numbered step's first line: "[n/total] ...". */
    private void step(PrintWriter err, int n, String format, Object... args) {
        say(err, "[" + n + "/" + steps() + "] " + format, args);
    }

    private static void say(PrintWriter err, String format, Object... args) {
        err.println(args.length == 0 ? format : String.format(format, args));
        err.flush();
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // A leftover file in a temp dir is harmless.
                }
            });
        } catch (IOException e) {
            // Same.
        }
    }
}
