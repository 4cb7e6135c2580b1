package dev.kiln.agent.burnin;

import dev.kiln.protocol.burnin.BurninTestIds;
import dev.kiln.protocol.spec.NodeSpec;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Minimum throughput a healthy GPU reaches in each burn-in test: Kiln's defaults, a constant table per
 * GPU model (matched on the NVML name), at about 85% of what a healthy GPU of that model measures with
 * these tests. A spec's {@code burnin} section overrides them metric by metric ({@link #minima}); a GPU
 * with neither is judged on correctness and telemetry only (its result says so).
 *
 * @param tflops       FP32 FMA TFLOP/s ({@code burnin.compute}, metric {@code tflops})
 * @param tensorTflops BF16 tensor-core TFLOP/s ({@code burnin.compute}, metric {@code tensorTflops})
 * @param hbmGbps      device-memory copy bandwidth, GB/s ({@code burnin.hbm-bandwidth}, metric {@code gbps})
 * @param pcieGbps     pinned host-device bandwidth each way, GB/s ({@code burnin.pcie}, metric {@code gbps}: the slower way)
 */
public record BurninThresholds(String model, double tflops, double tensorTflops, double hbmGbps, double pcieGbps) {

    /** What a healthy GPU of each model measures (the simulator's nominal figures too). */
    static final Map<String, BurninThresholds> NOMINAL = new LinkedHashMap<>();

    static {
        NOMINAL.put("H100", new BurninThresholds("H100", 50, 600, 2900, 55));
        NOMINAL.put("H200", new BurninThresholds("H200", 50, 620, 4300, 55));
        NOMINAL.put("B200", new BurninThresholds("B200", 75, 1700, 6500, 55));
        NOMINAL.put("L40S", new BurninThresholds("L40S", 80, 300, 800, 25));
    }

    /** Share of the nominal figure a GPU must reach. */
    static final double PASS_FRACTION = 0.85;

    /** The nominal figures of the GPU model named {@code gpuName}, if known. */
    public static Optional<BurninThresholds> nominal(String gpuName) {
        if (gpuName == null) {
            return Optional.empty();
        }
        for (Map.Entry<String, BurninThresholds> e : NOMINAL.entrySet()) {
            if (gpuName.contains(e.getKey())) {
                return Optional.of(e.getValue());
            }
        }
        return Optional.empty();
    }

    /** The minimum figures for the GPU model named {@code gpuName}, if known. */
    public static Optional<BurninThresholds> forGpu(String gpuName) {
        return nominal(gpuName).map(n -> new BurninThresholds(n.model, n.tflops * PASS_FRACTION,
                n.tensorTflops * PASS_FRACTION, n.hbmGbps * PASS_FRACTION, n.pcieGbps * PASS_FRACTION));
    }

    /**
     * The minimum of one metric, and where it came from.
     *
     * @param source {@code spec hgx-h100} or {@code Kiln's default for H100}
     */
    public record Minimum(double value, String source) {
    }

    /** The throughput metrics {@code test} is judged on (empty: not a throughput test). */
    public static List<String> metricsOf(String test) {
        return switch (test) {
            case BurninTestIds.COMPUTE -> List.of("tflops", "tensorTflops");
            case BurninTestIds.HBM_BANDWIDTH, BurninTestIds.PCIE -> List.of("gbps");
            default -> List.of();
        };
    }

    /**
     * The minimums {@code test} is judged by on the GPU named {@code gpuName}: the spec's where it sets
     * one, otherwise Kiln's default for the GPU's model; a metric with neither is left out.
     *
     * @param spec     the spec's burn-in section (null: none)
     * @param specName the spec's name, for the source
     */
    public static Map<String, Minimum> minima(String test, String gpuName, NodeSpec.BurninSpec spec, String specName) {
        Optional<BurninThresholds> model = forGpu(gpuName);
        Map<String, Double> defaults = model.map(m -> m.minimaFor(test)).orElse(Map.of());
        Map<String, Minimum> out = new LinkedHashMap<>();
        for (String metric : metricsOf(test)) {
            Double fromSpec = spec == null ? null : fromSpec(spec, test, metric);
            if (fromSpec != null) {
                out.put(metric, new Minimum(fromSpec, "spec " + specName));
            } else if (defaults.containsKey(metric)) {
                out.put(metric, new Minimum(defaults.get(metric), "Kiln's default for " + model.get().model()));
            }
        }
        return out;
    }

    private static Double fromSpec(NodeSpec.BurninSpec spec, String test, String metric) {
        return switch (test) {
            case BurninTestIds.COMPUTE -> "tflops".equals(metric) ? spec.computeTflopsFp32() : spec.computeTflopsTensor();
            case BurninTestIds.HBM_BANDWIDTH -> spec.hbmGbps();
            case BurninTestIds.PCIE -> spec.pcieGbps();
            default -> null;
        };
    }

    /** The metrics of {@code test} that have a minimum, with that minimum. */
    public Map<String, Double> minimaFor(String test) {
        return switch (test) {
            case BurninTestIds.COMPUTE -> Map.of("tflops", tflops, "tensorTflops", tensorTflops);
            case BurninTestIds.HBM_BANDWIDTH -> Map.of("gbps", hbmGbps);
            case BurninTestIds.PCIE -> Map.of("gbps", pcieGbps);
            default -> Map.of();
        };
    }
}
