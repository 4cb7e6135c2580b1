package dev.kiln.agent.burnin;

/** Test access to package-private parts of {@link JobManager}. */
public final class JobManagerAccess {
    private JobManagerAccess() {
    }

    public static long runningWorkerPid(JobManager jobs) {
        return jobs.runningWorkerPid().orElse(-1L);
    }
}
