package dev.kiln.cli.db;

import java.util.Locale;

/** Where one attempt at one stage of one node stands. Stored lower-case. */
public enum AttemptState {
    /** Planned, not started (e.g. waiting for the power budget). */
    PENDING,
    /** Started; may have a job on the agent ({@link StageAttempt#agentJobId()}) to re-attach to. */
    RUNNING,
    PASSED,
    FAILED,
    /** The stage could not run or be judged: never a pass. */
    ERROR,
    SKIPPED;

    /** Whether the attempt has ended ({@link #PASSED}, {@link #FAILED}, {@link #ERROR}, {@link #SKIPPED}). */
    public boolean finished() {
        return this != PENDING && this != RUNNING;
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    static AttemptState fromId(String id) {
        return valueOf(id.toUpperCase(Locale.ROOT));
    }
}
