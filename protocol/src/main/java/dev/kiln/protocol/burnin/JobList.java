package dev.kiln.protocol.burnin;

import java.util.List;

/** {@code GET /v1/jobs}: the node's jobs, oldest first, and storage notes (e.g. jobs kept in a temporary directory). */
public record JobList(int schemaVersion, String kind, String node, List<JobStatus> jobs, List<String> notes) {
    public static final String KIND = "kiln.job-list";

    public JobList {
        jobs = jobs == null ? List.of() : List.copyOf(jobs);
        notes = notes == null ? List.of() : List.copyOf(notes);
    }
}
