package dev.kiln.agent.burnin;

import dev.kiln.protocol.burnin.BurninTestIds;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Minimum throughput a healthy GPU reaches in each burn-in test. Node specs have no burn-in fields
 * yet, so this is a constant table per GPU model (matched on the NVML name), at about 85% of what a
 * healthy GPU of that model measures with these tests; a GPU of an unknown model is judged on
 * correctness and telemetry only. Move these into the spec file when it grows a burn-in section.
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
