package dev.kiln.cli.bringup;

import java.util.Objects;

/**
 * One node as the planner sees it: its rack (which places it in rows, halls and their power budgets through
 * the fleet file), its estimated draw and its stage times.
 */
public record PlanNode(String name, String rack, NodeLoad load, StageTimes times) {
    public PlanNode {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(rack, "rack");
        Objects.requireNonNull(load, "load");
        Objects.requireNonNull(times, "times");
    }
}
