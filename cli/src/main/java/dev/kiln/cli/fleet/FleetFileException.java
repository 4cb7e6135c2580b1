package dev.kiln.cli.fleet;

import dev.kiln.cli.UsageException;

/** A fleet file (or a token file it names) that cannot be used; the message names file, line and field. */
public final class FleetFileException extends UsageException {
    public FleetFileException(String message) {
        super(message);
    }
}
