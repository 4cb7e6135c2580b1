package dev.kiln.cli.report;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What the report is about.
 *
 * @param name        the fleet's name (the fleet file's, or what the user passed)
 * @param generatedAt when the report was made; the "now" for nodes still open. The only field that may differ
 *                    between two renderings of the same results
 * @param runIds      the result-database runs the report was built from, in the order given
 */
public record FleetInfo(String name, Instant generatedAt, List<String> runIds) {
    public FleetInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(generatedAt, "generatedAt");
        runIds = runIds == null ? List.of() : List.copyOf(runIds);
    }
}
