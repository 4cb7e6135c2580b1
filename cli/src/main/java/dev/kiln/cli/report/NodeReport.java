package dev.kiln.cli.report;

import dev.kiln.protocol.fabric.PairBandwidth;

import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * One node's bring-up: verdict, stages, findings, GPUs to RMA, burn-in telemetry and fabric matrix.
 *
 * @param rack         the rack's name; {@link ReportModel#of} groups by it
 * @param firstContact when Kiln first reached the node's agent; null when NOT_STARTED
 * @param acceptedAt   when it was signed off; non-null exactly when ACCEPTED
 * @param stages       in the order they ran (the constructor sorts by start, unstarted last, keeping ties in order)
 * @param findings     worst first (the constructor sorts by severity, keeping ties in order)
 * @param rma          GPUs to send back, by index
 * @param telemetry    burn-in telemetry, one series per GPU, by index; empty when none was recorded
 * @param fabric       the node's {@code fabric.p2p} pairs; empty when not measured
 */
public record NodeReport(String name, String rack, Verdict verdict, Instant firstContact, Instant acceptedAt,
                         List<Stage> stages, List<Finding> findings, List<RmaGpu> rma, List<GpuSeries> telemetry,
                         List<PairBandwidth> fabric) {
    public NodeReport {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(rack, "rack");
        Objects.requireNonNull(verdict, "verdict");
        if ((verdict == Verdict.ACCEPTED) != (acceptedAt != null)) {
            throw new IllegalArgumentException(name + ": acceptedAt must be set exactly when the verdict is ACCEPTED");
        }
        if (verdict != Verdict.NOT_STARTED && firstContact == null) {
            throw new IllegalArgumentException(name + ": a " + verdict + " node needs its first contact");
        }
        stages = stages == null ? List.of() : stages.stream()
                .sorted(Comparator.comparing(Stage::startedAt, Comparator.nullsLast(Comparator.naturalOrder())))
                .toList();
        findings = findings == null ? List.of() : findings.stream()
                .sorted(Comparator.comparing(Finding::severity).reversed()).toList();
        rma = rma == null ? List.of() : rma.stream().sorted(Comparator.comparingInt(RmaGpu::index)).toList();
        telemetry = telemetry == null ? List.of()
                : telemetry.stream().sorted(Comparator.comparingInt(GpuSeries::gpuIndex)).toList();
        fabric = fabric == null ? List.of() : List.copyOf(fabric);
    }

    /** From first contact to acceptance; null unless ACCEPTED. */
    public Duration timeToProduction() {
        return acceptedAt == null ? null : Duration.between(firstContact, acceptedAt);
    }

    /**
     * When the node's story ends as of {@code now}: its acceptance; for a quarantined node the last stage's finish
     * (else {@code now}); for a node in progress {@code now}; null when never contacted.
     */
    public Instant endAsOf(Instant now) {
        return switch (verdict) {
            case ACCEPTED -> acceptedAt;
            case QUARANTINED -> stages.stream().map(Stage::finishedAt).filter(Objects::nonNull)
                    .max(Comparator.naturalOrder()).orElse(now);
            case IN_PROGRESS -> now;
            case NOT_STARTED -> null;
        };
    }

    /** From first contact to {@link #endAsOf(Instant)}; null when never contacted. */
    public Duration elapsedAsOf(Instant now) {
        Instant end = endAsOf(now);
        if (firstContact == null || end == null || end.isBefore(firstContact)) {
            return firstContact == null ? null : Duration.ZERO;
        }
        return Duration.between(firstContact, end);
    }

    /** The stage running now, else the first one still pending; null when none. */
    public Stage currentStage() {
        return stages.stream().filter(s -> s.state() == StageState.RUNNING).findFirst()
                .or(() -> stages.stream().filter(s -> s.state() == StageState.PENDING).findFirst()).orElse(null);
    }

    /** The worst finding's severity; INFO when none. */
    public Severity worst() {
        return findings.isEmpty() ? Severity.INFO : findings.get(0).severity();
    }
}
