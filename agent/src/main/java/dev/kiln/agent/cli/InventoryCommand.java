package dev.kiln.agent.cli;

import dev.kiln.agent.core.InventoryTable;
import dev.kiln.agent.core.NodeAgent;
import dev.kiln.protocol.InventoryDocument;
import dev.kiln.protocol.KilnJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.util.concurrent.Callable;

/** One-shot inventory of this node, no server: for SSH, and for comparing with nvidia-smi. */
@Command(name = "inventory", mixinStandardHelpOptions = true,
        header = "Print this node's inventory and exit (no server).",
        description = {"Reads NVML (or a simulated server), the host and InfiniBand ports once and prints them."})
final class InventoryCommand implements Callable<Integer> {
    enum Format { table, json }

    @Spec
    CommandSpec spec;

    @Mixin
    LocalNodeOptions node;

    @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json (default: ${DEFAULT-VALUE}).")
    Format output;

    @Override
    public Integer call() throws Exception {
        InventoryDocument doc;
        try (NodeAgent agent = node.open()) {
            doc = agent.inventory(true);
        }
        var out = spec.commandLine().getOut();
        if (output == Format.json) {
            out.println(KilnJson.pretty().writeValueAsString(doc));
        } else {
            out.print(InventoryTable.render(doc));
        }
        out.flush();
        return 0;
    }
}
