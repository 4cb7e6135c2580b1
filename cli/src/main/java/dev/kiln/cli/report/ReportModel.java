package dev.kiln.cli.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Everything {@code kiln report} shows, independent of where it came from (the results database, or a test).
 * Racks are kept in natural name order and node names must be unique, so the same results always render the same.
 * The renderers ({@link HtmlReport}, {@link JsonReport}, {@link JunitReport}, {@link CsvReport}) take this and
 * compute the rollout figures with {@link Rollout#of(ReportModel)}.
 */
public record ReportModel(FleetInfo fleet, List<RackReport> racks) {
    public ReportModel {
        Objects.requireNonNull(fleet, "fleet");
        racks = racks == null ? List.of()
                : racks.stream().sorted(Comparator.comparing(RackReport::name, NaturalOrder.INSTANCE)).toList();
        Set<String> rackNames = new HashSet<>();
        Set<String> nodeNames = new HashSet<>();
        for (RackReport r : racks) {
            if (!rackNames.add(r.name())) {
                throw new IllegalArgumentException("rack " + r.name() + " appears twice");
            }
            for (NodeReport n : r.nodes()) {
                if (!nodeNames.add(n.name())) {
                    throw new IllegalArgumentException("node " + n.name() + " appears twice");
                }
            }
        }
    }

    /** A model from a flat list of nodes, grouped into racks by {@link NodeReport#rack()}. */
    public static ReportModel of(FleetInfo fleet, List<NodeReport> nodes) {
        Map<String, List<NodeReport>> byRack = new TreeMap<>(NaturalOrder.INSTANCE);
        for (NodeReport n : nodes) {
            byRack.computeIfAbsent(n.rack(), r -> new ArrayList<>()).add(n);
        }
        List<RackReport> racks = new ArrayList<>();
        byRack.forEach((rack, list) -> racks.add(new RackReport(rack, list)));
        return new ReportModel(fleet, racks);
    }

    /** Every node, rack by rack. */
    public Stream<NodeReport> nodes() {
        return racks.stream().flatMap(r -> r.nodes().stream());
    }

    /** Only the racks named (all when {@code names} is empty), for {@code kiln report --rack R}. */
    public ReportModel onlyRacks(List<String> names) {
        if (names == null || names.isEmpty()) {
            return this;
        }
        Map<String, RackReport> byName = new LinkedHashMap<>();
        racks.forEach(r -> byName.put(r.name(), r));
        List<RackReport> kept = new ArrayList<>();
        for (String name : new java.util.LinkedHashSet<>(names)) {
            RackReport r = byName.get(name);
            if (r == null) {
                throw new IllegalArgumentException("no rack named " + name + " (racks: "
                        + String.join(", ", byName.keySet()) + ")");
            }
            kept.add(r);
        }
        return new ReportModel(fleet, kept);
    }
}
