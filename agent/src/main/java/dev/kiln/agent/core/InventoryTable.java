package dev.kiln.agent.core;

import dev.kiln.protocol.ErrorEntry;
import dev.kiln.protocol.GpuInventory;
import dev.kiln.protocol.IbPort;
import dev.kiln.protocol.InventoryDocument;

import java.util.Locale;

/** A technician-readable rendering of one node's inventory. */
public final class InventoryTable {
    private InventoryTable() {
    }

    public static String render(InventoryDocument d) {
        StringBuilder b = new StringBuilder();
        var h = d.host();
        b.append(String.format(Locale.ROOT, "Node %s (%s, %s)  host %s  %s %s%n", d.node().name(), d.node().mode(),
                d.node().simulatorPreset() == null ? "NVML" : d.node().simulatorPreset(), h.hostname(),
                nz(h.manufacturer()), nz(h.model())));
        b.append(String.format(Locale.ROOT, "  CPU %s, %s socket(s), %s cores; memory %s; OS %s, kernel %s%n",
                nz(h.cpu().model()), nz(h.cpu().sockets()), nz(h.cpu().physicalCores()), gib(h.memoryTotalBytes()),
                nz(h.osName()), nz(h.kernelVersion())));
        var n = d.nvml();
        if (n.available()) {
            b.append(String.format(Locale.ROOT, "  Driver %s, CUDA %s, NVML %s%s%n", nz(n.driverVersion()),
                    nz(n.cudaDriverVersion()), nz(n.nvmlVersion()),
                    n.missingSymbols().isEmpty() ? "" : "; driver lacks " + n.missingSymbols()));
        } else {
            b.append("  NVML unavailable: ").append(n.reason()).append('\n');
        }
        b.append(String.format(Locale.ROOT, "%n  %-3s %-24s %-15s %-16s %-15s %9s %9s %6s %7s %s%n", "GPU", "NAME",
                "SERIAL", "BUS ID", "VBIOS", "MEMORY", "PCIE", "NVLINK", "TEMP", "STATE"));
        for (GpuInventory g : d.gpus()) {
            long up = g.nvlinks().stream().filter(GpuInventory.NvLink::active).count();
            String pcie = g.pcie().currentGeneration() == null ? "-"
                    : "Gen" + g.pcie().currentGeneration() + " x" + nz(g.pcie().currentWidth());
            b.append(String.format(Locale.ROOT, "  %-3d %-24s %-15s %-16s %-15s %9s %9s %6s %7s %s%n", g.index(),
                    trim(nz(g.name()), 24), nz(g.serial()), g.pci() == null ? "-" : g.pci().busId().substring(4),
                    nz(g.vbiosVersion()), gib(g.memoryTotalBytes()), pcie,
                    g.nvlinks().isEmpty() ? "-" : up + "/" + g.nvlinks().size(),
                    g.temperatureCelsius() == null ? "-" : g.temperatureCelsius() + " C",
                    g.state() + (g.recommendedAction() == null ? "" : ": " + g.recommendedAction())));
        }
        if (!d.infiniband().isEmpty()) {
            b.append(String.format(Locale.ROOT, "%n  %-10s %-4s %-8s %-9s %s%n", "IB DEVICE", "PORT", "STATE", "PHYS", "RATE"));
            for (IbPort p : d.infiniband()) {
                b.append(String.format(Locale.ROOT, "  %-10s %-4d %-8s %-9s %s%n", p.device(), p.port(), nz(p.state()),
                        nz(p.physicalState()), nz(p.rate())));
            }
        }
        if (!d.errors().isEmpty()) {
            b.append("\n  Errors:\n");
            for (ErrorEntry e : d.errors()) {
                b.append("  - ").append(e.component()).append(e.gpuIndex() == null ? "" : " GPU " + e.gpuIndex())
                        .append(e.field() == null ? "" : " " + e.field()).append(": ").append(e.message()).append('\n');
            }
        }
        return b.toString();
    }

    private static String nz(Object o) {
        return o == null ? "-" : o.toString();
    }

    private static String gib(Long bytes) {
        return bytes == null ? "-" : String.format(Locale.ROOT, "%.0f GiB", bytes / (1024.0 * 1024 * 1024));
    }

    private static String trim(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n - 1) + "~";
    }
}
