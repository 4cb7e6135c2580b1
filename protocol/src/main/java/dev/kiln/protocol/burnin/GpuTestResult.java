package dev.kiln.protocol.burnin;

import java.util.List;
import java.util.Map;

/**
 * One test on one GPU.
 *
 * @param verdict  PASS, FAIL, ERROR (the test could not run: never a pass) or SKIP (with the reason)
 * @param metrics  named numbers with units in the name: {@code tflops}, {@code gbps}, {@code mismatches},
 *                 {@code nanCount}, {@code energyJoules}, {@code gflopsPerWatt}, {@code maxTemperatureCelsius}
 * @param findings every problem found, e.g. "mismatch at 0x7f3a00001000: expected 0xffffffff, got 0xfffffeff"
 */
public record GpuTestResult(int gpuIndex, String uuid, String serial, String pciBusId, String test, String verdict,
                            String reason, Map<String, Double> metrics, List<String> findings, long durationMs) {
}
