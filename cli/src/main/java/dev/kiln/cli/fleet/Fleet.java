package dev.kiln.cli.fleet;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A parsed fleet file: every node in file order (racks in order, nodes in order within a rack).
 *
 * @param timeout {@code defaults.timeoutMs}, when the file sets one
 * @param power   rows, halls and power budgets ({@code powerKw}); {@link FleetPower#NONE} when the file has none
 */
public record Fleet(Path source, List<String> racks, List<FleetNode> nodes, Optional<Duration> timeout,
                    FleetPower power) {
    public Fleet {
        racks = List.copyOf(racks);
        nodes = List.copyOf(nodes);
        Objects.requireNonNull(power, "power");
    }

    /** The same fleet with TLS verification off for every node that speaks TLS ({@code --insecure}). */
    public Fleet insecure() {
        return new Fleet(source, racks, nodes.stream().map(n -> n.tls() == null ? n
                : n.withTls(n.tls().insecureCopy())).toList(), timeout, power);
    }

    /** Whether any node is spoken to over TLS. */
    public boolean usesTls() {
        return nodes.stream().anyMatch(n -> n.tls() != null);
    }

    /** A fleet without rows, halls or power budgets. */
    public Fleet(Path source, List<String> racks, List<FleetNode> nodes, Optional<Duration> timeout) {
        this(source, racks, nodes, timeout, FleetPower.NONE);
    }
}
