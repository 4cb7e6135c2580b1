package dev.kiln.nvml.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The faults of a faults file, each with the node it targets (all nodes when none is named).
 * A node is named by its name ({@code node-003}) or by its position in the fleet counting from 1.
 */
public record FaultPlan(List<Rule> rules) {
    public static final FaultPlan NONE = new FaultPlan(List.of());

    public FaultPlan {
        rules = List.copyOf(rules);
    }

    /** One fault and whom it targets; {@code line} is where it was declared (0 when built in code). */
    public record Rule(Optional<String> nodeName, Optional<Integer> nodePosition, Fault fault, int line) {
        public boolean targets(String name, int position) {
            if (nodeName.isPresent()) {
                return nodeName.get().equals(name);
            }
            if (nodePosition.isPresent()) {
                return nodePosition.get() == position;
            }
            return true;
        }
    }

    public static FaultPlan of(Fault... faults) {
        List<Rule> rules = new ArrayList<>();
        for (Fault f : faults) {
            rules.add(new Rule(Optional.empty(), Optional.empty(), f, 0));
        }
        return new FaultPlan(rules);
    }

    /** The faults for the node called {@code name} at fleet position {@code position} (from 1). */
    public List<Fault> forNode(String name, int position) {
        return rules.stream().filter(r -> r.targets(name, position)).map(Rule::fault).toList();
    }

    public boolean isEmpty() {
        return rules.isEmpty();
    }
}
