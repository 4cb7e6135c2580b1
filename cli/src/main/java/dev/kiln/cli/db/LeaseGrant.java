package dev.kiln.cli.db;

import java.util.List;

/**
 * The answer to {@link ResultsDb#acquire}: the requested nodes this run now holds (in request order) and,
 * for the others, the live lease of whoever holds them.
 */
public record LeaseGrant(List<String> held, List<Lease> refused) {
    public LeaseGrant {
        held = List.copyOf(held);
        refused = List.copyOf(refused);
    }
}
