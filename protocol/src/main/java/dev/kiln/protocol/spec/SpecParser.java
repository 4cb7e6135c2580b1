package dev.kiln.protocol.spec;

import dev.kiln.protocol.spec.SpecProblem.Severity;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

import java.io.Reader;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Walks a spec file's SnakeYAML node tree (never YAML's own type guessing, so {@code 00000000:18:00.0}
 * and {@code 96.00.74.00.1C} stay text) and collects every problem instead of stopping at the first:
 * {@link SpecFile#parse} throws the first error, {@link SpecLint} returns them all. After an error the walk
 * goes on with the next field; a field with an error gets no "not set" warning.
 */
final class SpecParser {
    static final List<String> TOP = List.of("spec", "description", "gpu", "driver", "infiniband", "host",
            "thresholds", "burnin", "fabric", "checks");
    static final List<String> GPU = List.of("count", "model", "memoryMiB", "busIds", "vbios", "pcie", "nvlinks",
            "ecc", "persistence", "mig", "powerLimitWatts");
    static final List<String> PCIE = List.of("generation", "width");
    static final List<String> DRIVER = List.of("min", "max");
    static final List<String> INFINIBAND = List.of("ports", "rateGbps", "state");
    static final List<String> HOST = List.of("cpuSockets", "memoryGiB", "overheadWatts");
    static final List<String> THRESHOLDS = List.of("temperatureMarginCelsius", "eccUncorrectable", "xid");
    static final List<String> XID = List.of("fail", "warn", "windowMinutes");
    static final List<String> CHECKS = List.of("disabled");
    static final List<String> BURNIN = List.of("computeTflopsFp32", "computeTflopsTensor", "hbmGbps", "pcieGbps");
    static final List<String> FABRIC = List.of("p2pGBps", "p2pBidirGBps", "p2pLatencyUs", "hostGBps", "networkGbitps",
            "rdmaGbitps", "ncclBusbwGBps");

    static final List<Integer> PCIE_WIDTHS = List.of(1, 2, 4, 8, 12, 16, 32);
    static final List<String> IB_STATES = List.of("DOWN", "INIT", "ARMED", "ACTIVE", "ACTIVE_DEFER");
    static final int MAX_GPUS = 64;
    /** NVML_NVLINK_MAX_LINKS. */
    static final int MAX_NVLINKS = 18;
    static final long MAX_MEMORY_MIB = 16L * 1024 * 1024;
    static final int MAX_POWER_WATTS = 5000;
    static final double MAX_IB_RATE_GBPS = 3200;
    static final long MAX_HOST_MEMORY_GIB = 1024L * 1024;
    /** Upper bound of {@code host.overheadWatts}: far above any server, so a kW-for-W typo is caught. */
    static final int MAX_HOST_OVERHEAD_WATTS = 50_000;
    static final int MAX_XID = 999;
    static final int MAX_WINDOW_MINUTES = 525_600;
    /** Upper bound of any burn-in minimum (TFLOP/s or GB/s); far above any GPU, so a typo is caught. */
    static final double MAX_BURNIN = 1_000_000;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    private static final Pattern BUS_ID = Pattern.compile(
            "([0-9A-Fa-f]{4}|[0-9A-Fa-f]{8}):([0-9A-Fa-f]{2}):([0-9A-Fa-f]{2})\\.([0-7])");
    private static final Pattern VBIOS = Pattern.compile("[0-9A-Fa-f]{2}(\\.[0-9A-Fa-f]{2}){4}");
    private static final Pattern DECIMAL = Pattern.compile("[-+]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][-+]?\\d+)?");
    /** GPUs that have no NVLink at all (PCIe cards): an NVLink expectation on them is a mistake. */
    private static final Pattern NO_NVLINK_MODEL = Pattern.compile("(?i)\\b(L40S|L40|L20|L4|A10G?|A16|A2|T4)\\b");
    /** SXM parts, which have NVLinks: {@code nvlinks: 0} on them switches the NVLink check off. */
    private static final Pattern SXM_MODEL = Pattern.compile(
            "(?i)SXM|\\bH100 80GB HBM3\\b|^NVIDIA H200$|^NVIDIA G?B[23]00\\b");
    /** The Xids of the default policy, with what they mean (shared/reference/field-facts.md). */
    private static final Map<Integer, String> KNOWN_XIDS = new TreeMap<>(Map.of(
            48, "double-bit ECC error", 63, "row remap or page retirement recorded",
            64, "row remap or page retirement failed", 74, "NVLink error", 79, "GPU fell off the bus",
            92, "high single-bit ECC error rate", 94, "contained ECC error", 95, "uncontained ECC error"));

    /** What each section, when left out, leaves unchecked (in file order, for stable warnings). */
    private static final List<Map.Entry<String, List<String>>> SECTION_CHECKS = List.of(
            Map.entry("gpu", List.of(CheckIds.GPU_COUNT, CheckIds.GPU_MODEL, CheckIds.GPU_MEMORY, CheckIds.GPU_VBIOS,
                    CheckIds.GPU_PCIE_LINK, CheckIds.GPU_NVLINK_LINKS, CheckIds.GPU_ECC_MODE,
                    CheckIds.GPU_PERSISTENCE, CheckIds.GPU_MIG, CheckIds.GPU_POWER_LIMIT)),
            Map.entry("driver", List.of(CheckIds.DRIVER_VERSION)),
            Map.entry("infiniband", List.of(CheckIds.IB_PORT_STATE, CheckIds.IB_PORT_RATE)),
            Map.entry("host", List.of(CheckIds.HOST_CPU, CheckIds.HOST_MEMORY)));

    record Result(NodeSpec spec, List<SpecProblem> problems) {
        boolean hasErrors() {
            return problems.stream().anyMatch(SpecProblem::isError);
        }
    }

    /** A mapping's fields by name, the key nodes (for lines), its path and the line of the key that holds it. */
    private record Section(String path, int line, Map<String, Node> fields, Map<String, Node> keys) {
    }

    private final String source;
    private final boolean withLines;
    private final List<SpecProblem> problems = new ArrayList<>();
    /** Field paths that had an error: no "not set" warning for them. */
    private final Set<String> bad = new HashSet<>();
    private Set<String> disabled = Set.of();

    /**
     * @param withLines false for text that is not what the user wrote (a JSON body re-serialised by
     *                  Jackson): problems then name only the field
     */
    SpecParser(String source, boolean withLines) {
        this.source = source;
        this.withLines = withLines;
    }

    Result parse(Reader reader) {
        NodeSpec spec = null;
        Node root = compose(reader);
        if (root != null) {
            spec = spec(root);
        } else if (problems.isEmpty()) {
            error(0, null, "the spec file is empty; it needs at least 'spec: NAME' (see docs/spec-file.md)");
        }
        List<SpecProblem> sorted = new ArrayList<>(problems);
        sorted.sort(Comparator.comparingInt(SpecProblem::line)); // stable: same line keeps discovery order
        boolean errors = sorted.stream().anyMatch(SpecProblem::isError);
        return new Result(errors ? null : spec, List.copyOf(sorted));
    }

    private Node compose(Reader reader) {
        try {
            LoaderOptions options = new LoaderOptions();
            options.setAllowDuplicateKeys(false);
            options.setMaxAliasesForCollections(10);
            options.setCodePointLimit(1024 * 1024);
            return new Yaml(options).compose(reader);
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() != null ? e.getProblemMark().getLine() + 1 : 0;
            error(line, null, "not valid YAML: " + e.getProblem());
        } catch (YAMLException e) {
            error(0, null, "not valid YAML: " + e.getMessage());
        }
        return null;
    }

    // --- the spec, section by section ---------------------------------------------------------

    private NodeSpec spec(Node root) {
        Section top = section(root, "", TOP, line(root));
        if (top == null) {
            return null;
        }
        disabled = checks(top); // first, so "not set" warnings leave disabled checks alone
        String name = name(top);
        String description = string(top, "description");
        NodeSpec.GpuSpec gpu = gpu(top);
        NodeSpec.DriverSpec driver = driver(top);
        NodeSpec.InfinibandSpec infiniband = infiniband(top);
        NodeSpec.HostSpec host = host(top);
        missingSections(top);
        NodeSpec.Thresholds thresholds = thresholds(top);
        NodeSpec.BurninSpec burnin = burnin(top);
        NodeSpec.FabricSpec fabric = fabric(top);
        return new NodeSpec(name, description, gpu, driver, infiniband, host, thresholds, disabled, burnin, fabric);
    }

    private String name(Section top) {
        Node n = present(top, "spec");
        if (n == null) {
            error(top.line, "spec", "missing field 'spec': the spec's name, e.g. hgx-h100");
            return null;
        }
        String v = text(n, "spec", "a name");
        if (v != null && !NAME.matcher(v).matches()) {
            fail(n, "spec", "must be a name of letters, digits, '.', '_' and '-' (at most 63, e.g. hgx-h100), got '"
                    + v + "'");
            return null;
        }
        return v;
    }

    private NodeSpec.GpuSpec gpu(Section top) {
        Section g = child(top, "gpu", GPU);
        if (g == null) {
            return null;
        }
        Integer count = integer(g, "count", 1, MAX_GPUS);
        String model = string(g, "model");
        Long memoryMiB = longValue(g, "memoryMiB", 1, MAX_MEMORY_MIB);
        List<String> busIds = busIds(g, count);
        List<String> vbios = vbios(g);
        Integer generation = null;
        Integer width = null;
        Section pcie = child(g, "pcie", PCIE);
        if (pcie != null) {
            generation = integer(pcie, "generation", 1, 6);
            width = oneOf(pcie, "width", PCIE_WIDTHS, "a PCIe link width");
            if (generation == null && width == null && !bad.contains("gpu.pcie.generation")
                    && !bad.contains("gpu.pcie.width")) {
                notSetWarning(pcie.line, "gpu.pcie", "sets neither generation nor width", CheckIds.GPU_PCIE_LINK);
            }
        }
        Integer nvlinks = integer(g, "nvlinks", 0, MAX_NVLINKS);
        Boolean ecc = bool(g, "ecc");
        Boolean persistence = bool(g, "persistence");
        Boolean mig = bool(g, "mig");
        Integer powerLimitWatts = integer(g, "powerLimitWatts", 1, MAX_POWER_WATTS);

        notSet(g, "count", CheckIds.GPU_COUNT);
        notSet(g, "model", CheckIds.GPU_MODEL);
        notSet(g, "memoryMiB", CheckIds.GPU_MEMORY);
        notSet(g, "vbios", CheckIds.GPU_VBIOS);
        notSet(g, "pcie", CheckIds.GPU_PCIE_LINK);
        notSet(g, "nvlinks", CheckIds.GPU_NVLINK_LINKS);
        notSet(g, "ecc", CheckIds.GPU_ECC_MODE);
        notSet(g, "persistence", CheckIds.GPU_PERSISTENCE);
        notSet(g, "mig", CheckIds.GPU_MIG);
        notSet(g, "powerLimitWatts", CheckIds.GPU_POWER_LIMIT);
        if (count != null && present(g, "busIds") == null && !bad.contains("gpu.busIds")) {
            warn(g.line, "gpu.busIds", "gpu.busIds not set: a missing GPU is reported by count only, not by its slot");
        }
        if (model != null && nvlinks != null && !disabled.contains(CheckIds.GPU_NVLINK_LINKS)) {
            if (nvlinks > 0 && NO_NVLINK_MODEL.matcher(model).find()) {
                warn(line(g.fields.get("nvlinks")), "gpu.nvlinks", "gpu.nvlinks is " + nvlinks + " but " + model
                        + " is a PCIe card without NVLink: set 0, or gpu.nvlink.links will FAIL every GPU");
            } else if (nvlinks == 0 && SXM_MODEL.matcher(model).find()) {
                warn(line(g.fields.get("nvlinks")), "gpu.nvlinks", "gpu.nvlinks is 0 but " + model
                        + " is an SXM part with NVLinks: gpu.nvlink.links will expect none and find nothing wrong");
            }
        }
        return new NodeSpec.GpuSpec(count, model, memoryMiB, busIds, vbios, generation, width, nvlinks, ecc,
                persistence, mig, powerLimitWatts);
    }

    private List<String> busIds(Section g, Integer count) {
        List<Node> items = items(g, "busIds", "PCI bus ids");
        if (items == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        Map<String, String> seen = new HashMap<>();
        for (int i = 0; i < items.size(); i++) {
            String fp = "gpu.busIds[" + i + "]";
            Node n = items.get(i);
            String v = itemText(n, fp, "a PCI bus id");
            if (v == null) {
                continue;
            }
            var m = BUS_ID.matcher(v);
            if (!m.matches()) {
                fail(n, fp, "must be a PCI bus id domain:bus:device.function in hex, like 00000000:18:00.0, got '"
                        + v + "'");
                continue;
            }
            // NVML's form: 8-digit domain, upper-case hex.
            String id = ("0000" + m.group(1)).substring(m.group(1).length() == 8 ? 4 : 0).toUpperCase(Locale.ROOT)
                    + ":" + m.group(2).toUpperCase(Locale.ROOT) + ":" + m.group(3).toUpperCase(Locale.ROOT)
                    + "." + m.group(4);
            String first = seen.putIfAbsent(id, fp);
            if (first != null) {
                fail(n, fp, "repeats bus id " + id + " (already " + first + "); each GPU has its own slot");
                continue;
            }
            out.add(id);
        }
        Node n = g.fields.get("busIds");
        if (count != null && !out.isEmpty() && items.size() != count && !bad.contains("gpu.busIds")) {
            fail(n, "gpu.busIds", "lists " + items.size() + " bus ids but gpu.count is " + count
                    + "; list one bus id per GPU");
        }
        return out;
    }

    private List<String> vbios(Section g) {
        List<Node> items = items(g, "vbios", "VBIOS versions");
        if (items == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            String fp = "gpu.vbios[" + i + "]";
            Node n = items.get(i);
            String v = itemText(n, fp, "a VBIOS version");
            if (v == null) {
                continue;
            }
            if (out.stream().anyMatch(v::equalsIgnoreCase)) {
                warn(line(n), fp, "gpu.vbios lists " + v + " twice");
                continue;
            }
            if (!VBIOS.matcher(v).matches()) {
                warn(line(n), fp, "gpu.vbios entry '" + v + "' does not look like an NVIDIA VBIOS version "
                        + "(five hex pairs, e.g. 96.00.74.00.1C); every GPU will FAIL gpu.vbios unless it matches exactly");
            }
            out.add(v);
        }
        return out;
    }

    private NodeSpec.DriverSpec driver(Section top) {
        Section d = child(top, "driver", DRIVER);
        if (d == null) {
            return null;
        }
        String min = version(d, "min");
        String max = version(d, "max");
        if (min != null && max != null && DriverVersions.compare(min, max) > 0) {
            fail(d.fields.get("max"), "driver.max", "(" + max + ") is below driver.min (" + min
                    + "); the range is inclusive, min <= max");
        }
        if (present(d, "min") == null && present(d, "max") == null) {
            notSetWarning(d.line, "driver", "sets neither min nor max", CheckIds.DRIVER_VERSION);
        }
        return new NodeSpec.DriverSpec(min, max);
    }

    private String version(Section d, String name) {
        Node n = present(d, name);
        if (n == null) {
            return null;
        }
        String fp = join(d.path, name);
        String v = text(n, fp, "a driver version");
        if (v != null && !DriverVersions.isValid(v)) {
            fail(n, fp, "must be a driver version of dotted numbers, like 550.54.15, got '" + v + "'");
            return null;
        }
        return v;
    }

    private NodeSpec.InfinibandSpec infiniband(Section top) {
        Section ib = child(top, "infiniband", INFINIBAND);
        if (ib == null) {
            return null;
        }
        Integer ports = integer(ib, "ports", 0, 64);
        Double rate = number(ib, "rateGbps", MAX_IB_RATE_GBPS);
        String state = null;
        Node n = present(ib, "state");
        if (n != null) {
            String v = text(n, "infiniband.state", "a port state");
            if (v != null) {
                state = v.toUpperCase(Locale.ROOT);
                if (!IB_STATES.contains(state)) {
                    fail(n, "infiniband.state", "must be one of " + String.join(", ", IB_STATES) + ", got '" + v + "'");
                    state = null;
                }
            }
        }
        if (present(ib, "ports") == null && present(ib, "state") == null && !bad.contains("infiniband.ports")
                && !bad.contains("infiniband.state")) {
            notSetWarning(ib.line, "infiniband", "sets neither ports nor state", CheckIds.IB_PORT_STATE);
        }
        notSet(ib, "rateGbps", CheckIds.IB_PORT_RATE);
        return new NodeSpec.InfinibandSpec(ports, rate, state);
    }

    private NodeSpec.HostSpec host(Section top) {
        Section h = child(top, "host", HOST);
        if (h == null) {
            return null;
        }
        Integer sockets = integer(h, "cpuSockets", 1, 16);
        Long memory = longValue(h, "memoryGiB", 1, MAX_HOST_MEMORY_GIB);
        Integer overhead = integer(h, "overheadWatts", 0, MAX_HOST_OVERHEAD_WATTS); // not a check: no "not set" warning
        notSet(h, "cpuSockets", CheckIds.HOST_CPU);
        notSet(h, "memoryGiB", CheckIds.HOST_MEMORY);
        return new NodeSpec.HostSpec(sockets, memory, overhead);
    }

    private void missingSections(Section top) {
        for (Map.Entry<String, List<String>> e : SECTION_CHECKS) {
            String section = e.getKey();
            if (present(top, section) == null && !bad.contains(section)) {
                List<String> skipped = e.getValue().stream().filter(c -> !disabled.contains(c)).toList();
                if (!skipped.isEmpty()) {
                    Node key = top.keys.get(section);
                    warn(key != null ? line(key) : top.line, section, "no '" + section + "' section: check"
                            + (skipped.size() > 1 ? "s " : " ") + String.join(", ", skipped) + " will be SKIPped");
                }
            }
        }
    }

    private NodeSpec.Thresholds thresholds(Section top) {
        Section t = child(top, "thresholds", THRESHOLDS);
        if (t == null) {
            return NodeSpec.Thresholds.DEFAULT;
        }
        Integer margin = integer(t, "temperatureMarginCelsius", 0, 100);
        Long ecc = longValue(t, "eccUncorrectable", 0, Long.MAX_VALUE);
        if (ecc != null && ecc > 0 && !disabled.contains(CheckIds.GPU_ECC_UNCORRECTABLE)) {
            warn(line(t.fields.get("eccUncorrectable")), "thresholds.eccUncorrectable", "thresholds.eccUncorrectable is "
                    + ecc + ": a GPU with up to " + ecc + " uncorrectable ECC error" + (ecc > 1 ? "s" : "")
                    + " passes gpu.ecc.uncorrectable");
        }
        NodeSpec.XidPolicy xid = xid(t);
        return new NodeSpec.Thresholds(margin, ecc, xid);
    }

    private NodeSpec.BurninSpec burnin(Section top) {
        if (present(top, "burnin") == null) {
            if (!bad.contains("burnin")) {
                Node key = top.keys.get("burnin");
                warn(key != null ? line(key) : top.line, "burnin", "no 'burnin' section: burn-in throughput is "
                        + "judged by Kiln's per-model defaults (none for an unknown GPU model)");
            }
            return null;
        }
        Section b = child(top, "burnin", BURNIN);
        if (b == null) {
            return null;
        }
        Double fp32 = number(b, "computeTflopsFp32", MAX_BURNIN);
        Double tensor = number(b, "computeTflopsTensor", MAX_BURNIN);
        Double hbm = number(b, "hbmGbps", MAX_BURNIN);
        Double pcie = number(b, "pcieGbps", MAX_BURNIN);
        return new NodeSpec.BurninSpec(fp32, tensor, hbm, pcie);
    }

    /** The optional {@code fabric} section; absent: Kiln's per-model defaults judge (no warning: most specs rely on them). */
    private NodeSpec.FabricSpec fabric(Section top) {
        if (present(top, "fabric") == null) {
            return null;
        }
        Section f = child(top, "fabric", FABRIC);
        if (f == null) {
            return null;
        }
        return new NodeSpec.FabricSpec(number(f, "p2pGBps", MAX_BURNIN), number(f, "p2pBidirGBps", MAX_BURNIN),
                number(f, "p2pLatencyUs", MAX_BURNIN), number(f, "hostGBps", MAX_BURNIN),
                number(f, "networkGbitps", MAX_BURNIN), number(f, "rdmaGbitps", MAX_BURNIN),
                number(f, "ncclBusbwGBps", MAX_BURNIN));
    }

    /** One Xid list as written: each Xid with its node and its index in the list. */
    private record XidList(Map<Integer, Node> nodes, Map<Integer, Integer> index) {
    }

    private NodeSpec.XidPolicy xid(Section t) {
        Section x = child(t, "xid", XID);
        if (x == null) {
            return NodeSpec.XidPolicy.DEFAULT;
        }
        XidList fail = xids(x, "fail");
        XidList warn = xids(x, "warn");
        Integer window = integer(x, "windowMinutes", 1, MAX_WINDOW_MINUTES);
        // A list left out keeps its default, less the Xids the other list claims (moving 63 to fail is one line).
        Set<Integer> failSet = new TreeSet<>(fail != null ? fail.nodes.keySet() : NodeSpec.XidPolicy.DEFAULT.fail());
        Set<Integer> warnSet = new TreeSet<>(warn != null ? warn.nodes.keySet() : NodeSpec.XidPolicy.DEFAULT.warn());
        if (fail == null && warn != null) {
            failSet.removeAll(warnSet);
        } else if (warn == null && fail != null) {
            warnSet.removeAll(failSet);
        } else if (fail != null) {
            for (Map.Entry<Integer, Node> e : warn.nodes.entrySet()) {
                if (fail.nodes.containsKey(e.getKey())) {
                    fail(e.getValue(), "thresholds.xid.warn[" + warn.index.get(e.getKey()) + "]", "is Xid "
                            + e.getKey() + ", which thresholds.xid.fail lists too; list each Xid once");
                }
            }
        }
        if (!disabled.contains(CheckIds.GPU_XID_RECENT) && !bad.contains("thresholds.xid.fail")
                && !bad.contains("thresholds.xid.warn")) {
            for (Map.Entry<Integer, String> known : KNOWN_XIDS.entrySet()) {
                if (!failSet.contains(known.getKey()) && !warnSet.contains(known.getKey())) {
                    warn(x.line, "thresholds.xid", "Xid " + known.getKey() + " (" + known.getValue() + ") is in neither "
                            + "thresholds.xid.fail nor thresholds.xid.warn: gpu.xid.recent will ignore it");
                }
            }
        }
        return new NodeSpec.XidPolicy(failSet, warnSet, window);
    }

    /** Xid numbers as written; null when the field is absent. */
    private XidList xids(Section x, String name) {
        List<Node> items = items(x, name, "Xid numbers");
        if (items == null) {
            return null;
        }
        Map<Integer, Node> nodes = new LinkedHashMap<>();
        Map<Integer, Integer> index = new HashMap<>();
        for (int i = 0; i < items.size(); i++) {
            String fp = "thresholds.xid." + name + "[" + i + "]";
            Long v = parseLong(items.get(i), fp, 1, MAX_XID, true);
            if (v == null) {
                continue;
            }
            if (nodes.putIfAbsent(v.intValue(), items.get(i)) != null) {
                warn(line(items.get(i)), fp, "thresholds.xid." + name + " lists Xid " + v + " twice");
            } else {
                index.put(v.intValue(), i);
            }
        }
        return new XidList(nodes, index);
    }

    private Set<String> checks(Section top) {
        Section c = child(top, "checks", CHECKS);
        if (c == null) {
            return Set.of();
        }
        List<Node> items = items(c, "disabled", "check ids");
        if (items == null) {
            return Set.of();
        }
        Set<String> out = new LinkedHashSet<>();
        for (int i = 0; i < items.size(); i++) {
            String fp = "checks.disabled[" + i + "]";
            Node n = items.get(i);
            String v = itemText(n, fp, "a check id");
            if (v == null) {
                continue;
            }
            if (!CheckIds.isKnown(v)) {
                fail(n, fp, "is not a known check id: '" + v + "'" + CheckIds.suggest(v).map(s -> " (did you mean '"
                        + s + "'?)").orElse("") + "; known ids: " + String.join(", ", CheckIds.ALL));
                continue;
            }
            if (!out.add(v)) {
                warn(line(n), fp, "checks.disabled lists " + v + " twice");
            }
        }
        return out;
    }

    // --- typed accessors over SnakeYAML nodes; each error names line and field --------------

    /** The mapping under {@code name} in {@code parent}; null when absent, null-valued, or not a mapping (an error). */
    private Section child(Section parent, String name, List<String> allowed) {
        Node n = present(parent, name);
        if (n == null) {
            return null;
        }
        return section(n, join(parent.path, name), allowed, line(parent.keys.get(name)));
    }

    private Section section(Node node, String path, List<String> allowed, int keyLine) {
        if (!(node instanceof MappingNode mn)) {
            if (path.isEmpty()) {
                error(line(node), null, "the top level must be a mapping of field: value (spec: NAME, gpu: ...)"
                        + got(node));
            } else {
                fail(node, path, "must be a mapping of field: value" + got(node));
            }
            return null;
        }
        Map<String, Node> fields = new LinkedHashMap<>();
        Map<String, Node> keys = new LinkedHashMap<>();
        for (NodeTuple t : mn.getValue()) {
            if (!(t.getKeyNode() instanceof ScalarNode k)) {
                error(line(t.getKeyNode()), path.isEmpty() ? null : path, "field names"
                        + (path.isEmpty() ? "" : " in '" + path + "'") + " must be plain words, not lists or mappings");
                continue;
            }
            String key = k.getValue();
            String fp = join(path, key);
            if (!allowed.contains(key)) {
                Optional<String> meant = Suggestions.closest(key, allowed);
                error(line(k), fp, "unknown field '" + fp + "'" + meant.map(s -> " (did you mean '" + s + "'?)")
                        .orElse("") + "; expected one of " + String.join(", ", allowed));
                // A misspelt field is not also "not set".
                meant.ifPresent(s -> bad.add(join(path, s)));
                continue;
            }
            Node firstKey = keys.putIfAbsent(key, k);
            if (firstKey != null) {
                error(line(k), fp, "field '" + fp + "' is given twice (first on line " + line(firstKey) + ")");
                bad.add(fp);
                continue;
            }
            fields.put(key, t.getValueNode());
        }
        return new Section(path, keyLine, fields, keys);
    }

    /** The value node of {@code name}, or null when the field is absent or null ({@code ~}, {@code null}, empty). */
    private static Node present(Section s, String name) {
        Node n = s.fields.get(name);
        return n == null || isNull(n) ? null : n;
    }

    private String text(Node n, String fp, String expected) {
        if (!(n instanceof ScalarNode s)) {
            fail(n, fp, "must be " + expected + got(n));
            return null;
        }
        String v = s.getValue().trim();
        if (v.isEmpty()) {
            fail(n, fp, "is empty; give " + expected + " or leave the field out");
            return null;
        }
        return v;
    }

    /** A list item's text: null items are errors (a list of nothing is a mistake). */
    private String itemText(Node n, String fp, String expected) {
        if (isNull(n)) {
            fail(n, fp, "is empty; give " + expected + " or remove the item");
            return null;
        }
        return text(n, fp, expected);
    }

    private String string(Section s, String name) {
        Node n = present(s, name);
        return n == null ? null : text(n, join(s.path, name), "text");
    }

    private Integer integer(Section s, String name, int min, int max) {
        Long v = longValue(s, name, min, max);
        return v == null ? null : v.intValue();
    }

    private Long longValue(Section s, String name, long min, long max) {
        Node n = present(s, name);
        return n == null ? null : parseLong(n, join(s.path, name), min, max, false);
    }

    private Long parseLong(Node n, String fp, long min, long max, boolean item) {
        String expected = max == Long.MAX_VALUE ? "an integer >= " + min : "an integer " + min + ".." + max;
        String v = item ? itemText(n, fp, expected) : text(n, fp, expected);
        if (v == null) {
            return null;
        }
        long l;
        try {
            l = Long.parseLong(v);
        } catch (NumberFormatException e) {
            fail(n, fp, "must be " + expected + ", got '" + v + "'");
            return null;
        }
        if (l < min || l > max) {
            fail(n, fp, "must be " + expected + ", got " + v);
            return null;
        }
        return l;
    }

    private Integer oneOf(Section s, String name, List<Integer> allowed, String what) {
        Node n = present(s, name);
        if (n == null) {
            return null;
        }
        String fp = join(s.path, name);
        String expected = what + ": one of " + allowed.stream().map(String::valueOf).reduce((a, b) -> a + ", " + b)
                .orElseThrow();
        String v = text(n, fp, expected);
        if (v == null) {
            return null;
        }
        try {
            int i = Integer.parseInt(v);
            if (allowed.contains(i)) {
                return i;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        fail(n, fp, "must be " + expected + ", got '" + v + "'");
        return null;
    }

    private Double number(Section s, String name, double max) {
        Node n = present(s, name);
        if (n == null) {
            return null;
        }
        String fp = join(s.path, name);
        String expected = "a number above 0 and at most " + (long) max;
        String v = text(n, fp, expected);
        if (v == null) {
            return null;
        }
        if (!DECIMAL.matcher(v).matches()) {
            fail(n, fp, "must be " + expected + ", got '" + v + "'");
            return null;
        }
        double d = Double.parseDouble(v);
        if (!(d > 0) || d > max) {
            fail(n, fp, "must be " + expected + ", got " + v);
            return null;
        }
        return d;
    }

    private Boolean bool(Section s, String name) {
        Node n = present(s, name);
        if (n == null) {
            return null;
        }
        String fp = join(s.path, name);
        String v = text(n, fp, "true or false");
        if (v == null) {
            return null;
        }
        if (v.equalsIgnoreCase("true")) {
            return Boolean.TRUE;
        }
        if (v.equalsIgnoreCase("false")) {
            return Boolean.FALSE;
        }
        fail(n, fp, "must be true or false, got '" + v + "'");
        return null;
    }

    /** A list's items; a single value counts as a list of one; null when absent or null. */
    private List<Node> items(Section s, String name, String what) {
        Node n = present(s, name);
        if (n == null) {
            return null;
        }
        if (n instanceof SequenceNode seq) {
            return seq.getValue();
        }
        if (n instanceof ScalarNode) {
            return List.of(n);
        }
        fail(n, join(s.path, name), "must be a list of " + what + got(n));
        return null;
    }

    // --- warnings ---------------------------------------------------------------------------

    private void notSet(Section s, String name, String checkId) {
        String fp = join(s.path, name);
        if (present(s, name) == null && !bad.contains(fp)) {
            Node key = s.keys.get(name);
            notSetWarning(key != null ? line(key) : s.line, fp, "not set", checkId);
        }
    }

    private void notSetWarning(int line, String fp, String what, String checkId) {
        if (!disabled.contains(checkId)) {
            warn(line, fp, fp + " " + what + ": check " + checkId + " will be SKIPped (set it, or list " + checkId
                    + " in checks.disabled)");
        }
    }

    // --- problems ---------------------------------------------------------------------------

    private static String got(Node n) {
        if (n instanceof SequenceNode) {
            return ", got a list";
        }
        if (n instanceof MappingNode) {
            return ", got a mapping";
        }
        if (n instanceof ScalarNode s) {
            return ", got '" + s.getValue() + "'";
        }
        return "";
    }

    /** An error about the value of field {@code fp}: "field 'fp' ...". */
    private void fail(Node n, String fp, String tail) {
        bad.add(fp);
        int bracket = fp.indexOf('[');
        if (bracket > 0) {
            bad.add(fp.substring(0, bracket));
        }
        error(line(n), fp, "field '" + fp + "' " + tail);
    }

    private void error(int line, String field, String message) {
        problems.add(new SpecProblem(source, withLines ? line : 0, field, Severity.ERROR, message));
    }

    private void warn(int line, String field, String message) {
        problems.add(new SpecProblem(source, withLines ? line : 0, field, Severity.WARNING, message));
    }

    private static String join(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    private static boolean isNull(Node n) {
        return n instanceof ScalarNode s && Tag.NULL.equals(s.getTag());
    }

    private static int line(Node node) {
        return node == null || node.getStartMark() == null ? 0 : node.getStartMark().getLine() + 1;
    }
}
