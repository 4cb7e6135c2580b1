package dev.kiln.cli.bringup;

import dev.kiln.cli.fleet.FleetPower;
import dev.kiln.cli.fleet.PowerBudget;
import dev.kiln.protocol.GpuInventory;
import dev.kiln.protocol.InventoryDocument;
import dev.kiln.protocol.spec.NodeSpec;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How much power a node draws, and how much a budget may carry.
 *
 * <ul>
 *   <li>Burn-in draw: the sum of the node's GPUs' <em>enforced</em> power limits (from its inventory; for a GPU
 *       without a reading, its spec's {@code gpu.powerLimitWatts}; the spec's {@code gpu.count} when the
 *       inventory shows fewer GPUs, since a GPU that fell off the bus may come back), plus the host overhead
 *       ({@code host.overheadWatts} of its spec).</li>
 *   <li>Idle draw: each GPU's measured power usage from the inventory, or {@value #IDLE_GPU_PERCENT}% of its
 *       limit without one, plus the same host overhead (so idle is over-, never under-estimated).</li>
 *   <li>A budget's limit: {@value #CONTINUOUS_LOAD_PERCENT}% of the rating the fleet file gives
 *       ({@code powerKw}): a circuit's continuous load is at most 80% of its breaker rating (NEC 210;
 *       shared/reference/field-facts.md). GPUs' short transients above their limits are what the other
 *       20% is for.</li>
 * </ul>
 */
public final class PowerModel {
    /** Continuous load as a percentage of a circuit's rating (NEC 210). */
    public static final int CONTINUOUS_LOAD_PERCENT = 80;
    /** Idle GPU draw as a percentage of its limit when the inventory has no power reading (an estimate). */
    public static final int IDLE_GPU_PERCENT = 15;

    private PowerModel() {
    }

    /** The continuous load a budget may carry: 80% of its rating, rounded down to the watt. */
    public static long limitWatts(PowerBudget budget) {
        return limitWatts(budget.ratingWatts());
    }

    public static long limitWatts(long ratingWatts) {
        return Math.floorDiv(ratingWatts * CONTINUOUS_LOAD_PERCENT, 100);
    }

    /** {@code rack 'rack-01' (80% of its 40.0 kW rating = 32.0 kW)}: how every message names a budget's limit. */
    public static String describe(PowerBudget budget) {
        return budget.id() + " (" + CONTINUOUS_LOAD_PERCENT + "% of its " + kw(budget.ratingWatts()) + " rating = "
                + kw(limitWatts(budget)) + ")";
    }

    /** Watts as kilowatts with one decimal: {@code 32.0 kW}. */
    public static String kw(long watts) {
        return String.format(Locale.ROOT, "%.1f kW", watts / 1000.0);
    }

    /**
     * A node's draw from its spec and, when read, its inventory (either may be null). Unknown, with the reason,
     * when neither gives the GPUs' limits or the spec gives no host overhead.
     */
    public static NodeLoad estimate(NodeSpec spec, InventoryDocument inventory) {
        String specName = spec == null ? null : "spec " + spec.name();
        Integer specCount = spec == null || spec.gpu() == null ? null : spec.gpu().count();
        Integer specLimit = spec == null || spec.gpu() == null ? null : spec.gpu().powerLimitWatts();
        Integer overhead = spec == null || spec.host() == null ? null : spec.host().overheadWatts();
        List<GpuInventory> gpus = inventory == null || inventory.gpus() == null ? List.of() : inventory.gpus();
        if (overhead == null) {
            return NodeLoad.unknown(spec == null ? "the node has no spec, so no host overhead (host.overheadWatts); "
                    + "give it one in the fleet file ('spec:')" : specName + " sets no host.overheadWatts (the node's "
                    + "draw besides its GPUs); add it to the spec (the built-in hgx-h100 uses 4600)");
        }
        long gpuWatts = 0;
        long idleWatts = overhead;
        int fromInventory = 0;
        int fromSpec = 0;
        int measuredIdle = 0;
        for (GpuInventory g : gpus) {
            Integer mw = g.powerEnforcedLimitMilliwatts() != null ? g.powerEnforcedLimitMilliwatts() : g.powerLimitMilliwatts();
            long limit;
            if (mw != null && mw > 0) {
                limit = (mw + 999L) / 1000; // round up: never under-estimate
                fromInventory++;
            } else if (specLimit != null) {
                limit = specLimit;
                fromSpec++;
            } else {
                return NodeLoad.unknown("GPU " + g.index() + " reports no power limit and "
                        + (spec == null ? "the node has no spec" : specName + " sets no gpu.powerLimitWatts"));
            }
            gpuWatts += limit;
            Integer usage = g.powerUsageMilliwatts();
            if (usage != null && usage >= 0) {
                idleWatts += Math.min(limit, (usage + 999L) / 1000);
                measuredIdle++;
            } else {
                idleWatts += idleGpu(limit);
            }
        }
        int count = Math.max(gpus.size(), specCount == null ? 0 : specCount);
        if (count == 0) {
            return NodeLoad.unknown((inventory == null ? "the node's inventory was not read" : "its inventory lists "
                    + "no GPUs") + " and " + (spec == null ? "it has no spec" : specName + " sets no gpu.count"));
        }
        int missing = count - gpus.size();
        if (missing > 0) {
            if (specLimit == null) {
                return NodeLoad.unknown(specName + " sets no gpu.powerLimitWatts and " + (inventory == null
                        ? "the node's inventory was not read" : "its inventory lists only " + gpus.size() + " of "
                        + count + " GPUs"));
            }
            gpuWatts += (long) missing * specLimit;
            idleWatts += missing * idleGpu(specLimit);
            fromSpec += missing;
        }
        StringBuilder basis = new StringBuilder();
        basis.append(count).append(" GPU").append(count == 1 ? "" : "s").append(' ').append(kw(gpuWatts));
        List<String> sources = new ArrayList<>();
        if (fromInventory > 0) {
            sources.add(fromInventory + " enforced limit" + (fromInventory == 1 ? "" : "s") + " from inventory");
        }
        if (fromSpec > 0) {
            sources.add(fromSpec + " x " + specLimit + " W from " + specName + " gpu.powerLimitWatts");
        }
        basis.append(" (").append(String.join(", ", sources)).append(") + host ").append(kw(overhead))
                .append(" (").append(specName).append(" host.overheadWatts)");
        basis.append("; idle ").append(kw(idleWatts)).append(measuredIdle > 0 ? " (measured GPU draw)"
                : " (" + IDLE_GPU_PERCENT + "% of GPU limits + host)");
        return NodeLoad.of(gpuWatts + overhead, idleWatts, basis.toString());
    }

    private static long idleGpu(long limitWatts) {
        return (limitWatts * IDLE_GPU_PERCENT + 99) / 100;
    }

    /**
     * What nodes outside the rollout put on each budget (keyed by {@link PowerBudget#key()}), each at its
     * <em>burn-in</em> draw: a node not being brought up may be running work at full power, and the planner
     * must not count on it being idle. Nodes under no budget add nothing.
     *
     * @throws InfeasiblePlanException when such a node's draw is unknown (naming the node and the budget)
     */
    public static Map<String, Long> outsideLoad(FleetPower power, Collection<PlanNode> outside) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (PlanNode n : outside) {
            List<PowerBudget> budgets = power.enclosing(n.rack());
            if (budgets.isEmpty()) {
                continue;
            }
            if (!n.load().known()) {
                throw new InfeasiblePlanException("cannot estimate the draw of node '" + n.name() + "', which is not "
                        + "in this rollout but shares " + describe(budgets.get(0)) + ": " + n.load().problem()
                        + "; a node outside the rollout counts at its full burn-in draw");
            }
            for (PowerBudget b : budgets) {
                out.merge(b.key(), n.load().burninWatts(), Long::sum);
            }
        }
        return out;
    }
}
