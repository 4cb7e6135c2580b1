package dev.kiln.agent.fabric.net;

import dev.kiln.protocol.fabric.FabricFinding;
import dev.kiln.protocol.fabric.FabricTestIds;
import dev.kiln.protocol.fabric.ToolRun;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * nccl-tests' {@code all_reduce_perf}: intra-node ({@code -g <gpus>}, one process), and across nodes when an MPI
 * launcher is configured (one rank per GPU, {@code -g 1}). Parsed from its text report:
 * <pre>
 * #       size         count      type   redop    root     time   algbw   busbw #wrong     time   algbw   busbw #wrong
 *   134217728      33554432     float     sum      -1    1652.2   81.24  152.32      0    1636.7   82.01  153.76      0
 * # Avg bus bandwidth    : 70.742
 * </pre>
 * Metrics: {@code avgBusbwGBps} (the tool's average over all sizes, when printed), {@code maxBusbwGBps} (best row,
 * out-of-place or in-place), {@code wrong} (sum of {@code #wrong} over both columns; older nccl-tests print a float
 * max error there instead of a count, which is not counted), {@code outOfBounds} (when printed), {@code sizes}.
 *
 * <p>Verdicts: any wrong result -> FAIL ("wrong results"); the best bus bandwidth under the minimum -> FAIL (the
 * best, not the average: the average over sizes from 8 bytes is dominated by latency-bound small messages and is
 * not what a platform's figures quote); a missing tool or launcher -> SKIP; a nonzero exit without wrong results
 * -> ERROR with the output's tail; no data rows -> ERROR.
 */
public final class NcclAllReduce {
    public static final String TOOL = "all_reduce_perf";

    private static final Pattern AVG = Pattern.compile("^#\\s*Avg bus bandwidth\\s*:\\s*([0-9.eE+-]+)\\s*$");
    private static final Pattern OOB = Pattern.compile("^#\\s*Out of bounds values\\s*:\\s*(\\d+)\\s*(\\w+)?\\s*$");
    private static final Pattern INTEGER = Pattern.compile("-?\\d+");
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([a-z]+)}");

    private final ToolRunner runner;

    public NcclAllReduce(ToolRunner runner) {
        this.runner = Objects.requireNonNull(runner, "runner");
    }

    /** {@code all_reduce_perf -b 8 -e <maxBytes> -f 2 -g <gpus>}. */
    public static List<String> command(long maxBytes, int gpus) {
        if (maxBytes < 8 || gpus < 1) {
            throw new IllegalArgumentException("all_reduce_perf needs maxBytes >= 8 and at least one GPU");
        }
        return List.of(TOOL, "-b", "8", "-e", Long.toString(maxBytes), "-f", "2", "-g", Integer.toString(gpus));
    }

    /**
     * A launcher template made into an argv, without a shell: the template is split on whitespace (single or
     * double quotes group words), then placeholders are replaced: {@code {ranks}} (hosts x slots),
     * {@code {hosts}} ("a,b"), {@code {hostslots}} ("a:8,b:8"), {@code {slots}} (GPUs per host), and
     * {@code {command}}, a word of its own that becomes the tool's argv (appended when the template lacks it).
     * Example: {@code mpirun --allow-run-as-root -np {ranks} -H {hostslots} {command}}.
     *
     * @throws IllegalArgumentException for an unknown placeholder or an unbalanced quote
     */
    public static List<String> launch(String template, List<String> hosts, int slotsPerHost, List<String> command) {
        if (template == null || template.isBlank()) {
            throw new IllegalArgumentException("empty launcher template");
        }
        if (hosts.isEmpty() || slotsPerHost < 1) {
            throw new IllegalArgumentException("a multi-node run needs hosts and at least one GPU per host");
        }
        Map<String, String> values = Map.of(
                "ranks", Integer.toString(hosts.size() * slotsPerHost),
                "hosts", String.join(",", hosts),
                "hostslots", String.join(",", hosts.stream().map(h -> h + ":" + slotsPerHost).toList()),
                "slots", Integer.toString(slotsPerHost));
        List<String> out = new ArrayList<>();
        boolean placed = false;
        for (String word : split(template)) {
            if (word.equals("{command}")) {
                out.addAll(command);
                placed = true;
                continue;
            }
            Matcher m = PLACEHOLDER.matcher(word);
            StringBuilder sb = new StringBuilder();
            while (m.find()) {
                String v = values.get(m.group(1));
                if (v == null) {
                    throw new IllegalArgumentException("launcher template: unknown placeholder {" + m.group(1)
                            + "}" + (m.group(1).equals("command") ? " ({command} must be a word of its own)" : "")
                            + "; known: {ranks} {hosts} {hostslots} {slots} {command}");
                }
                m.appendReplacement(sb, Matcher.quoteReplacement(v));
            }
            m.appendTail(sb);
            out.add(sb.toString());
        }
        if (!placed) {
            out.addAll(command);
        }
        return List.copyOf(out);
    }

    /** Shell-like word splitting: whitespace separates, quotes group, no escapes or expansions. */
    static List<String> split(String s) {
        List<String> words = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    cur.append(c);
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    words.add(cur.toString());
                    cur.setLength(0);
                    inWord = false;
                }
            } else {
                cur.append(c);
                inWord = true;
            }
        }
        if (quote != 0) {
            throw new IllegalArgumentException("launcher template: unbalanced " + quote + " quote");
        }
        if (inWord) {
            words.add(cur.toString());
        }
        return words;
    }

    /** Why all_reduce_perf cannot run here, or empty when it is installed. */
    public Optional<String> missing() {
        return runner.find(TOOL).isPresent() ? Optional.empty() : Optional.of(TOOL + " not found in "
                + runner.searched() + ": install nccl-tests (build github.com/NVIDIA/nccl-tests with `make`, add"
                + " MPI=1 for multi-node) and put its build directory on PATH or in the agent's tools directory");
    }

    /** All GPUs of this node in one process. */
    public ToolOutcome runIntraNode(String node, int gpus, long maxBytes, Double minBusbwGBps, String minSource,
                                    Duration timeout, BooleanSupplier cancelled) {
        List<String> command = command(maxBytes, gpus);
        Optional<String> missing = missing();
        if (missing.isPresent()) {
            return ToolOutcome.skip(TOOL, command, missing.get());
        }
        return run(command, timeout, cancelled, minBusbwGBps, minSource,
                List.of(node + " (" + gpus + " GPU" + (gpus == 1 ? "" : "s") + ", intra-node)"),
                "intra-node on " + node);
    }

    /**
     * Across {@code hosts} through the configured launcher, one rank per GPU. The tool's path found here is the
     * one the ranks run (the hosts are expected to share the layout).
     */
    public ToolOutcome runMultiNode(String launcherTemplate, List<String> hosts, int gpusPerHost, long maxBytes,
                                    Double minBusbwGBps, String minSource, Duration timeout, BooleanSupplier cancelled) {
        List<String> tool = command(maxBytes, 1);
        List<String> command;
        try {
            command = launch(launcherTemplate, hosts, gpusPerHost, tool);
        } catch (IllegalArgumentException e) {
            return ToolOutcome.error(TOOL, tool, e.getMessage(), "");
        }
        Optional<String> missing = missing();
        if (missing.isPresent()) {
            return ToolOutcome.skip(TOOL, command, missing.get());
        }
        String launcher = command.getFirst();
        if (runner.find(launcher).isEmpty()) {
            return ToolOutcome.skip(TOOL, command, "MPI launcher " + launcher + " not found in " + runner.searched()
                    + ": install an MPI (Open MPI: apt install openmpi-bin) or fix the configured launcher");
        }
        // the ranks run the tool found here, by absolute path
        Path exe = runner.find(TOOL).orElseThrow();
        List<String> argv = new ArrayList<>(command);
        int at = argv.indexOf(TOOL);
        if (at >= 0) {
            argv.set(at, exe.toString());
        }
        return run(List.copyOf(argv), timeout, cancelled, minBusbwGBps, minSource, List.copyOf(hosts),
                "across " + String.join(", ", hosts));
    }

    private ToolOutcome run(List<String> command, Duration timeout, BooleanSupplier cancelled, Double min,
                            String minSource, List<String> ends, String what) {
        ToolRunner.Result r;
        try {
            r = runner.run(command, timeout, cancelled);
        } catch (IOException e) {
            return ToolOutcome.error(TOOL, command, "cannot start " + command.getFirst() + ": " + e.getMessage(), "");
        }
        return judge(command, r, min, minSource, ends, what);
    }

    static ToolOutcome judge(List<String> command, ToolRunner.Result r, Double min, String minSource,
                             List<String> ends, String what) {
        String killed = ToolOutcome.killedReason(TOOL, r);
        if (killed != null) {
            return ToolOutcome.error(TOOL, command, killed, r.output());
        }
        Optional<Parsed> parsed = parse(r.output());
        String tail = ToolOutcome.tail(r.output());
        if (parsed.isPresent() && parsed.get().wrong() > 0) {
            Parsed p = parsed.get();
            String observed = p.wrong() + " wrong result(s)"
                    + (p.outOfBounds() != null && p.outOfBounds() > 0 ? ", " + p.outOfBounds() + " out-of-bounds value(s)"
                    : "");
            FabricFinding f = new FabricFinding(FabricTestIds.NCCL, FabricFinding.FAIL, "node", ends,
                    observed, "0 wrong results",
                    "all-reduce produced wrong data: a GPU computing wrong, memory errors, or data corrupted on an"
                            + " NVLink/PCIe/network path",
                    "run the burn-in compute and memory tests and fabric.nvlink on the node(s); check for Xids and ECC"
                            + " errors; narrow it down by running all_reduce_perf on subsets of GPUs");
            return new ToolOutcome(new ToolRun(TOOL, command, "FAIL", "wrong results: " + observed + " (" + what
                    + ")", p.metrics(), tail), List.of(f));
        }
        if (r.exitCode() != 0) {
            return ToolOutcome.error(TOOL, command, command.getFirst() + " exited with status " + r.exitCode()
                    + " (" + what + "): " + IbWriteBw.lastMeaningfulLine(r.output()), r.output());
        }
        if (parsed.isEmpty()) {
            return ToolOutcome.error(TOOL, command, "could not parse " + TOOL + "'s output: no data rows (size count"
                    + " type redop root time algbw busbw #wrong ...) (" + what + ")", r.output());
        }
        Parsed p = parsed.get();
        if (min != null && p.maxBusbwGBps() < min) {
            String observed = String.format(Locale.ROOT, "best bus bandwidth %.2f GB/s (average over sizes %s)",
                    p.maxBusbwGBps(), p.avgBusbwGBps() == null ? "not printed"
                            : String.format(Locale.ROOT, "%.2f GB/s", p.avgBusbwGBps()));
            String expected = String.format(Locale.ROOT, "at least %.0f GB/s bus bandwidth (%s)", min,
                    minSource == null ? "minimum" : minSource);
            FabricFinding f = FabricFinding.performance(FabricTestIds.NCCL, FabricFinding.FAIL, "node", ends, observed,
                    expected,
                    ends.size() > 1 ? "the collective across these nodes is slow: an HCA or port below rate, a slow"
                            + " node (see its fabric.network and fabric.rdma results), or fabric congestion"
                            : "the node's GPU interconnect is slow: NVLinks down or degraded, NVSwitch, or GPUs"
                            + " falling back to PCIe (see fabric.nvlink and fabric.p2p)",
                    ends.size() > 1 ? "compare each node's fabric.rdma and fabric.network results; rerun on pairs of"
                            + " nodes to find the slow one"
                            : "check fabric.nvlink and fabric.p2p findings on this node; rerun with NCCL_DEBUG=INFO to"
                            + " see which transport NCCL chose");
            return new ToolOutcome(new ToolRun(TOOL, command, "FAIL", observed + ", below " + expected + " (" + what
                    + ")", p.metrics(), tail), List.of(f));
        }
        return new ToolOutcome(new ToolRun(TOOL, command, "PASS", null, p.metrics(), tail), List.of());
    }

    /**
     * What the report says.
     *
     * @param avgBusbwGBps the tool's "# Avg bus bandwidth" line (null when absent)
     * @param outOfBounds  the tool's "# Out of bounds values" count (null when absent)
     */
    public record Parsed(Double avgBusbwGBps, double maxBusbwGBps, long wrong, Long outOfBounds, int sizes) {
        public Map<String, Double> metrics() {
            Map<String, Double> m = new LinkedHashMap<>();
            if (avgBusbwGBps != null) {
                m.put("avgBusbwGBps", avgBusbwGBps);
            }
            m.put("maxBusbwGBps", maxBusbwGBps);
            m.put("wrong", (double) wrong);
            if (outOfBounds != null) {
                m.put("outOfBounds", (double) outOfBounds);
            }
            m.put("sizes", (double) sizes);
            return m;
        }
    }

    /** The data rows and summary lines of a report; empty when it has no data row. */
    public static Optional<Parsed> parse(String output) {
        if (output == null) {
            return Optional.empty();
        }
        Double avg = null;
        Long oob = null;
        double max = 0;
        long wrong = 0;
        int rows = 0;
        for (String raw : output.split("\\R")) {
            String line = raw.trim();
            if (line.startsWith("#")) {
                Matcher a = AVG.matcher(line);
                if (a.matches()) {
                    try {
                        avg = Double.valueOf(a.group(1));
                    } catch (NumberFormatException e) {
                        // leave it out
                    }
                }
                Matcher o = OOB.matcher(line);
                if (o.matches()) {
                    oob = Long.valueOf(o.group(1));
                }
                continue;
            }
            String[] t = line.split("\\s+");
            // size count type redop [root] time algbw busbw #wrong time algbw busbw #wrong
            if ((t.length != 12 && t.length != 13) || !INTEGER.matcher(t[0]).matches()
                    || !INTEGER.matcher(t[1]).matches()) {
                continue;
            }
            int n = t.length;
            Double oop = number(t[n - 6]);
            Double inp = number(t[n - 2]);
            if (oop == null || inp == null || number(t[n - 8]) == null || number(t[n - 4]) == null) {
                continue;
            }
            rows++;
            max = Math.max(max, Math.max(oop, inp));
            wrong += count(t[n - 5]) + count(t[n - 1]);
        }
        if (rows == 0) {
            return Optional.empty();
        }
        // "Out of bounds values: N FAILED" counts the wrong elements over all rows; trust the larger of the two
        return Optional.of(new Parsed(avg, max, oob == null ? wrong : Math.max(wrong, oob), oob, rows));
    }

    private static Double number(String s) {
        try {
            return Double.valueOf(s);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** A {@code #wrong} cell: a count, or "N/A" (validation off), or an older float error (not a count): 0. */
    private static long count(String s) {
        return INTEGER.matcher(s).matches() ? Long.parseLong(s) : 0;
    }
}
