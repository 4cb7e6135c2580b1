package dev.kiln.protocol.spec;

import org.yaml.snakeyaml.nodes.NodeId;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.resolver.Resolver;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The one shape of a spec, for both YAML ({@link SpecFile#toYaml}) and JSON ({@link NodeSpecJsonModule}):
 * an ordered tree of maps, lists and scalars. A null expectation is left out (the file format's "not set");
 * thresholds and checks are always written, so a captured spec shows what it will judge.
 */
final class SpecWriter {
    private static final int WIDTH = 100;
    private static final Pattern PLAIN_BLOCK = Pattern.compile("[A-Za-z0-9_.(/+][A-Za-z0-9 _.,()/+-]*");
    private static final Pattern PLAIN_FLOW = Pattern.compile("[A-Za-z0-9_.(/+][A-Za-z0-9 _.()/+-]*");
    private static final Resolver RESOLVER = new Resolver();

    private SpecWriter() {
    }

    static Map<String, Object> toTree(NodeSpec s) {
        Map<String, Object> top = new LinkedHashMap<>();
        put(top, "spec", s.name());
        put(top, "description", s.description());
        if (s.gpu() != null) {
            NodeSpec.GpuSpec g = s.gpu();
            Map<String, Object> gpu = new LinkedHashMap<>();
            put(gpu, "count", g.count());
            put(gpu, "model", g.model());
            put(gpu, "memoryMiB", g.memoryMiB());
            if (!g.busIds().isEmpty()) {
                gpu.put("busIds", g.busIds());
            }
            if (!g.vbios().isEmpty()) {
                gpu.put("vbios", g.vbios());
            }
            if (g.pcieGeneration() != null || g.pcieWidth() != null) {
                Map<String, Object> pcie = new LinkedHashMap<>();
                put(pcie, "generation", g.pcieGeneration());
                put(pcie, "width", g.pcieWidth());
                gpu.put("pcie", pcie);
            }
            put(gpu, "nvlinks", g.nvlinks());
            put(gpu, "ecc", g.ecc());
            put(gpu, "persistence", g.persistence());
            put(gpu, "mig", g.mig());
            put(gpu, "powerLimitWatts", g.powerLimitWatts());
            top.put("gpu", gpu);
        }
        if (s.driver() != null) {
            Map<String, Object> driver = new LinkedHashMap<>();
            put(driver, "min", s.driver().min());
            put(driver, "max", s.driver().max());
            top.put("driver", driver);
        }
        if (s.infiniband() != null) {
            Map<String, Object> ib = new LinkedHashMap<>();
            put(ib, "ports", s.infiniband().ports());
            put(ib, "rateGbps", number(s.infiniband().rateGbps()));
            put(ib, "state", s.infiniband().state());
            top.put("infiniband", ib);
        }
        if (s.host() != null) {
            Map<String, Object> host = new LinkedHashMap<>();
            put(host, "cpuSockets", s.host().cpuSockets());
            put(host, "memoryGiB", s.host().memoryGiB());
            put(host, "overheadWatts", s.host().overheadWatts());
            top.put("host", host);
        }
        NodeSpec.Thresholds t = s.thresholds();
        Map<String, Object> thresholds = new LinkedHashMap<>();
        put(thresholds, "temperatureMarginCelsius", t.temperatureMarginCelsius());
        put(thresholds, "eccUncorrectable", t.eccUncorrectable());
        Map<String, Object> xid = new LinkedHashMap<>();
        xid.put("fail", sorted(t.xid().fail()));
        xid.put("warn", sorted(t.xid().warn()));
        put(xid, "windowMinutes", t.xid().windowMinutes());
        thresholds.put("xid", xid);
        top.put("thresholds", thresholds);
        if (s.burnin() != null) {
            NodeSpec.BurninSpec b = s.burnin();
            Map<String, Object> burnin = new LinkedHashMap<>();
            put(burnin, "computeTflopsFp32", number(b.computeTflopsFp32()));
            put(burnin, "computeTflopsTensor", number(b.computeTflopsTensor()));
            put(burnin, "hbmGbps", number(b.hbmGbps()));
            put(burnin, "pcieGbps", number(b.pcieGbps()));
            top.put("burnin", burnin);
        }
        if (s.fabric() != null) {
            NodeSpec.FabricSpec f = s.fabric();
            Map<String, Object> fabric = new LinkedHashMap<>();
            put(fabric, "p2pGBps", number(f.p2pGBps()));
            put(fabric, "p2pBidirGBps", number(f.p2pBidirGBps()));
            put(fabric, "p2pLatencyUs", number(f.p2pLatencyUs()));
            put(fabric, "hostGBps", number(f.hostGBps()));
            put(fabric, "networkGbitps", number(f.networkGbitps()));
            put(fabric, "rdmaGbitps", number(f.rdmaGbitps()));
            put(fabric, "ncclBusbwGBps", number(f.ncclBusbwGBps()));
            top.put("fabric", fabric);
        }
        Map<String, Object> checks = new LinkedHashMap<>();
        checks.put("disabled", sorted(s.disabledChecks()));
        top.put("checks", checks);
        return top;
    }

    private static void put(Map<String, Object> m, String key, Object value) {
        if (value != null) {
            m.put(key, value);
        }
    }

    /** 400.0 is written 400. */
    private static Object number(Double d) {
        if (d == null) {
            return null;
        }
        if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            return d.longValue();
        }
        return d;
    }

    private static <T extends Comparable<T>> List<T> sorted(Collection<T> c) {
        List<T> out = new ArrayList<>(c);
        out.sort(null);
        return out;
    }

    // --- YAML ---------------------------------------------------------------------------------

    /** Block style, with short leaf collections in flow style ({@code pcie: {generation: 5, width: 16}}). */
    static String yaml(Map<String, Object> tree) {
        StringBuilder b = new StringBuilder();
        mapping(b, tree, 0);
        return b.toString();
    }

    private static void mapping(StringBuilder b, Map<?, ?> m, int indent) {
        for (Map.Entry<?, ?> e : m.entrySet()) {
            String key = (String) e.getKey();
            b.append(" ".repeat(indent)).append(key).append(':');
            Object v = e.getValue();
            if (v instanceof Map<?, ?> || v instanceof List<?>) {
                // Sections (top-level mappings) flow only when they hold plain values: driver: {min: .., max: ..}.
                String flow = flow(v, indent > 0);
                if (flow != null && indent + key.length() + 2 + flow.length() <= WIDTH) {
                    b.append(' ').append(flow).append('\n');
                } else if (v instanceof Map<?, ?> child) {
                    b.append('\n');
                    mapping(b, child, indent + 2);
                } else {
                    b.append('\n');
                    for (Object item : (List<?>) v) {
                        b.append(" ".repeat(indent + 2)).append("- ").append(scalar(item, false)).append('\n');
                    }
                }
            } else {
                b.append(' ').append(scalar(v, false)).append('\n');
            }
        }
    }

    /**
     * The flow form of a collection of scalars (or, with {@code nested}, of scalars and lists of scalars),
     * or null when it holds more.
     */
    private static String flow(Object v, boolean nested) {
        List<String> parts = new ArrayList<>();
        if (v instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                Object value = e.getValue();
                String part;
                if (value instanceof Map<?, ?>) {
                    return null;
                } else if (value instanceof List<?>) {
                    if (!nested) {
                        return null;
                    }
                    part = flow(value, false);
                } else {
                    part = scalar(value, true);
                }
                parts.add(e.getKey() + ": " + part);
            }
            return "{" + String.join(", ", parts) + "}";
        }
        for (Object item : (List<?>) v) {
            if (item instanceof Map<?, ?> || item instanceof List<?>) {
                throw new IllegalStateException("lists of collections are not part of the spec format");
            }
            parts.add(scalar(item, true));
        }
        return "[" + String.join(", ", parts) + "]";
    }

    private static String scalar(Object v, boolean inFlow) {
        if (v instanceof Double d) {
            return BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
        }
        if (v instanceof Number || v instanceof Boolean) {
            return v.toString();
        }
        String s = (String) v;
        boolean plain = (inFlow ? PLAIN_FLOW : PLAIN_BLOCK).matcher(s).matches() && !s.endsWith(" ")
                // Quote what any YAML 1.1 reader would take for a number, boolean or null (yes, 1.5, 2:30).
                && Tag.STR.equals(RESOLVER.resolve(NodeId.scalar, s, true));
        return plain ? s : quote(s);
    }

    /** A YAML double-quoted scalar (JSON's escapes are YAML's too). */
    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                case '\r' -> b.append("\\r");
                default -> {
                    if (c < 0x20 || c == 0x7f || c == 0x85 || c == 0xfeff || c == 0x2028 || c == 0x2029
                            || Character.isSurrogate(c) && !validSurrogate(s, i)) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    private static boolean validSurrogate(String s, int i) {
        char c = s.charAt(i);
        if (Character.isHighSurrogate(c)) {
            return i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
        }
        return i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }
}
