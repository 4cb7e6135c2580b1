package dev.kiln.cli;

import dev.kiln.cli.fanout.NodeError;
import dev.kiln.cli.fleet.FleetNode;
import dev.kiln.protocol.burnin.GpuTestResult;
import dev.kiln.protocol.burnin.JobState;
import dev.kiln.protocol.burnin.JobStatus;
import dev.kiln.protocol.burnin.TelemetrySample;

import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What {@code kiln burnin} knows of one node's job: its id, the last status the agent answered and how
 * the node's part of the run ended. Written by the command's thread; the Ctrl-C hook reads {@link #jobId}
 * and {@link #outcome}, hence the volatile fields.
 */
final class BurninJob {
    /** How a node's part of the run ended. */
    enum Outcome {
        /** Still being followed. */
        RUNNING,
        /** The job ended PASSED. */
        PASSED,
        /** The job ended FAILED, ERROR, INTERRUPTED or CANCELLED (by the agent, or by someone else). */
        FAILED,
        /** {@code POST /v1/jobs} was answered with an error: 409 busy node or GPU, 400, 401, ... */
        REFUSED,
        /** No HTTP answer: at the start, or while following (the job's last known state is kept). */
        UNREACHABLE,
        /** While following, the agent answered with errors (e.g. 404: the job is gone). */
        LOST;

        String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Whether the node counts as not queried (exit 4). */
        boolean notQueried() {
            return this == REFUSED || this == UNREACHABLE || this == LOST;
        }
    }

    /** Consecutive failed polls after which a node is given up on (about three seconds plus timeouts). */
    static final int MAX_FAILED_POLLS = 3;

    final FleetNode node;
    volatile String jobId;
    volatile Outcome outcome = Outcome.RUNNING;
    /** The last status the agent answered (null before the job started). */
    JobStatus status;
    /** Why the node was refused, unreachable or lost. */
    NodeError error;
    int httpStatus;
    long elapsedMillis;
    int failedPolls;

    // What was already reported as events.
    JobState lastState;
    double lastProgress = -1;
    String lastCurrent;
    Instant lastTelemetry;
    final Set<String> seenResults = new HashSet<>();

    BurninJob(FleetNode node) {
        this.node = node;
    }

    boolean ended() {
        return outcome != Outcome.RUNNING;
    }

    /** The latest sample of each GPU, by GPU index. */
    Map<Integer, TelemetrySample> latestTelemetry() {
        Map<Integer, TelemetrySample> latest = new TreeMap<>();
        if (status != null && status.telemetry() != null) {
            for (TelemetrySample s : status.telemetry()) {
                if (s == null) {
                    continue;
                }
                TelemetrySample prev = latest.get(s.gpuIndex());
                if (prev == null || prev.time() == null || s.time() != null && !s.time().isBefore(prev.time())) {
                    latest.put(s.gpuIndex(), s);
                }
            }
        }
        return latest;
    }

    /** Hottest GPU, in degrees Celsius, from the latest samples; null when none has a temperature. */
    Integer hottestCelsius() {
        return latestTelemetry().values().stream().map(TelemetrySample::temperatureCelsius)
                .filter(java.util.Objects::nonNull).max(Integer::compare).orElse(null);
    }

    /** Sum of every GPU's latest power draw, in watts; null when no sample has a power reading. */
    Double totalPowerWatts() {
        List<Integer> mw = latestTelemetry().values().stream().map(TelemetrySample::powerMilliwatts)
                .filter(java.util.Objects::nonNull).toList();
        return mw.isEmpty() ? null : mw.stream().mapToLong(Integer::longValue).sum() / 1000.0;
    }

    List<GpuTestResult> results() {
        return status == null || status.results() == null ? List.of() : status.results();
    }

    /** {@code RUNNING, 41%, burnin.memory on GPUs 0-7}: the last known state, for messages. */
    String lastKnown() {
        if (status == null) {
            return "not started";
        }
        StringBuilder b = new StringBuilder(status.state().name());
        if (!status.state().terminal()) {
            b.append(", ").append(Math.round(status.progress() * 100)).append('%');
            if (status.current() != null) {
                b.append(", ").append(status.current());
            }
        }
        return b.toString();
    }
}
