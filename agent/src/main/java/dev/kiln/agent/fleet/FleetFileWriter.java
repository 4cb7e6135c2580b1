package dev.kiln.agent.fleet;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Writes the fleet file format the CLI reads (see docs/fleet-file.md). */
final class FleetFileWriter {
    private FleetFileWriter() {
    }

    static void write(Path file, List<FleetSimulator.SimNode> nodes, Path tokenFile) {
        write(file, nodes, tokenFile, false, null);
    }

    /** {@code https}: addresses as {@code https://host:port}; {@code caFile} (or null) under defaults. */
    static void write(Path file, List<FleetSimulator.SimNode> nodes, Path tokenFile, boolean https, Path caFile) {
        Map<String, StringBuilder> racks = new LinkedHashMap<>();
        for (FleetSimulator.SimNode n : nodes) {
            racks.computeIfAbsent(n.rack(), r -> new StringBuilder())
                    .append("      - name: ").append(n.name()).append('\n')
                    .append("        address: ").append(https ? "https://" : "").append(n.address()).append('\n');
        }
        StringBuilder out = new StringBuilder();
        out.append("# Written by kiln-agent simulate-fleet: ").append(nodes.size()).append(" simulated nodes on loopback.\n");
        out.append("defaults:\n");
        out.append("  tokenFile: ").append(tokenFile.toAbsolutePath()).append('\n');
        if (caFile != null) {
            out.append("  caFile: ").append(caFile.toAbsolutePath()).append('\n');
        }
        out.append("racks:\n");
        racks.forEach((rack, body) -> out.append("  - name: ").append(rack).append('\n')
                .append("    nodes:\n").append(body));
        try {
            Path abs = file.toAbsolutePath();
            if (abs.getParent() != null) {
                Files.createDirectories(abs.getParent());
            }
            Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp");
            Files.writeString(tmp, out);
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write fleet file " + file + ": " + e.getMessage(), e);
        }
    }
}
