package dev.kiln.cli.bringup;

import dev.kiln.agent.fleet.FleetSimulator;
import dev.kiln.agent.fleet.RunningFleet;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Fleet files for a running simulated fleet, with a spec and power budgets the simulator's own file does not have. */
final class SimFleets {
    private SimFleets() {
    }

    /**
     * Writes {@code file}: every node of the fleet under its rack, {@code spec} as the default spec (null: none),
     * each rack rated {@code rackKw} (0: no budget), all racks in one hall rated {@code hallKw} (0: no hall).
     */
    static Path write(RunningFleet fleet, Path file, String spec, double rackKw, double hallKw) {
        Map<String, List<FleetSimulator.SimNode>> racks = new LinkedHashMap<>();
        for (FleetSimulator.SimNode n : fleet.nodes()) {
            racks.computeIfAbsent(n.rack(), r -> new ArrayList<>()).add(n);
        }
        StringBuilder y = new StringBuilder();
        y.append("defaults:\n  tokenFile: ").append(fleet.tokenFile().toAbsolutePath()).append('\n');
        if (spec != null) {
            y.append("  spec: ").append(spec).append('\n');
        }
        if (hallKw > 0) {
            y.append("halls:\n  - name: hall-a\n    powerKw: ").append(hallKw).append('\n');
        }
        y.append("racks:\n");
        racks.forEach((rack, nodes) -> {
            y.append("  - name: ").append(rack).append('\n');
            if (hallKw > 0) {
                y.append("    hall: hall-a\n");
            }
            if (rackKw > 0) {
                y.append("    powerKw: ").append(rackKw).append('\n');
            }
            y.append("    nodes:\n");
            for (FleetSimulator.SimNode n : nodes) {
                y.append("      - name: ").append(n.name()).append("\n        address: ").append(n.address())
                        .append('\n');
            }
        });
        try {
            Files.writeString(file, y);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }
}
