package dev.kiln.cli;

import dev.kiln.protocol.GpuInventory;
import dev.kiln.protocol.InventoryDocument;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What looks wrong in one node's inventory, one sentence per GPU problem, naming the board
 * ({@code node-003 GPU 2 serial 1654...: PCIe Gen4 x8, expected Gen5 x16}). Broader than the exit-code
 * checks: degraded links and missing GPUs are findings here, not (yet) check failures.
 */
final class Findings {
    private Findings() {
    }

    /**
     * @param expectedBusIds the GPU bus ids the node should have (empty when unknown)
     */
    static List<String> of(String node, InventoryDocument doc, List<String> expectedBusIds) {
        List<String> out = new ArrayList<>();
        if (!doc.nvml().available()) {
            out.add(node + ": NVML unavailable: " + Agents.orUnknown(doc.nvml().reason()));
            return out;
        }
        if (!expectedBusIds.isEmpty() && doc.gpus().size() < expectedBusIds.size()) {
            Set<String> present = doc.gpus().stream().filter(g -> g.pci() != null)
                    .map(g -> g.pci().busId()).collect(Collectors.toSet());
            Set<String> missing = new LinkedHashSet<>(expectedBusIds);
            missing.removeAll(present);
            out.add(node + ": " + doc.gpus().size() + " GPUs, expected " + expectedBusIds.size()
                    + (missing.isEmpty() ? "" : "; nothing answers at " + String.join(", ", missing)
                    + " (GPU dead or unseated: reseat, then RMA)"));
        }
        for (GpuInventory g : doc.gpus()) {
            String who = node + " GPU " + g.index() + " " + Agents.describe(g) + ": ";
            if (!GpuInventory.STATE_OK.equals(g.state())) {
                out.add(who + "state " + g.state()
                        + (g.recommendedAction() == null ? "" : " (" + g.recommendedAction() + ")"));
                continue;
            }
            GpuInventory.Pcie p = g.pcie();
            if (p != null && (below(p.currentGeneration(), p.maxGeneration()) || below(p.currentWidth(), p.maxWidth()))) {
                out.add(who + "PCIe " + InventoryReport.link(p.currentGeneration(), p.currentWidth()) + ", expected "
                        + InventoryReport.link(p.maxGeneration(), p.maxWidth()) + " (reseat the GPU or check the riser)");
            }
            if (g.nvlinks() != null && !g.nvlinks().isEmpty()) {
                List<Integer> down = g.nvlinks().stream().filter(l -> !l.active()).map(GpuInventory.NvLink::link).toList();
                if (!down.isEmpty()) {
                    out.add(who + "NVLinks " + InventoryReport.nvlinks(g.nvlinks()) + " up; down: "
                            + down.stream().map(String::valueOf).collect(Collectors.joining(", ")));
                }
            }
        }
        return out;
    }

    private static boolean below(Integer now, Integer max) {
        return now != null && max != null && now < max;
    }
}
