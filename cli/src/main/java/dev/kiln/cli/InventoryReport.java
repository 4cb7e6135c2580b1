package dev.kiln.cli;

import dev.kiln.cli.fanout.NodeResult;
import dev.kiln.cli.output.OutputFormat;
import dev.kiln.cli.output.ResultWriter;
import dev.kiln.cli.output.Table;
import dev.kiln.protocol.GpuInventory;
import dev.kiln.protocol.InventoryDocument;

import java.io.PrintWriter;
import java.util.List;
import java.util.function.Consumer;

/** Renders {@code kiln inventory} results as they arrive (in fleet order): one table row per GPU. */
final class InventoryReport implements Consumer<NodeResult<InventoryDocument>> {
    private static final long MIB = 1024L * 1024L;

    private final PrintWriter out;
    private final Table table;
    private final ResultWriter json;
    final Tally tally = new Tally();

    InventoryReport(OutputFormat format, PrintWriter out) {
        this.out = out;
        this.table = format == OutputFormat.table ? new Table("NODE", "GPU", "NAME", "SERIAL", "BUS ID", "VBIOS",
                "MEMORY", "PCIE NOW/MAX", "NVLINK UP", "STATE") : null;
        this.json = format == OutputFormat.table ? null : new ResultWriter(out, format, "inventory");
    }

    @Override
    public void accept(NodeResult<InventoryDocument> r) {
        InventoryDocument doc = r.body();
        List<String> failures = doc == null ? List.of() : Agents.check(doc);
        tally.count(r, failures, doc == null ? 0 : doc.gpus().size());
        if (json != null) {
            json.write(r, failures);
            return;
        }
        String name = r.node().name();
        if (doc == null) {
            table.add(name, null, null, null, null, null, null, null, null,
                    (r.reachable() ? "error: " : "unreachable: ") + r.error().message());
            return;
        }
        if (doc.gpus().isEmpty()) {
            table.add(name, null, null, null, null, null, null, null, null, doc.nvml().available()
                    ? "no GPUs" : "no GPUs: NVML unavailable: " + Agents.orUnknown(doc.nvml().reason()));
            return;
        }
        for (GpuInventory g : doc.gpus()) {
            table.add(name, Integer.toString(g.index()), g.name(), g.serial(), g.pci() == null ? null : g.pci().busId(),
                    g.vbiosVersion(), g.memoryTotalBytes() == null ? null : (g.memoryTotalBytes() / MIB) + " MiB",
                    pcie(g.pcie()), nvlinks(g.nvlinks()),
                    g.state() + (g.recommendedAction() == null ? "" : ": " + g.recommendedAction()));
        }
    }

    /** {@code Gen5 x16/Gen5 x16}: the link as trained now, then the most it can do. */
    static String pcie(GpuInventory.Pcie p) {
        if (p == null || p.currentGeneration() == null && p.currentWidth() == null) {
            return null;
        }
        return link(p.currentGeneration(), p.currentWidth()) + "/" + link(p.maxGeneration(), p.maxWidth());
    }

    static String link(Integer gen, Integer width) {
        return "Gen" + (gen == null ? "?" : gen) + " x" + (width == null ? "?" : width);
    }

    /** {@code 16/18}: active links of all links; null when the GPU has none. */
    static String nvlinks(List<GpuInventory.NvLink> links) {
        if (links == null || links.isEmpty()) {
            return null;
        }
        long up = links.stream().filter(GpuInventory.NvLink::active).count();
        return up + "/" + links.size();
    }

    void finish(PrintWriter err) {
        if (json != null) {
            json.close();
            err.println("kiln: " + tally.summary());
            err.flush();
        } else {
            table.print(out);
            out.println();
            out.println(tally.summary());
            out.flush();
        }
    }
}
