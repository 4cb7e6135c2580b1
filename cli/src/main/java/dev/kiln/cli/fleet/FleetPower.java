package dev.kiln.cli.fleet;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Where each rack sits (its row and hall) and the power budgets the fleet file gives racks, rows and halls
 * ({@code powerKw:}, each a circuit rating; see {@link PowerBudget}). Racks without a row or hall, and rows
 * and halls without {@code powerKw}, are allowed: they simply have no budget at that level.
 *
 * @param budgets    every budget, halls first, then rows, then racks, each in file order
 * @param placements each rack's row and hall (null where the fleet file names none), racks in file order
 */
public record FleetPower(List<PowerBudget> budgets, Map<String, Placement> placements) {
    /** No budgets and no rows or halls (a fleet file written before budgets existed). */
    public static final FleetPower NONE = new FleetPower(List.of(), Map.of());

    /** A rack's row and hall; either may be null. */
    public record Placement(String rack, String row, String hall) {
        public Placement {
            Objects.requireNonNull(rack, "rack");
        }
    }

    public FleetPower {
        budgets = List.copyOf(budgets);
        placements = Collections.unmodifiableMap(new LinkedHashMap<>(placements));
    }

    public boolean hasBudgets() {
        return !budgets.isEmpty();
    }

    /** The rack's placement; a rack the fleet file does not place has neither row nor hall. */
    public Placement placement(String rack) {
        Placement p = placements.get(rack);
        return p != null ? p : new Placement(rack, null, null);
    }

    public Optional<PowerBudget> budget(PowerBudget.Scope scope, String name) {
        if (name == null) {
            return Optional.empty();
        }
        for (PowerBudget b : budgets) {
            if (b.scope() == scope && b.name().equals(name)) {
                return Optional.of(b);
            }
        }
        return Optional.empty();
    }

    /** The budgets a node of {@code rack} draws from: its rack's, its row's and its hall's, those that exist. */
    public List<PowerBudget> enclosing(String rack) {
        Placement p = placement(rack);
        List<PowerBudget> out = new ArrayList<>(3);
        budget(PowerBudget.Scope.RACK, rack).ifPresent(out::add);
        budget(PowerBudget.Scope.ROW, p.row()).ifPresent(out::add);
        budget(PowerBudget.Scope.HALL, p.hall()).ifPresent(out::add);
        return out;
    }
}
