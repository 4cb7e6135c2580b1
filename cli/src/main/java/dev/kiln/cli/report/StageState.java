package dev.kiln.cli.report;

/** Where one stage of a node's bring-up is. ERROR means the stage could not run and is never shown as passed. */
public enum StageState {
    PENDING, RUNNING, PASSED, FAILED, ERROR, SKIPPED;

    /** Whether the stage has ended (it has, or should have, a finish time). */
    public boolean ended() {
        return this == PASSED || this == FAILED || this == ERROR || this == SKIPPED;
    }
}
