package dev.kiln.agent.burnin;

import dev.kiln.protocol.burnin.GpuTestResult;
import dev.kiln.protocol.burnin.TelemetrySample;

import dev.kiln.protocol.fabric.FabricResult;

import java.time.Instant;

/**
 * One line of the burn-in worker's stdout (JSON lines; diagnostics go to stderr). Types:
 * <ul>
 *   <li>{@code heartbeat}: the worker is alive and its tests make progress (every ~250 ms)</li>
 *   <li>{@code progress}: {@code progress} 0..1 and {@code current} ("burnin.memory on GPUs 0-7")</li>
 *   <li>{@code telemetry}: one {@link TelemetrySample}</li>
 *   <li>{@code result}: one judged {@link GpuTestResult}</li>
 *   <li>{@code fabric}: one judged {@link FabricResult} (fabric jobs)</li>
 *   <li>{@code done}: {@code verdict} PASS or FAIL over every result; the worker then exits 0</li>
 *   <li>{@code error}: the job could not run at all ({@code message}); the worker then exits 2</li>
 * </ul>
 */
public record WorkerLine(String type, Instant time, Double progress, String current, TelemetrySample telemetry,
                         GpuTestResult result, String verdict, String message, FabricResult fabric) {
    public static final String HEARTBEAT = "heartbeat";
    public static final String PROGRESS = "progress";
    public static final String TELEMETRY = "telemetry";
    public static final String RESULT = "result";
    public static final String DONE = "done";
    public static final String FABRIC = "fabric";
    public static final String ERROR = "error";

    public static WorkerLine heartbeat() {
        return new WorkerLine(HEARTBEAT, Instant.now(), null, null, null, null, null, null, null);
    }

    public static WorkerLine progress(double progress, String current) {
        return new WorkerLine(PROGRESS, Instant.now(), progress, current, null, null, null, null, null);
    }

    public static WorkerLine telemetry(TelemetrySample s) {
        return new WorkerLine(TELEMETRY, Instant.now(), null, null, s, null, null, null, null);
    }

    public static WorkerLine result(GpuTestResult r) {
        return new WorkerLine(RESULT, Instant.now(), null, null, null, r, null, null, null);
    }

    public static WorkerLine done(String verdict) {
        return new WorkerLine(DONE, Instant.now(), 1.0, null, null, null, verdict, null, null);
    }

    public static WorkerLine fabric(FabricResult r) {
        return new WorkerLine(FABRIC, Instant.now(), null, null, null, null, null, null, r);
    }

    /** The end of a job, with a one-line summary the agent keeps as the job's reason when it did not pass. */
    public static WorkerLine done(String verdict, String summary) {
        return new WorkerLine(DONE, Instant.now(), 1.0, null, null, null, verdict, summary, null);
    }

    public static WorkerLine error(String message) {
        return new WorkerLine(ERROR, Instant.now(), null, null, null, null, null, message, null);
    }
}
