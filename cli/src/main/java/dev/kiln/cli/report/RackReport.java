package dev.kiln.cli.report;

import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/** One rack's nodes, in natural name order ({@code node-2} before {@code node-10}); each node names this rack. */
public record RackReport(String name, List<NodeReport> nodes) {
    public RackReport {
        Objects.requireNonNull(name, "name");
        nodes = nodes == null ? List.of()
                : nodes.stream().sorted(Comparator.comparing(NodeReport::name, NaturalOrder.INSTANCE)).toList();
        for (NodeReport n : nodes) {
            if (!n.rack().equals(name)) {
                throw new IllegalArgumentException("node " + n.name() + " names rack " + n.rack() + ", not " + name);
            }
        }
    }
}
