package dev.kiln.agent.burnin;

import dev.kiln.protocol.burnin.GpuTestResult;
import dev.kiln.protocol.burnin.TelemetrySample;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Without telemetry the thermal, ECC and Xid rules cannot run: such a test is never a PASS. */
class TelemetryGapsTest {
    private static final GpuTestResult PASS = new GpuTestResult(2, "GPU-x", "165", "00000000:3A:00.0",
            "burnin.compute", "PASS", null, Map.of("tflops", 50.0), List.of(), 1000);
    private static final TelemetrySample SAMPLE = new TelemetrySample(Instant.now(), 2, 60, 55, 500_000, 1900,
            List.of(), 0L, 0L, 0L, List.of());

    @Test
    void noSampleAtAllMakesAPassAnError() {
        GpuTestResult r = BurninRun.withTelemetryGaps(PASS, List.of(), 3, "NvmlException: GPU_IS_LOST");
        assertThat(r.verdict()).isEqualTo("ERROR");
        assertThat(r.reason()).contains("no telemetry");
        assertThat(r.findings()).anyMatch(f -> f.contains("3 telemetry sample(s) failed") && f.contains("GPU_IS_LOST"));
    }

    @Test
    void failedSamplesAreNamedEvenWhenOthersWorked() {
        GpuTestResult r = BurninRun.withTelemetryGaps(PASS, List.of(SAMPLE), 1, "boom");
        assertThat(r.verdict()).isEqualTo("PASS");
        assertThat(r.findings()).singleElement().satisfies(f -> assertThat(f).contains("1 telemetry sample(s) failed"));
    }

    @Test
    void aFailureStaysAFailureAndACleanRunIsUntouched() {
        GpuTestResult fail = new GpuTestResult(2, "GPU-x", "165", "b", "burnin.memory", "FAIL", "mismatch", Map.of(),
                List.of("mismatch at 0x1"), 10);
        assertThat(BurninRun.withTelemetryGaps(fail, List.of(), null, null).verdict()).isEqualTo("FAIL");
        assertThat(BurninRun.withTelemetryGaps(PASS, List.of(SAMPLE), null, null)).isSameAs(PASS);
    }
}
