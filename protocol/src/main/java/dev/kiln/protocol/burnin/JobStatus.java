package dev.kiln.protocol.burnin;

import java.time.Instant;
import java.util.List;

/**
 * {@code GET /v1/jobs/{id}}: a job and, once it has run, its results.
 *
 * @param progress  0.0 .. 1.0
 * @param current   what runs now, e.g. "burnin.memory on GPU 3", null when idle
 * @param reason    why the job is FAILED / ERROR / INTERRUPTED / CANCELLED, in one sentence
 * @param telemetry the last samples (bounded); the full series is in the job's events stream and state file
 */
public record JobStatus(int schemaVersion, String kind, String id, String node, BurninRequest request, JobState state,
                        Instant createdAt, Instant startedAt, Instant finishedAt, double progress, String current,
                        String reason, List<GpuTestResult> results, List<TelemetrySample> telemetry,
                        List<dev.kiln.protocol.fabric.FabricResult> fabric) {
    public static final String KIND = "kiln.job";

    public JobStatus {
        results = results == null ? List.of() : List.copyOf(results);
        telemetry = telemetry == null ? List.of() : List.copyOf(telemetry);
        fabric = fabric == null ? List.of() : List.copyOf(fabric);
    }

    /** A burn-in job's status (no fabric results). */
    public JobStatus(int schemaVersion, String kind, String id, String node, BurninRequest request, JobState state,
                     Instant createdAt, Instant startedAt, Instant finishedAt, double progress, String current,
                     String reason, List<GpuTestResult> results, List<TelemetrySample> telemetry) {
        this(schemaVersion, kind, id, node, request, state, createdAt, startedAt, finishedAt, progress, current,
                reason, results, telemetry, List.of());
    }
}
