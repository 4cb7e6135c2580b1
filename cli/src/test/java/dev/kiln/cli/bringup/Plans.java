package dev.kiln.cli.bringup;

import dev.kiln.cli.fleet.FleetPower;
import dev.kiln.cli.fleet.PowerBudget;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Test fleets for the planner: racks of nodes, rows and halls with budgets, built in code. */
final class Plans {
    static final StageTimes TIMES = StageTimes.defaults(Duration.ofMinutes(30));

    private Plans() {
    }

    /** A node drawing {@code burninW} in burn-in and {@code idleW} otherwise. */
    static PlanNode node(String name, String rack, long burninW, long idleW) {
        return new PlanNode(name, rack, NodeLoad.of(burninW, idleW, "test"), TIMES);
    }

    /** {@code racks} racks of {@code perRack} nodes each, racks named rack-01.., nodes n-RR-NN. */
    static List<PlanNode> racks(int racks, int perRack, long burninW, long idleW) {
        List<PlanNode> out = new ArrayList<>();
        for (int r = 1; r <= racks; r++) {
            for (int n = 1; n <= perRack; n++) {
                out.add(node(String.format("n-%02d-%02d", r, n), rack(r), burninW, idleW));
            }
        }
        return out;
    }

    static String rack(int r) {
        return String.format("rack-%02d", r);
    }

    /** Builds a {@link FleetPower}: place racks, give budgets (kW ratings). */
    static final class Power {
        private final List<PowerBudget> budgets = new ArrayList<>();
        private final Map<String, FleetPower.Placement> placements = new LinkedHashMap<>();

        Power place(String rack, String row, String hall) {
            placements.put(rack, new FleetPower.Placement(rack, row, hall));
            return this;
        }

        Power budget(PowerBudget.Scope scope, String name, double kw) {
            budgets.add(new PowerBudget(scope, name, Math.round(kw * 1000), 0));
            return this;
        }

        Power rack(String name, double kw) {
            return budget(PowerBudget.Scope.RACK, name, kw);
        }

        Power row(String name, double kw) {
            return budget(PowerBudget.Scope.ROW, name, kw);
        }

        Power hall(String name, double kw) {
            return budget(PowerBudget.Scope.HALL, name, kw);
        }

        FleetPower build() {
            List<PowerBudget> ordered = new ArrayList<>();
            for (PowerBudget.Scope s : List.of(PowerBudget.Scope.HALL, PowerBudget.Scope.ROW, PowerBudget.Scope.RACK)) {
                budgets.stream().filter(b -> b.scope() == s).forEach(ordered::add);
            }
            return new FleetPower(ordered, placements);
        }
    }
}
