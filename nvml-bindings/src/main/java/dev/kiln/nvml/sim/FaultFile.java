package dev.kiln.nvml.sim;

import dev.kiln.nvml.RecoveryAction;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads a faults file (YAML, or JSON which is YAML too):
 * <pre>
 * faults:
 *   - type: pcie-downtrained   # see {@link Fault} for every type
 *     node: node-003           # or 3 (position from 1); omit for every node
 *     gpu: 2                   # slot index from 0
 *     generation: 4
 *     width: 8
 *   - type: nvlink-down
 *     gpu: 1
 *     links: [3, 7]
 *   - type: xid                # an Xid event (79 also loses the GPU)
 *     gpu: 4
 *     code: 79
 *     afterSeconds: 30
 * </pre>
 * Errors name the file, the line and the field, and say what is expected.
 */
public final class FaultFile {
    /** Each fault type and the fields it takes besides {@code type} and {@code node}. */
    private static final Map<String, Set<String>> FIELDS = Map.ofEntries(
            Map.entry("gpu-missing", Set.of("gpu")),
            Map.entry("ecc-uncorrectable", Set.of("gpu", "count")),
            Map.entry("remap-pending", Set.of("gpu")),
            Map.entry("remap-failure", Set.of("gpu")),
            Map.entry("pcie-downtrained", Set.of("gpu", "generation", "width")),
            Map.entry("nvlink-down", Set.of("gpu", "links")),
            Map.entry("thermal-slowdown", Set.of("gpu")),
            Map.entry("gpu-lost", Set.of("gpu", "afterReads", "afterSeconds")),
            Map.entry("missing-symbol", Set.of("symbols", "driverVersion")),
            Map.entry("wrong-vbios", Set.of("gpu", "version")),
            Map.entry("process-running", Set.of("gpu", "pid", "usedMemoryBytes")),
            Map.entry("xid", Set.of("gpu", "code", "afterSeconds")),
            Map.entry("recovery-action", Set.of("gpu", "action")),
            Map.entry("nvlink-degraded", Set.of("gpu", "links", "factor")),
            Map.entry("slow-gpu-pair", Set.of("gpus", "factor")),
            Map.entry("nvlink-errors", Set.of("gpu", "link", "counter", "count")),
            Map.entry("nic-slow", Set.of("gbps")),
            Map.entry("nic-lossy", Set.of("lossPercent")),
            Map.entry("ib-port-errors", Set.of("device", "port", "counter", "count")),
            Map.entry("burnin-wrong-results", Set.of("gpu")),
            Map.entry("burnin-memory-errors", Set.of("gpu", "addresses")),
            Map.entry("burnin-thermal", Set.of("gpu", "afterSeconds")),
            Map.entry("burnin-xid", Set.of("gpu", "code", "afterSeconds")),
            Map.entry("worker-crash", Set.of("afterSeconds")),
            Map.entry("worker-hang", Set.of("afterSeconds")));
    private static final Set<String> TYPES = FIELDS.keySet();
    private static final Set<String> ALL_FIELDS = allFields();

    private static Set<String> allFields() {
        Set<String> all = new java.util.TreeSet<>(Set.of("type", "node"));
        FIELDS.values().forEach(all::addAll);
        return java.util.Collections.unmodifiableSet(all);
    }

    private final String source;

    private FaultFile(String source) {
        this.source = source;
    }

    public static FaultPlan load(Path path) {
        String text;
        try {
            text = Files.readString(path);
        } catch (NoSuchFileException e) {
            throw new FaultFileException("faults file " + path + " does not exist");
        } catch (IOException e) {
            throw new FaultFileException("cannot read faults file " + path + ": " + e.getMessage());
        }
        return parse(path.toString(), new StringReader(text));
    }

    public static FaultPlan parse(String sourceName, Reader reader) {
        return new FaultFile(sourceName).parse(reader);
    }

    private FaultPlan parse(Reader reader) {
        Node root;
        try {
            LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(false);
            root = new Yaml(options).compose(reader);
        } catch (MarkedYAMLException e) {
            throw error(e.getProblemMark() != null ? e.getProblemMark().getLine() + 1 : 0,
                    "not valid YAML: " + e.getProblem());
        } catch (YAMLException e) {
            throw new FaultFileException(source + ": not valid YAML: " + e.getMessage());
        }
        if (root == null) {
            return FaultPlan.NONE;
        }
        Map<String, Node> top = mapping(root, "top level", Set.of("faults"));
        Node faults = top.get("faults");
        if (faults == null) {
            throw error(line(root), "missing field 'faults' (a list of faults)");
        }
        if (!(faults instanceof SequenceNode seq)) {
            throw error(line(faults), "field 'faults' must be a list");
        }
        List<FaultPlan.Rule> rules = new ArrayList<>();
        for (Node item : seq.getValue()) {
            rules.add(rule(item));
        }
        return new FaultPlan(rules);
    }

    private FaultPlan.Rule rule(Node item) {
        Map<String, Node> m = mapping(item, "fault", ALL_FIELDS);
        int line = line(item);
        String type = requiredString(m, "type", line);
        if (!TYPES.contains(type)) {
            throw error(line(m.get("type")), "field 'type': unknown fault type '" + type + "'; expected one of "
                    + TYPES.stream().sorted().toList());
        }
        for (Map.Entry<String, Node> field : m.entrySet()) {
            String f = field.getKey();
            if (!f.equals("type") && !f.equals("node") && !FIELDS.get(type).contains(f)) {
                throw error(line(field.getValue()), "field '" + f + "' does not apply to fault type '" + type
                        + "'; it takes " + FIELDS.get(type).stream().sorted().toList());
            }
        }
        Optional<String> nodeName = Optional.empty();
        Optional<Integer> nodePosition = Optional.empty();
        Node node = m.get("node");
        if (node != null) {
            String v = scalar(node, "node");
            if (v.matches("\\d+")) {
                int pos = Integer.parseInt(v);
                if (pos < 1) {
                    throw error(line(node), "field 'node': positions count from 1, got " + v);
                }
                nodePosition = Optional.of(pos);
            } else {
                nodeName = Optional.of(v);
            }
        }
        Fault fault = switch (type) {
            case "gpu-missing" -> new Fault.GpuMissing(gpu(m, line));
            case "ecc-uncorrectable" -> new Fault.EccUncorrectable(gpu(m, line), optionalLong(m, "count", 1, 1));
            case "remap-pending" -> new Fault.RemapPending(gpu(m, line));
            case "remap-failure" -> new Fault.RemapFailure(gpu(m, line));
            case "pcie-downtrained" -> {
                Optional<Integer> gen = optionalInt(m, "generation", 1, 6);
                Optional<Integer> width = optionalInt(m, "width", 1, 32);
                if (gen.isEmpty() && width.isEmpty()) {
                    throw error(line, "fault 'pcie-downtrained' needs 'generation' and/or 'width'");
                }
                yield new Fault.PcieDowntrained(gpu(m, line), gen, width);
            }
            case "nvlink-down" -> new Fault.NvlinkDown(gpu(m, line), intList(m, "links", 0, 35));
            case "thermal-slowdown" -> new Fault.ThermalSlowdown(gpu(m, line));
            case "gpu-lost" -> new Fault.GpuLost(gpu(m, line), optionalLong(m, "afterReads", 0, 0),
                    Duration.ofMillis(Math.round(optionalDouble(m, "afterSeconds") * 1000)));
            case "missing-symbol" -> {
                List<String> symbols = stringList(m, "symbols");
                if (symbols.isEmpty()) {
                    throw error(line, "fault 'missing-symbol' needs 'symbols' (a list of NVML symbol names)");
                }
                yield new Fault.MissingSymbol(symbols, Optional.ofNullable(m.get("driverVersion"))
                        .map(n -> scalar(n, "driverVersion")));
            }
            case "wrong-vbios" -> new Fault.WrongVbios(gpu(m, line), requiredString(m, "version", line));
            case "process-running" -> new Fault.ProcessRunning(gpu(m, line), optionalLong(m, "pid", 4242, 1),
                    optionalLong(m, "usedMemoryBytes", 1L << 30, 0));
            case "xid" -> {
                if (!m.containsKey("code")) {
                    throw error(line, "fault 'xid' needs 'code' (the Xid number, e.g. 79)");
                }
                yield new Fault.Xid(gpu(m, line), optionalInt(m, "code", 1, 999).orElseThrow(),
                        Duration.ofMillis(Math.round(optionalDouble(m, "afterSeconds") * 1000)));
            }
            case "recovery-action" -> {
                String action = requiredString(m, "action", line);
                RecoveryAction a;
                try {
                    a = RecoveryAction.ofWireName(action);
                } catch (IllegalArgumentException e) {
                    throw error(line(m.get("action")), "field 'action': " + e.getMessage());
                }
                if (a == RecoveryAction.UNKNOWN) {
                    throw error(line(m.get("action")), "field 'action': 'unknown' cannot be injected");
                }
                yield new Fault.DriverRecoveryAction(gpu(m, line), a);
            }
            case "nvlink-degraded" -> new Fault.NvlinkDegraded(gpu(m, line), intList(m, "links", 0, 35),
                    fraction(m, "factor", 0.5));
            case "slow-gpu-pair" -> {
                List<Integer> pair = intList(m, "gpus", 0, 63);
                if (pair.size() != 2 || pair.get(0).equals(pair.get(1))) {
                    throw error(line, "fault 'slow-gpu-pair' needs 'gpus' with two different GPU slots, e.g. [2, 5]");
                }
                yield new Fault.SlowGpuPair(pair.get(0), pair.get(1), fraction(m, "factor", 0.5));
            }
            case "nvlink-errors" -> {
                String counter = m.containsKey("counter") ? scalar(m.get("counter"), "counter") : "replay";
                if (!Fault.NvlinkErrors.COUNTERS.contains(counter)) {
                    throw error(line(m.get("counter")), "field 'counter': unknown NVLink error counter '" + counter
                            + "'; expected one of " + Fault.NvlinkErrors.COUNTERS);
                }
                if (!m.containsKey("link")) {
                    throw error(line, "fault 'nvlink-errors' needs 'link' (the NVLink number from 0)");
                }
                yield new Fault.NvlinkErrors(gpu(m, line), optionalInt(m, "link", 0, 35).orElseThrow(), counter,
                        optionalLong(m, "count", 100, 1));
            }
            case "nic-slow" -> {
                if (!m.containsKey("gbps")) {
                    throw error(line, "fault 'nic-slow' needs 'gbps' (the rate the NIC is held to, Gbit/s)");
                }
                yield new Fault.NicSlow(number(m, "gbps", 0, 0, 1e6, "a rate in Gbit/s"));
            }
            case "nic-lossy" -> new Fault.NicLossy(number(m, "lossPercent", 2.0, 0, 100, "a percentage"));
            case "ib-port-errors" -> new Fault.IbPortErrors(requiredString(m, "device", line),
                    optionalInt(m, "port", 1, 255).orElse(1),
                    m.containsKey("counter") ? scalar(m.get("counter"), "counter") : "symbol_error",
                    optionalLong(m, "count", 100, 1));
            case "burnin-wrong-results" -> new Fault.BurninWrongResults(gpu(m, line));
            case "burnin-memory-errors" -> {
                List<Long> addresses = addressList(m, "addresses");
                if (addresses.isEmpty()) {
                    throw error(line, "fault 'burnin-memory-errors' needs 'addresses' (device addresses, e.g. [0x7f3a00001000])");
                }
                yield new Fault.BurninMemoryErrors(gpu(m, line), addresses);
            }
            case "burnin-thermal" -> new Fault.BurninThermal(gpu(m, line), seconds(m));
            case "burnin-xid" -> new Fault.BurninXid(gpu(m, line), optionalInt(m, "code", 1, 999).orElse(79), seconds(m));
            case "worker-crash" -> new Fault.WorkerCrash(seconds(m));
            case "worker-hang" -> new Fault.WorkerHang(seconds(m));
            default -> throw new IllegalStateException(type);
        };
        return new FaultPlan.Rule(nodeName, nodePosition, fault, line);
    }

    // --- small typed accessors over SnakeYAML nodes, each error naming line and field ----

    private Map<String, Node> mapping(Node node, String what, Set<String> allowed) {
        if (!(node instanceof MappingNode mn)) {
            throw error(line(node), what + " must be a mapping of field: value");
        }
        Map<String, Node> out = new LinkedHashMap<>();
        for (NodeTuple t : mn.getValue()) {
            String key = scalar(t.getKeyNode(), "key");
            if (!allowed.contains(key)) {
                throw error(line(t.getKeyNode()), "unknown field '" + key + "' in " + what + "; expected one of "
                        + allowed.stream().sorted().toList());
            }
            // LoaderOptions.setAllowDuplicateKeys only acts when constructing objects, not in compose(),
            // so a repeated field would silently override the first one: reject it here.
            Node first = out.put(key, t.getValueNode());
            if (first != null) {
                throw error(line(t.getKeyNode()), "field '" + key + "' is given twice in " + what
                        + " (first on line " + line(first) + ")");
            }
        }
        return out;
    }

    private String scalar(Node node, String field) {
        if (!(node instanceof ScalarNode s)) {
            throw error(line(node), "field '" + field + "' must be a single value");
        }
        return s.getValue();
    }

    private String requiredString(Map<String, Node> m, String field, int line) {
        Node n = m.get(field);
        if (n == null) {
            throw error(line, "missing field '" + field + "'");
        }
        String v = scalar(n, field).trim();
        if (v.isEmpty()) {
            throw error(line(n), "field '" + field + "' is empty");
        }
        return v;
    }

    private int gpu(Map<String, Node> m, int line) {
        if (!m.containsKey("gpu")) {
            throw error(line, "missing field 'gpu' (the GPU slot index, from 0)");
        }
        return optionalInt(m, "gpu", 0, 63).orElseThrow();
    }

    private Optional<Integer> optionalInt(Map<String, Node> m, String field, int min, int max) {
        Node n = m.get(field);
        if (n == null) {
            return Optional.empty();
        }
        return Optional.of(parseInt(n, field, min, max));
    }

    private int parseInt(Node n, String field, int min, int max) {
        String v = scalar(n, field).trim();
        try {
            int i = Integer.parseInt(v);
            if (i < min || i > max) {
                throw error(line(n), "field '" + field + "' must be between " + min + " and " + max + ", got " + v);
            }
            return i;
        } catch (NumberFormatException e) {
            throw error(line(n), "field '" + field + "' must be an integer, got '" + v + "'");
        }
    }

    private long optionalLong(Map<String, Node> m, String field, long dflt, long min) {
        Node n = m.get(field);
        if (n == null) {
            return dflt;
        }
        String v = scalar(n, field).trim();
        try {
            long l = Long.parseLong(v);
            if (l < min) {
                throw error(line(n), "field '" + field + "' must be at least " + min + ", got " + v);
            }
            return l;
        } catch (NumberFormatException e) {
            throw error(line(n), "field '" + field + "' must be an integer, got '" + v + "'");
        }
    }

    /** {@code fraction} of normal speed: above 0 and below 1. */
    private double fraction(Map<String, Node> m, String field, double dflt) {
        return number(m, field, dflt, 0, 1, "a fraction of normal speed");
    }

    /** A number strictly between {@code min} and {@code max}; {@code dflt} when the field is absent. */
    private double number(Map<String, Node> m, String field, double dflt, double min, double max, String what) {
        Node n = m.get(field);
        if (n == null) {
            return dflt;
        }
        String v = scalar(n, field).trim();
        double d;
        try {
            d = Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw error(line(n), "field '" + field + "' must be " + what + ", got '" + v + "'");
        }
        if (!(d > min && d < max)) {
            throw error(line(n), "field '" + field + "' must be " + what + " between " + fmt(min) + " and "
                    + fmt(max) + " (exclusive), got " + v);
        }
        return d;
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    private double optionalDouble(Map<String, Node> m, String field) {
        Node n = m.get(field);
        if (n == null) {
            return 0;
        }
        String v = scalar(n, field).trim();
        try {
            double d = Double.parseDouble(v);
            if (d < 0 || Double.isNaN(d) || Double.isInfinite(d)) {
                throw error(line(n), "field '" + field + "' must be a number of seconds >= 0, got " + v);
            }
            return d;
        } catch (NumberFormatException e) {
            throw error(line(n), "field '" + field + "' must be a number of seconds, got '" + v + "'");
        }
    }

    private List<Integer> intList(Map<String, Node> m, String field, int min, int max) {
        Node n = m.get(field);
        if (n == null) {
            return List.of();
        }
        if (!(n instanceof SequenceNode seq)) {
            return List.of(parseInt(n, field, min, max));
        }
        List<Integer> out = new ArrayList<>();
        for (Node item : seq.getValue()) {
            out.add(parseInt(item, field, min, max));
        }
        return out;
    }

    private Duration seconds(Map<String, Node> m) {
        return Duration.ofMillis(Math.round(optionalDouble(m, "afterSeconds") * 1000));
    }

    /** Addresses as hex ({@code 0x7f3a00001000}) or decimal integers, each at least 0. */
    private List<Long> addressList(Map<String, Node> m, String field) {
        Node n = m.get(field);
        if (n == null) {
            return List.of();
        }
        List<Node> items = n instanceof SequenceNode seq ? seq.getValue() : List.of(n);
        List<Long> out = new ArrayList<>();
        for (Node item : items) {
            String v = scalar(item, field).trim();
            try {
                long a = v.startsWith("0x") || v.startsWith("0X") ? Long.parseUnsignedLong(v.substring(2), 16)
                        : Long.parseLong(v);
                if (a < 0) {
                    throw new NumberFormatException();
                }
                out.add(a);
            } catch (NumberFormatException e) {
                throw error(line(item), "field '" + field + "' must hold addresses such as 0x7f3a00001000, got '" + v + "'");
            }
        }
        return out;
    }

    private List<String> stringList(Map<String, Node> m, String field) {
        Node n = m.get(field);
        if (n == null) {
            return List.of();
        }
        if (!(n instanceof SequenceNode seq)) {
            return List.of(scalar(n, field));
        }
        return seq.getValue().stream().map(item -> scalar(item, field)).toList();
    }

    private static int line(Node node) {
        return node == null || node.getStartMark() == null ? 0 : node.getStartMark().getLine() + 1;
    }

    private FaultFileException error(int line, String message) {
        return new FaultFileException(source + (line > 0 ? ":" + line : "") + ": " + message);
    }
}
