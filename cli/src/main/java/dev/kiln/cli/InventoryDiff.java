package dev.kiln.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import dev.kiln.cli.fanout.NodeResult;
import dev.kiln.cli.fleet.FleetNode;
import dev.kiln.cli.fleet.SpecRef;
import dev.kiln.cli.output.OutputFormat;
import dev.kiln.protocol.GpuInventory;
import dev.kiln.protocol.IbPort;
import dev.kiln.protocol.InventoryDocument;
import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.spec.DriverVersions;
import dev.kiln.protocol.spec.NodeSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * {@code kiln inventory --diff}: fleet-wide deviations instead of the GPU table. For each compared
 * property, nodes (or GPUs, or InfiniBand ports) are grouped by value; the majority is named with its
 * count, every minority with where it is ("VBIOS: 96.00.74.00.1C on 126 GPUs; 96.00.5E.00.02 on 1 GPU
 * (node-013 GPU 4)"). Nodes are compared with their siblings: those that share a spec (from --spec or the
 * fleet file), so racks of different SKUs do not drown each other in differences. Where a node has a
 * spec, deviations from it are listed too.
 *
 * <p>Each node's answer is reduced to its values as it arrives (never the whole documents), so a large
 * fleet costs a few bytes per GPU.
 */
final class InventoryDiff implements Consumer<NodeResult<InventoryDocument>> {
    /** Names listed per minority in the table before "and N more" (JSON lists all). */
    static final int MAX_LISTED = 10;
    private static final long MIB = 1024L * 1024L;
    private static final long GIB = 1024L * MIB;

    /** What a property is counted per. */
    enum Per {
        NODE("node", "nodes"), GPU("GPU", "GPUs"), PORT("port", "ports");

        final String one;
        final String many;

        Per(String one, String many) {
            this.one = one;
            this.many = many;
        }

        String count(int n) {
            return n + " " + (n == 1 ? one : many);
        }
    }

    /** A compared property; {@code id} is stable for JSON. */
    enum Property {
        GPU_COUNT("gpu.count", "GPU count", Per.NODE),
        GPU_MODEL("gpu.model", "GPU model", Per.GPU),
        GPU_MEMORY("gpu.memory", "memory per GPU", Per.GPU),
        DRIVER_VERSION("driver.version", "driver version", Per.NODE),
        VBIOS("gpu.vbios", "VBIOS", Per.GPU),
        PCIE_MAX("gpu.pcie.max", "PCIe max link", Per.GPU),
        NVLINKS("gpu.nvlinks", "NVLinks per GPU", Per.GPU),
        POWER_LIMIT("gpu.power.limit", "power limit", Per.GPU),
        PERSISTENCE("gpu.persistence", "persistence mode", Per.GPU),
        ECC("gpu.ecc.mode", "ECC mode", Per.GPU),
        MIG("gpu.mig", "MIG mode", Per.GPU),
        IB_PORTS("ib.ports", "InfiniBand ports", Per.NODE),
        IB_RATE("ib.rate", "InfiniBand rate", Per.PORT),
        CPU_SOCKETS("host.cpu.sockets", "CPU sockets", Per.NODE),
        HOST_MEMORY("host.memory", "host memory", Per.NODE);

        final String id;
        final String label;
        final Per per;

        Property(String id, String label, Per per) {
            this.id = id;
            this.label = label;
            this.per = per;
        }
    }

    private final Function<FleetNode, SpecRef> specs;
    private final Map<String, Group> groups = new LinkedHashMap<>();
    private final List<String> nodeNames = new ArrayList<>();
    /** Per node (by index), its InfiniBand port names, for naming a port minority. */
    private final List<List<String>> portNames = new ArrayList<>();
    private final List<NodeResult<InventoryDocument>> failed = new ArrayList<>();
    final Tally tally = new Tally();

    /** @param specs the spec each node is compared with (null: majority only) */
    InventoryDiff(Function<FleetNode, SpecRef> specs) {
        this.specs = specs;
    }

    /** Where a value was seen: (node index, GPU index or port position; -1 for the node itself), packed. */
    private static final class Where {
        private long[] items = new long[4];
        private int size;

        void add(int node, int sub) {
            if (size == items.length) {
                items = Arrays.copyOf(items, size * 2);
            }
            items[size++] = ((long) node << 32) | (sub & 0xffffffffL);
        }

        int size() {
            return size;
        }

        int node(int i) {
            return (int) (items[i] >>> 32);
        }

        int sub(int i) {
            return (int) items[i];
        }
    }

    private record SpecKey(Property property, String observed, String expected) {
    }

    /** Nodes compared with each other: those with the same spec (or none). */
    private static final class Group {
        final SpecRef spec;
        int nodes;
        int gpus;
        int gpusNotOk;
        final Map<Property, Map<String, Where>> values = new LinkedHashMap<>();
        final Map<SpecKey, Where> specDeviations = new LinkedHashMap<>();

        Group(SpecRef spec) {
            this.spec = spec;
            for (Property p : Property.values()) {
                values.put(p, new LinkedHashMap<>());
            }
        }

        void see(Property p, Object value, int node, int sub) {
            values.get(p).computeIfAbsent(value == null ? "unknown" : value.toString(), v -> new Where()).add(node, sub);
        }

        void deviates(Property p, Object observed, Object expected, int node, int sub) {
            specDeviations.computeIfAbsent(new SpecKey(p, observed == null ? "unknown" : observed.toString(),
                    expected.toString()), k -> new Where()).add(node, sub);
        }

        /** Values by count, largest first (ties: first seen); the first is the majority. */
        List<Map.Entry<String, Where>> ranked(Property p) {
            List<Map.Entry<String, Where>> list = new ArrayList<>(values.get(p).entrySet());
            list.sort(Comparator.comparingInt((Map.Entry<String, Where> e) -> e.getValue().size()).reversed());
            return list;
        }

        int deviatingProperties() {
            return (int) values.values().stream().filter(m -> m.size() > 1).count();
        }
    }

    @Override
    public void accept(NodeResult<InventoryDocument> r) {
        InventoryDocument doc = r.body();
        tally.count(r, List.of(), doc == null ? 0 : doc.gpus().size());
        if (doc == null) {
            failed.add(r);
            return;
        }
        SpecRef spec = specs.apply(r.node());
        String key = spec == null ? "" : spec.source() + "\u0000" + spec.name();
        Group g = groups.computeIfAbsent(key, k -> new Group(spec));
        int node = nodeNames.size();
        nodeNames.add(r.node().name());
        List<IbPort> ports = doc.infiniband() == null ? List.of() : doc.infiniband();
        portNames.add(ports.stream().map(p -> p.device() + "/" + p.port()).toList());
        g.nodes++;
        g.gpus += doc.gpus().size();

        g.see(Property.GPU_COUNT, doc.nvml().available() ? Integer.toString(doc.gpus().size())
                : "none (NVML unavailable)", node, -1);
        g.see(Property.DRIVER_VERSION, doc.nvml().driverVersion(), node, -1);
        g.see(Property.IB_PORTS, ports.size(), node, -1);
        g.see(Property.CPU_SOCKETS, doc.host() == null || doc.host().cpu() == null ? null : doc.host().cpu().sockets(),
                node, -1);
        Long memGiB = doc.host() == null || doc.host().memoryTotalBytes() == null ? null
                : Math.round((double) doc.host().memoryTotalBytes() / GIB);
        g.see(Property.HOST_MEMORY, memGiB == null ? null : memGiB + " GiB", node, -1);
        for (int i = 0; i < ports.size(); i++) {
            g.see(Property.IB_RATE, gbps(ports.get(i).rateGbps()), node, i);
        }
        // A GPU that is lost or needs a reset reports stale or no values: kiln check and inventory report it.
        for (GpuInventory gpu : doc.gpus()) {
            if (!GpuInventory.STATE_OK.equals(gpu.state())) {
                g.gpusNotOk++;
                continue;
            }
            int i = gpu.index();
            g.see(Property.GPU_MODEL, gpu.name(), node, i);
            g.see(Property.GPU_MEMORY, mib(gpu), node, i);
            g.see(Property.VBIOS, gpu.vbiosVersion(), node, i);
            g.see(Property.PCIE_MAX, pcieMax(gpu), node, i);
            g.see(Property.NVLINKS, gpu.nvlinks() == null ? null : gpu.nvlinks().size(), node, i);
            Integer w = watts(gpu);
            g.see(Property.POWER_LIMIT, w == null ? null : w + " W", node, i);
            g.see(Property.PERSISTENCE, onOff(gpu.persistenceMode()), node, i);
            g.see(Property.ECC, gpu.ecc() == null ? null : onOff(gpu.ecc().enabled()), node, i);
            g.see(Property.MIG, gpu.mig() == null ? null : onOff(gpu.mig().current()), node, i);
        }
        if (spec != null) {
            compare(g, spec.spec(), doc, node, ports, memGiB);
        }
    }

    /** What differs from the spec, grouped by (property, observed, expected). Unset expectations are not compared. */
    private static void compare(Group g, NodeSpec spec, InventoryDocument doc, int node, List<IbPort> ports,
                                Long memGiB) {
        NodeSpec.GpuSpec s = spec.gpu();
        if (s != null && s.count() != null && doc.gpus().size() != s.count()) {
            g.deviates(Property.GPU_COUNT, doc.gpus().size(), s.count(), node, -1);
        }
        NodeSpec.DriverSpec d = spec.driver();
        String driver = doc.nvml().driverVersion();
        if (d != null && (d.min() != null || d.max() != null) && doc.nvml().available()) {
            boolean ok = DriverVersions.isValid(driver)
                    && (d.min() == null || !DriverVersions.isValid(d.min()) || DriverVersions.compare(driver, d.min()) >= 0)
                    && (d.max() == null || !DriverVersions.isValid(d.max()) || DriverVersions.compare(driver, d.max()) <= 0);
            if (!ok) {
                g.deviates(Property.DRIVER_VERSION, driver, range(d), node, -1);
            }
        }
        NodeSpec.InfinibandSpec ib = spec.infiniband();
        if (ib != null && ib.ports() != null && ports.size() != ib.ports()) {
            g.deviates(Property.IB_PORTS, ports.size(), ib.ports(), node, -1);
        }
        if (ib != null && ib.rateGbps() != null) {
            for (int i = 0; i < ports.size(); i++) {
                Double rate = ports.get(i).rateGbps();
                if (rate == null || Math.abs(rate - ib.rateGbps()) > 1e-6) {
                    g.deviates(Property.IB_RATE, gbps(rate), gbps(ib.rateGbps()), node, i);
                }
            }
        }
        NodeSpec.HostSpec h = spec.host();
        Integer sockets = doc.host() == null || doc.host().cpu() == null ? null : doc.host().cpu().sockets();
        if (h != null && h.cpuSockets() != null && !h.cpuSockets().equals(sockets)) {
            g.deviates(Property.CPU_SOCKETS, sockets, h.cpuSockets(), node, -1);
        }
        Long floorGiB = doc.host() == null || doc.host().memoryTotalBytes() == null ? null
                : doc.host().memoryTotalBytes() / GIB;
        if (h != null && h.memoryGiB() != null && (floorGiB == null || floorGiB < h.memoryGiB())) {
            g.deviates(Property.HOST_MEMORY, memGiB == null ? null : memGiB + " GiB", "at least " + h.memoryGiB()
                    + " GiB", node, -1);
        }
        if (s == null) {
            return;
        }
        for (GpuInventory gpu : doc.gpus()) {
            if (!GpuInventory.STATE_OK.equals(gpu.state())) {
                continue;
            }
            int i = gpu.index();
            if (s.model() != null && !s.model().equals(gpu.name())) {
                g.deviates(Property.GPU_MODEL, gpu.name(), s.model(), node, i);
            }
            if (s.memoryMiB() != null && (gpu.memoryTotalBytes() == null
                    || gpu.memoryTotalBytes() / MIB != s.memoryMiB())) {
                g.deviates(Property.GPU_MEMORY, mib(gpu), s.memoryMiB() + " MiB", node, i);
            }
            if (!s.vbios().isEmpty() && !s.vbios().contains(gpu.vbiosVersion())) {
                g.deviates(Property.VBIOS, gpu.vbiosVersion(), String.join(" or ", s.vbios()), node, i);
            }
            GpuInventory.Pcie p = gpu.pcie();
            Integer gen = p == null ? null : p.maxGeneration();
            Integer width = p == null ? null : p.maxWidth();
            if (s.pcieGeneration() != null && !s.pcieGeneration().equals(gen)
                    || s.pcieWidth() != null && !s.pcieWidth().equals(width)) {
                g.deviates(Property.PCIE_MAX, pcieMax(gpu), InventoryReport.link(s.pcieGeneration(), s.pcieWidth()),
                        node, i);
            }
            // nvlinks: 0 means "no NVLink expectations" (PCIe SKUs), as the checks read it.
            int links = gpu.nvlinks() == null ? 0 : gpu.nvlinks().size();
            if (s.nvlinks() != null && s.nvlinks() > 0 && links != s.nvlinks()) {
                g.deviates(Property.NVLINKS, links, s.nvlinks(), node, i);
            }
            Integer w = watts(gpu);
            if (s.powerLimitWatts() != null && !s.powerLimitWatts().equals(w)) {
                g.deviates(Property.POWER_LIMIT, w == null ? null : w + " W", s.powerLimitWatts() + " W", node, i);
            }
            if (s.persistence() != null && !s.persistence().equals(gpu.persistenceMode())) {
                g.deviates(Property.PERSISTENCE, onOff(gpu.persistenceMode()), onOff(s.persistence()), node, i);
            }
            Boolean ecc = gpu.ecc() == null ? null : gpu.ecc().enabled();
            if (s.ecc() != null && !s.ecc().equals(ecc)) {
                g.deviates(Property.ECC, onOff(ecc), onOff(s.ecc()), node, i);
            }
            Boolean mig = gpu.mig() == null ? null : gpu.mig().current();
            if (s.mig() != null && mig != null && !s.mig().equals(mig)) {
                g.deviates(Property.MIG, onOff(mig), onOff(s.mig()), node, i);
            }
        }
    }

    private static String range(NodeSpec.DriverSpec d) {
        if (d.min() != null && d.max() != null) {
            return d.min() + " to " + d.max();
        }
        return d.min() != null ? "at least " + d.min() : "at most " + d.max();
    }

    private static String mib(GpuInventory g) {
        return g.memoryTotalBytes() == null ? null : (g.memoryTotalBytes() / MIB) + " MiB";
    }

    private static String pcieMax(GpuInventory g) {
        GpuInventory.Pcie p = g.pcie();
        return p == null || p.maxGeneration() == null && p.maxWidth() == null ? null
                : InventoryReport.link(p.maxGeneration(), p.maxWidth());
    }

    private static Integer watts(GpuInventory g) {
        return g.powerEnforcedLimitMilliwatts() == null ? null : Math.round(g.powerEnforcedLimitMilliwatts() / 1000f);
    }

    private static String gbps(Double rate) {
        if (rate == null) {
            return null;
        }
        return (rate == Math.rint(rate) ? Long.toString(rate.longValue()) : rate.toString()) + " Gb/s";
    }

    private static String onOff(Boolean b) {
        return b == null ? null : b ? "on" : "off";
    }

    // --- results ----------------------------------------------------------------------------

    /** Properties that differ from the majority plus spec deviations, over every group. */
    int deviations() {
        int n = 0;
        for (Group g : groups.values()) {
            n += g.deviatingProperties() + g.specDeviations.size();
        }
        return n;
    }

    /** 4 when a node could not be read, else 3 when anything deviates, else 0. */
    int exitCode() {
        if (tally.notQueried() > 0) {
            return ExitCodes.UNREACHABLE;
        }
        return deviations() > 0 ? ExitCodes.CHECK_FAILED : ExitCodes.OK;
    }

    /** {@code node-004 GPU 3}, {@code node-007 mlx5_2/1}, {@code node-005}. */
    private String name(Property p, Where w, int i) {
        String node = nodeNames.get(w.node(i));
        return switch (p.per) {
            case NODE -> node;
            case GPU -> node + " GPU " + w.sub(i);
            case PORT -> {
                List<String> ports = portNames.get(w.node(i));
                int sub = w.sub(i);
                yield node + " " + (sub >= 0 && sub < ports.size() ? ports.get(sub) : "port " + sub);
            }
        };
    }

    /** {@code node-004, node-017 and 3 more}. */
    private String names(Property p, Where w) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < Math.min(w.size(), MAX_LISTED); i++) {
            out.add(name(p, w, i));
        }
        String s = String.join(", ", out);
        return w.size() > MAX_LISTED ? s + " and " + (w.size() - MAX_LISTED) + " more" : s;
    }

    void print(PrintWriter out) {
        boolean several = groups.size() > 1;
        for (Group g : groups.values()) {
            String who = g.nodes + (g.nodes == 1 ? " node, " : " nodes, ") + g.gpus + (g.gpus == 1 ? " GPU" : " GPUs");
            if (several) {
                out.println(g.spec == null ? "Nodes without a spec (" + who + "):" : "Nodes with spec " + g.spec.name()
                        + (g.spec.builtIn() ? "" : " from " + g.spec.source()) + " (" + who + "):");
            }
            List<String> uniform = new ArrayList<>();
            List<String> differ = new ArrayList<>();
            for (Property p : Property.values()) {
                List<Map.Entry<String, Where>> ranked = g.ranked(p);
                if (ranked.isEmpty()) {
                    continue;
                }
                Map.Entry<String, Where> major = ranked.get(0);
                if (ranked.size() == 1) {
                    uniform.add("  " + p.label + ": " + major.getKey() + " (" + p.per.count(major.getValue().size())
                            + ")");
                    continue;
                }
                StringBuilder b = new StringBuilder("  ").append(p.label).append(": ").append(major.getKey())
                        .append(" on ").append(p.per.count(major.getValue().size()));
                for (Map.Entry<String, Where> minor : ranked.subList(1, ranked.size())) {
                    b.append("; ").append(minor.getKey()).append(" on ").append(p.per.count(minor.getValue().size()))
                            .append(" (").append(names(p, minor.getValue())).append(')');
                }
                differ.add(b.toString());
            }
            out.println(differ.isEmpty() ? "No deviations from the majority (" + who + ")."
                    : "Deviations from the majority (" + who + "):");
            differ.forEach(out::println);
            if (g.spec != null) {
                if (g.specDeviations.isEmpty()) {
                    out.println("No deviations from spec " + g.spec.name() + ".");
                } else {
                    out.println("Deviations from spec " + g.spec.name() + ":");
                    for (Map.Entry<SpecKey, Where> e : g.specDeviations.entrySet()) {
                        Property p = e.getKey().property();
                        out.println("  " + p.label + ": " + e.getKey().observed() + " on "
                                + p.per.count(e.getValue().size()) + " (" + names(p, e.getValue()) + "); spec "
                                + (p == Property.VBIOS ? "allows " : "expects ") + e.getKey().expected());
                    }
                }
            }
            if (!uniform.isEmpty()) {
                out.println("Same everywhere:");
                uniform.forEach(out::println);
            }
            if (g.gpusNotOk > 0) {
                out.println("(" + Per.GPU.count(g.gpusNotOk) + " not ok, left out of the per-GPU properties: "
                        + "'kiln inventory' and 'kiln check' report " + (g.gpusNotOk == 1 ? "it" : "them") + ")");
            }
            out.println();
        }
        if (!failed.isEmpty()) {
            out.println("Not compared (" + failed.size() + (failed.size() == 1 ? " node" : " nodes") + "):");
            for (NodeResult<InventoryDocument> r : failed) {
                out.println("  " + r.node().name() + ": " + (r.reachable() ? "error: " : "unreachable: ")
                        + r.error().message());
            }
            out.println();
        }
        out.println(summary());
        out.flush();
    }

    String summary() {
        int n = deviations();
        return tally.summary() + "; " + (n == 0 ? "no deviations" : n + (n == 1 ? " deviation" : " deviations"));
    }

    /** The structured version: groups, each property's values (minorities with where), spec deviations. */
    void writeJson(PrintWriter out, OutputFormat format) {
        try {
            JsonGenerator gen = KilnJson.mapper().getFactory().createGenerator(out);
            gen.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            if (format == OutputFormat.json) {
                gen.setPrettyPrinter(new DefaultPrettyPrinter());
            }
            gen.writeStartObject();
            gen.writeStringField("kind", "kiln.inventoryDiff");
            gen.writeNumberField("nodes", tally.nodes);
            gen.writeNumberField("reachable", tally.reachable);
            gen.writeNumberField("unreachable", tally.unreachable);
            gen.writeNumberField("gpus", tally.gpus);
            gen.writeNumberField("deviations", deviations());
            gen.writeArrayFieldStart("groups");
            for (Group g : groups.values()) {
                writeGroup(gen, g);
            }
            gen.writeEndArray();
            gen.writeArrayFieldStart("notCompared");
            for (NodeResult<InventoryDocument> r : failed) {
                gen.writeStartObject();
                gen.writeStringField("node", r.node().name());
                gen.writeStringField("rack", r.node().rack());
                gen.writeStringField("address", r.node().address());
                gen.writeBooleanField("reachable", r.reachable());
                gen.writeObjectFieldStart("error");
                gen.writeStringField("kind", r.error().kind().id());
                gen.writeStringField("message", r.error().message());
                gen.writeEndObject();
                gen.writeEndObject();
            }
            gen.writeEndArray();
            gen.writeEndObject();
            gen.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.println();
        out.flush();
    }

    private void writeGroup(JsonGenerator gen, Group g) throws IOException {
        gen.writeStartObject();
        if (g.spec == null) {
            gen.writeNullField("spec");
        } else {
            gen.writeObjectFieldStart("spec");
            gen.writeStringField("name", g.spec.name());
            gen.writeStringField("source", g.spec.source());
            gen.writeEndObject();
        }
        gen.writeNumberField("nodes", g.nodes);
        gen.writeNumberField("gpus", g.gpus);
        gen.writeNumberField("gpusNotOk", g.gpusNotOk);
        gen.writeArrayFieldStart("properties");
        for (Property p : Property.values()) {
            List<Map.Entry<String, Where>> ranked = g.ranked(p);
            gen.writeStartObject();
            gen.writeStringField("id", p.id);
            gen.writeStringField("label", p.label);
            gen.writeStringField("per", p.per.name().toLowerCase(java.util.Locale.ROOT));
            gen.writeBooleanField("deviates", ranked.size() > 1);
            gen.writeArrayFieldStart("values");
            for (int i = 0; i < ranked.size(); i++) {
                Map.Entry<String, Where> e = ranked.get(i);
                gen.writeStartObject();
                gen.writeStringField("value", e.getKey());
                gen.writeNumberField("count", e.getValue().size());
                gen.writeBooleanField("majority", i == 0);
                if (i > 0) {
                    writeWhere(gen, p, e.getValue());
                }
                gen.writeEndObject();
            }
            gen.writeEndArray();
            gen.writeEndObject();
        }
        gen.writeEndArray();
        gen.writeArrayFieldStart("specDeviations");
        for (Map.Entry<SpecKey, Where> e : g.specDeviations.entrySet()) {
            Property p = e.getKey().property();
            gen.writeStartObject();
            gen.writeStringField("id", p.id);
            gen.writeStringField("label", p.label);
            gen.writeStringField("per", p.per.name().toLowerCase(java.util.Locale.ROOT));
            gen.writeStringField("observed", e.getKey().observed());
            gen.writeStringField("expected", e.getKey().expected());
            gen.writeNumberField("count", e.getValue().size());
            writeWhere(gen, p, e.getValue());
            gen.writeEndObject();
        }
        gen.writeEndArray();
        gen.writeEndObject();
    }

    /** {@code "where": [{"node": "node-013", "gpu": 4}, ...]}: every place, uncapped. */
    private void writeWhere(JsonGenerator gen, Property p, Where w) throws IOException {
        gen.writeArrayFieldStart("where");
        for (int i = 0; i < w.size(); i++) {
            gen.writeStartObject();
            gen.writeStringField("node", nodeNames.get(w.node(i)));
            if (p.per == Per.GPU) {
                gen.writeNumberField("gpu", w.sub(i));
            } else if (p.per == Per.PORT) {
                List<String> ports = portNames.get(w.node(i));
                gen.writeStringField("port", w.sub(i) < ports.size() ? ports.get(w.sub(i)) : null);
            }
            gen.writeEndObject();
        }
        gen.writeEndArray();
    }
}
