package dev.kiln.cli.db;

import java.util.Locale;

/**
 * Where a {@code kiln bringup} run stands. A run that crashed stays {@link #RUNNING} with a stale
 * {@link RunRecord#heartbeatAt()}; {@code --resume} continues it.
 */
public enum RunState {
    RUNNING,
    /** Ctrl-C or SIGTERM: recorded on the way out; jobs may still run on agents. */
    INTERRUPTED,
    FINISHED;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    static RunState fromId(String id) {
        return valueOf(id.toUpperCase(Locale.ROOT));
    }
}
