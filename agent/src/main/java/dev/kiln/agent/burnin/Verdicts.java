package dev.kiln.agent.burnin;

import dev.kiln.protocol.burnin.GpuTestResult;
import dev.kiln.protocol.burnin.TelemetrySample;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The burn-in verdict rules, applied to one GPU's result of one test and the telemetry sampled
 * on that GPU while the test ran (and in the settle pause before it):
 * <ol>
 *   <li>wrong results or memory mismatches ({@code mismatches} or {@code nanCount} above 0) -> FAIL</li>
 *   <li>uncorrectable ECC errors, new remapped rows, or any Xid during the test -> FAIL</li>
 *   <li>hardware slowdown (HW slowdown, HW thermal slowdown, HW power brake) -> FAIL</li>
 *   <li>software power cap -> noted in the findings, not a failure</li>
 *   <li>throughput below the minimum (the spec's, else the model's) -> FAIL, but only after a confirming repeat
 *       ({@link #belowMinimum}; {@link BurninRun} repeats the test)</li>
 * </ol>
 * A test that could not run (ERROR) is never a pass; a rule that fails overrides ERROR to FAIL,
 * since it names the cause (an Xid 79 makes the test error out).
 */
public final class Verdicts {
    private Verdicts() {
    }

    static final Set<String> HW_SLOWDOWN = Set.of("hw_slowdown", "hw_thermal_slowdown", "hw_power_brake_slowdown");

    /** Baselines carried from one test to the next on the same GPU (deltas count since the job started). */
    public record Baseline(long ecc, long remapped) {
        public static final Baseline ZERO = new Baseline(0, 0);
    }

    /**
     * Applies rules 1-4 to {@code raw}; adds {@code maxTemperatureCelsius}, {@code avgPowerWatts}
     * from the telemetry when samples are there.
     */
    public static GpuTestResult judge(GpuTestResult raw, List<TelemetrySample> during, Baseline before) {
        return judge(raw, Window.of(during), before);
    }

    /**
     * What the judging rules need from a test's telemetry, folded as samples arrive, so a long burn-in holds a few
     * numbers per GPU instead of every sample (24 h at 1 Hz on 8 GPUs would be ~700,000 samples).
     */
    public static final class Window {
        private final Set<Integer> xids = new LinkedHashSet<>();
        private final Set<String> hw = new LinkedHashSet<>();
        private long ecc = Long.MIN_VALUE;
        private long remapped = Long.MIN_VALUE;
        private int samples;
        private int powerCapped;
        private int powerReadings;
        private double powerSum;
        private double maxTemp = Double.NaN;

        public static Window of(List<TelemetrySample> samples) {
            Window w = new Window();
            samples.forEach(w::add);
            return w;
        }

        public void add(TelemetrySample s) {
            samples++;
            xids.addAll(s.xids());
            if (s.eccUncorrectableDelta() != null) {
                ecc = Math.max(ecc, s.eccUncorrectableDelta());
            }
            if (s.remappedRowsDelta() != null) {
                remapped = Math.max(remapped, s.remappedRowsDelta());
            }
            for (String r : s.clockEventReasons()) {
                if (HW_SLOWDOWN.contains(r)) {
                    hw.add(r);
                }
            }
            if (s.clockEventReasons().contains("sw_power_cap")) {
                powerCapped++;
            }
            if (s.temperatureCelsius() != null) {
                maxTemp = Double.isNaN(maxTemp) ? s.temperatureCelsius() : Math.max(maxTemp, s.temperatureCelsius());
            }
            if (s.powerMilliwatts() != null) {
                powerSum += s.powerMilliwatts() / 1000.0;
                powerReadings++;
            }
        }

        /** Samples folded in. */
        public int size() {
            return samples;
        }

        public boolean isEmpty() {
            return samples == 0;
        }
    }

    /** {@link #judge(GpuTestResult, List, Baseline)} over a folded window. */
    public static GpuTestResult judge(GpuTestResult raw, Window w, Baseline before) {
        List<String> fails = new ArrayList<>();
        List<String> findings = new ArrayList<>(raw.findings());
        Map<String, Double> metrics = new LinkedHashMap<>(raw.metrics());
        double mismatches = metrics.getOrDefault("mismatches", 0.0);
        double nans = metrics.getOrDefault("nanCount", 0.0);
        if (mismatches > 0) {
            fails.add(raw.test().endsWith("memory") ? (long) mismatches + " memory mismatch(es)"
                    : "wrong results: " + (long) mismatches + " mismatched element(s) between identical repeats");
        }
        if (nans > 0) {
            fails.add("wrong results: " + (long) nans + " NaN(s)");
        }
        long ecc = Math.max(before.ecc(), w.ecc);
        long remapped = Math.max(before.remapped(), w.remapped);
        Set<Integer> xids = w.xids;
        Set<String> hw = w.hw;
        int powerCapped = w.powerCapped;
        int readings = w.powerReadings;
        double maxTemp = w.maxTemp;
        double powerSum = w.powerSum;
        if (ecc > before.ecc()) {
            fails.add((ecc - before.ecc()) + " uncorrectable ECC error(s) during the test");
        }
        if (remapped > before.remapped()) {
            fails.add((remapped - before.remapped()) + " row(s) remapped during the test");
        }
        for (int x : xids) {
            fails.add("Xid " + x + " during the test" + (x == 79 ? " (GPU fell off the bus)" : ""));
        }
        if (!hw.isEmpty()) {
            fails.add("hardware slowdown during the test (" + String.join(", ", hw) + ")");
        }
        if (powerCapped > 0) {
            findings.add("software power cap active in " + powerCapped + " of " + w.size()
                    + " telemetry sample(s) (noted, not a failure)");
        }
        if (!Double.isNaN(maxTemp)) {
            metrics.merge("maxTemperatureCelsius", maxTemp, Math::max);
        }
        if (readings > 0) {
            metrics.put("avgPowerWatts", Math.round(powerSum / readings * 10) / 10.0);
        }
        String verdict = raw.verdict();
        String reason = raw.reason();
        if (!fails.isEmpty()) {
            verdict = "FAIL";
            reason = String.join("; ", fails);
            for (String f : fails) {
                if (!findings.contains(f)) {
                    findings.add(f);
                }
            }
            if (raw.reason() != null && !reason.contains(raw.reason())) {
                findings.add(raw.reason());
            }
        }
        return new GpuTestResult(raw.gpuIndex(), raw.uuid(), raw.serial(), raw.pciBusId(), raw.test(), verdict, reason,
                java.util.Collections.unmodifiableMap(metrics), List.copyOf(findings), raw.durationMs());
    }

    /** The new baseline after {@code during}. */
    static Baseline after(Baseline before, List<TelemetrySample> during) {
        return after(before, Window.of(during));
    }

    /** The new baseline after a folded window. */
    static Baseline after(Baseline before, Window w) {
        long ecc = Math.max(before.ecc(), w.ecc);
        long remapped = Math.max(before.remapped(), w.remapped);
        return new Baseline(ecc, remapped);
    }

    /** Rule 5 with Kiln's default minimums of one GPU model. */
    public static Optional<String> belowMinimum(GpuTestResult r, Optional<BurninThresholds> minima) {
        Map<String, BurninThresholds.Minimum> m = new LinkedHashMap<>();
        minima.ifPresent(t -> t.minimaFor(r.test()).forEach((k, v) -> m.put(k,
                new BurninThresholds.Minimum(v, "Kiln's default for " + t.model()))));
        return belowMinimum(r, m);
    }

    /** Rule 5: which measured metric falls below its minimum, in words; empty when none (or no minimum known). */
    public static Optional<String> belowMinimum(GpuTestResult r, Map<String, BurninThresholds.Minimum> minima) {
        if (minima.isEmpty() || !"PASS".equals(r.verdict())) {
            return Optional.empty();
        }
        List<String> low = new ArrayList<>();
        for (Map.Entry<String, BurninThresholds.Minimum> min : minima.entrySet()) {
            Double got = r.metrics().get(min.getKey());
            if (got != null && got < min.getValue().value()) {
                low.add(String.format(java.util.Locale.ROOT, "%s %.1f below the minimum %.1f (from %s)", min.getKey(),
                        got, min.getValue().value(), min.getValue().source()));
            }
        }
        return low.isEmpty() ? Optional.empty() : Optional.of(String.join(", ", low));
    }

    /**
     * Says what {@code r}'s throughput was judged by: a metric {@code minimumGbps} (etc.) per minimum and a
     * finding naming where it came from; or, for a metric with no minimum, a finding that it was not judged.
     * Tests that measure no throughput are returned as they are.
     */
    public static GpuTestResult withMinima(GpuTestResult r, Map<String, BurninThresholds.Minimum> minima,
                                           String gpuName) {
        List<String> judged = BurninThresholds.metricsOf(r.test());
        if (judged.isEmpty()) {
            return r;
        }
        Map<String, Double> metrics = new LinkedHashMap<>(r.metrics());
        List<String> findings = new ArrayList<>(r.findings());
        List<String> missing = new ArrayList<>();
        Set<String> sources = new LinkedHashSet<>();
        for (String metric : judged) {
            BurninThresholds.Minimum min = minima.get(metric);
            if (min == null) {
                missing.add(metric);
            } else {
                metrics.put("minimum" + Character.toUpperCase(metric.charAt(0)) + metric.substring(1), min.value());
                sources.add(min.source());
            }
        }
        if (sources.size() == 1) {
            findings.add((minima.size() > 1 ? "minimums" : "minimum") + " from " + sources.iterator().next());
        } else if (sources.size() > 1) {
            List<String> each = new ArrayList<>();
            minima.forEach((metric, min) -> each.add(metric + " minimum from " + min.source()));
            findings.add(String.join(", ", each));
        }
        String gpu = gpuName == null ? "an unknown model" : gpuName;
        if (missing.size() == judged.size()) {
            findings.add("no throughput minimum for this GPU (" + gpu + "): throughput not judged; set the spec's "
                    + "burnin minimums to judge it");
        } else if (!missing.isEmpty()) {
            findings.add("no minimum for " + String.join(", ", missing) + " on this GPU (" + gpu + "): not judged");
        }
        return new GpuTestResult(r.gpuIndex(), r.uuid(), r.serial(), r.pciBusId(), r.test(), r.verdict(), r.reason(),
                java.util.Collections.unmodifiableMap(metrics), List.copyOf(findings), r.durationMs());
    }
}
