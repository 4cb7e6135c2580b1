package dev.kiln.cli.fleet;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A parsed fleet file: every node in file order (racks in order, nodes in order within a rack).
 *
 * @param timeout {@code defaults.timeoutMs}, when the file sets one
 */
public record Fleet(Path source, List<String> racks, List<FleetNode> nodes, Optional<Duration> timeout) {
    public Fleet {
        racks = List.copyOf(racks);
        nodes = List.copyOf(nodes);
    }
}
