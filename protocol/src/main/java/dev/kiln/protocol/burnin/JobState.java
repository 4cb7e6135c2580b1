package dev.kiln.protocol.burnin;

/** Where a job is. Terminal states: PASSED, FAILED, CANCELLED, INTERRUPTED (the agent restarted mid-run), ERROR. */
public enum JobState {
    QUEUED, RUNNING, PASSED, FAILED, CANCELLED, INTERRUPTED, ERROR;

    public boolean terminal() {
        return this != QUEUED && this != RUNNING;
    }
}
