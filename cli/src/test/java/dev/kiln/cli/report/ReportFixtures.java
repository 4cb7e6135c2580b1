package dev.kiln.cli.report;

import dev.kiln.protocol.burnin.TelemetrySample;
import dev.kiln.protocol.fabric.PairBandwidth;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Small hand-made rollouts for the renderer tests. Lab fleet, "now" 12:00 UTC:
 * <pre>
 * rack-a  node-01   ACCEPTED     06:00 -> 08:45 (2 h 45 min), 2 GPUs of telemetry, 4-GPU fabric with one slow direction
 *         node-02   QUARANTINED  burn-in FAILED: GPU 1 memory (RMA), GPU 3 ECC (RMA), a WARN
 *         node-10   ACCEPTED     07:00 -> 09:30 (2 h 30 min), burn-in waived: no telemetry; the last acceptance
 * rack-b  node-03   IN_PROGRESS  burn-in RUNNING since 08:10, telemetry so far
 *         node-04   NOT_STARTED
 * </pre>
 */
final class ReportFixtures {
    static final Instant NOW = Instant.parse("2025-06-02T12:00:00Z");

    private ReportFixtures() {
    }

    static Instant at(String hhmm) {
        return Instant.parse("2025-06-02T" + hhmm + ":00Z");
    }

    static FleetInfo fleet(Instant now) {
        return new FleetInfo("lab-fleet", now, List.of("run-a", "run-b"));
    }

    static ReportModel small() {
        return small(NOW);
    }

    static ReportModel small(Instant now) {
        return ReportModel.of(fleet(now), List.of(node10(), node02(), node04(), node01(), node03()));
    }

    /** Only the nodes with an outcome (accepted or quarantined): nothing depends on "now" but the header. */
    static ReportModel complete(Instant now) {
        return ReportModel.of(fleet(now), List.of(node01(), node02(), node10()));
    }

    static NodeReport node01() {
        List<Stage> stages = List.of(
                new Stage("inventory", StageState.PASSED, at("06:01"), at("06:02"), "4 GPUs"),
                new Stage("checks", StageState.PASSED, at("06:03"), at("06:05"), "24 PASS"),
                new Stage("burnin", StageState.PASSED, at("06:10"), at("08:10"), "4 GPUs PASS"),
                new Stage("fabric", StageState.PASSED, at("08:15"), at("08:35"), "12 pairs"));
        return new NodeReport("node-01", "rack-a", Verdict.ACCEPTED, at("06:00"), at("08:45"), stages,
                List.of(new Finding(Severity.WARN, "fabric", "fabric.p2p", "GPU 1 -> GPU 2", "one direction at 300 GB/s",
                        null)),
                List.of(), telemetry(at("06:10"), 121, 2), matrix(4, 1, 2, 300.0));
    }

    static NodeReport node02() {
        List<Stage> stages = List.of(
                new Stage("inventory", StageState.PASSED, at("06:06"), at("06:07"), "4 GPUs"),
                new Stage("checks", StageState.PASSED, at("06:08"), at("06:10"), "24 PASS"),
                new Stage("burnin", StageState.FAILED, at("06:20"), at("08:20"), "GPU 1 FAIL"),
                new Stage("fabric", StageState.SKIPPED, null, null, "not run after a failed burn-in"));
        List<Finding> findings = List.of(
                new Finding(Severity.WARN, "burnin", "burnin.thermal", "GPU 0", "slowdown for 12 s", null),
                new Finding(Severity.FAIL, "burnin", "burnin.memory", "GPU 1 (serial 1650000000001)",
                        "12 mismatches, first at 0x7f3a00001000", "RMA GPU 1"),
                new Finding(Severity.FAIL, "burnin", "gpu.ecc.uncorrectable", "GPU 3 (serial 1650000000003)",
                        "2 uncorrectable ECC errors", "RMA GPU 3"));
        List<RmaGpu> rma = List.of(
                new RmaGpu(3, "1650000000003", "GPU-3333", "00000000:5D:00.0", List.of("2 uncorrectable ECC errors")),
                new RmaGpu(1, "1650000000001", "GPU-1111", "00000000:2A:00.0",
                        List.of("burnin.memory: 12 mismatches", "row remap pending")));
        return new NodeReport("node-02", "rack-a", Verdict.QUARANTINED, at("06:05"), null, stages, findings, rma,
                telemetry(at("06:20"), 121, 4), List.of());
    }

    static NodeReport node10() {
        List<Stage> stages = List.of(
                new Stage("fabric", StageState.PASSED, at("07:30"), at("09:00"), "12 pairs"),
                new Stage("inventory", StageState.PASSED, at("07:00"), at("07:05"), "4 GPUs"),
                new Stage("checks", StageState.PASSED, at("07:10"), at("07:20"), "24 PASS"),
                new Stage("burnin", StageState.SKIPPED, at("07:20"), at("07:20"), "waived"));
        return new NodeReport("node-10", "rack-a", Verdict.ACCEPTED, at("07:00"), at("09:30"), stages, List.of(),
                List.of(), List.of(), List.of());
    }

    static NodeReport node03() {
        List<Stage> stages = List.of(
                new Stage("inventory", StageState.PASSED, at("08:01"), at("08:02"), "4 GPUs"),
                new Stage("checks", StageState.PASSED, at("08:03"), at("08:05"), "24 PASS"),
                new Stage("burnin", StageState.RUNNING, at("08:10"), null, "compute on 4 GPUs"),
                new Stage("fabric", StageState.PENDING, null, null, null));
        return new NodeReport("node-03", "rack-b", Verdict.IN_PROGRESS, at("08:00"), null, stages, List.of(),
                List.of(), GpuSeries.fromSamples(samples(at("08:10"), 200, 4)), List.of());
    }

    static NodeReport node04() {
        return new NodeReport("node-04", "rack-b", Verdict.NOT_STARTED, null, null, List.of(),
                List.of(new Finding(Severity.ERROR, null, "agent.reachable", "node-04", "no answer", "check cabling")),
                List.of(), List.of(), List.of());
    }

    /** {@code gpus} series of {@code n} points a minute apart: warming up to about 70 °C at 650 W. */
    static List<GpuSeries> telemetry(Instant from, int n, int gpus) {
        List<GpuSeries> out = new ArrayList<>();
        for (int g = 0; g < gpus; g++) {
            List<TelemetryPoint> pts = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                double temp = 30 + 40 * (1 - Math.exp(-i / 8.0)) + g;
                Double power = i == 50 ? null : 650.0 + (i % 5) - g;
                pts.add(new TelemetryPoint(from.plus(Duration.ofMinutes(i)), temp, power, 1980));
            }
            out.add(new GpuSeries(g, pts));
        }
        return out;
    }

    /** The agent's telemetry samples (milliwatts), as a job's status carries them, every 30 s. */
    static List<TelemetrySample> samples(Instant from, int n, int gpus) {
        List<TelemetrySample> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            for (int g = gpus - 1; g >= 0; g--) {
                out.add(new TelemetrySample(from.plusSeconds(30L * i), g, 40 + i % 20, 50, 600_000 + g * 1000, 1980,
                        List.of(), 0L, 0L, 0L, List.of()));
            }
        }
        return out;
    }

    /** {@code n} GPUs on NVLink at 370 GB/s, expected 335; {@code slowA -> slowB} at {@code slow}. */
    static List<PairBandwidth> matrix(int n, int slowA, int slowB, double slow) {
        List<PairBandwidth> pairs = new ArrayList<>();
        for (int a = 0; a < n; a++) {
            for (int b = a + 1; b < n; b++) {
                double ab = a == slowA && b == slowB ? slow : 370;
                pairs.add(new PairBandwidth(a, b, "0000:" + a, "0000:" + b, "NVLINK", "ok", ab, 371.4, ab + 371.4, 2.1,
                        335.0, "hgx-h100"));
            }
        }
        return pairs;
    }

    /** Every string a hostile or careless data source could put in: markup, quotes, ampersands, controls, URLs. */
    static final String EVIL = "<script>alert('x')</script>\"'&amp;<img src=x onerror=alert(1)>\u0001]]>";
    static final String EVIL_URL = "https://evil.example/x.png";

    static ReportModel hostile() {
        String rack = "rack\"><b>" + EVIL;
        List<Stage> stages = List.of(
                new Stage("burnin " + EVIL, StageState.FAILED, at("06:10"), at("08:10"), EVIL),
                new Stage("fabric", StageState.ERROR, at("08:15"), at("08:20"), null));
        NodeReport bad = new NodeReport("node " + EVIL, rack, Verdict.QUARANTINED, at("06:00"), null, stages,
                List.of(new Finding(Severity.FAIL, "burnin " + EVIL, "id." + EVIL, EVIL, EVIL + " see " + EVIL_URL,
                        "=HYPERLINK(\"" + EVIL_URL + "\")")),
                List.of(new RmaGpu(0, "=1+1," + EVIL, EVIL, EVIL, List.of(EVIL, "line one\nline two, \"quoted\""))),
                telemetry(at("06:10"), 30, 1), matrix(2, 0, 1, 100.0));
        NodeReport good = new NodeReport("-node,\"2\"", rack, Verdict.ACCEPTED, at("06:00"), at("07:00"),
                List.of(new Stage("checks", StageState.PASSED, at("06:10"), at("06:20"), "ok")), List.of(), List.of(),
                List.of(), List.of());
        return ReportModel.of(new FleetInfo("fleet " + EVIL, NOW, List.of("run " + EVIL)), List.of(bad, good));
    }
}
