package dev.kiln.cli.db;

import java.util.Objects;

/**
 * A run to record. {@code startedBy} is {@code user@host} ({@link ResultsDb#whoAmI()}); {@code argsJson}
 * and {@code planJson} are JSON text the caller wrote (the command line, the planned nodes and stages),
 * kept so {@code --resume} can rebuild the plan. Either may be null.
 */
public record NewRun(String id, String startedBy, String argsJson, String planJson) {
    public NewRun {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(startedBy, "startedBy");
        if (id.isBlank()) {
            throw new IllegalArgumentException("blank run id");
        }
    }
}
