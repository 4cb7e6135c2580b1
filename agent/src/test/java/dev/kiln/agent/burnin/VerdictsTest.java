package dev.kiln.agent.burnin;

import dev.kiln.protocol.burnin.GpuTestResult;
import dev.kiln.protocol.burnin.TelemetrySample;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class VerdictsTest {
    private static final GpuTestResult PASS = new GpuTestResult(0, "GPU-a", "1", "00000000:18:00.0", "burnin.compute",
            "PASS", null, Map.of("tflops", 50.0, "mismatches", 0.0), List.of(), 1000);

    private static TelemetrySample sample(List<String> reasons, long ecc, List<Integer> xids) {
        return new TelemetrySample(Instant.now(), 0, 70, 76, 650_000, 1980, reasons, ecc, 0L, 0L, xids);
    }

    @Test
    void aWindowFoldedSampleBySampleJudgesAsTheWholeList() {
        java.util.Random rnd = new java.util.Random(7);
        List<TelemetrySample> samples = new java.util.ArrayList<>();
        for (int i = 0; i < 5_000; i++) {
            List<String> reasons = rnd.nextInt(500) == 0 ? List.of("sw_power_cap") : rnd.nextInt(2000) == 0
                    ? List.of("hw_thermal_slowdown") : List.of();
            samples.add(new TelemetrySample(Instant.now(), 0, 60 + rnd.nextInt(30), 70, 400_000 + rnd.nextInt(300_000),
                    1980, reasons, (long) (i / 2000), 0L, 0L, rnd.nextInt(3000) == 0 ? List.of(48) : List.of()));
        }
        Verdicts.Window w = new Verdicts.Window();
        samples.forEach(w::add);
        Verdicts.Baseline before = new Verdicts.Baseline(1, 0);
        assertThat(Verdicts.judge(PASS, w, before)).isEqualTo(Verdicts.judge(PASS, samples, before));
        assertThat(Verdicts.after(before, w)).isEqualTo(Verdicts.after(before, samples));
        assertThat(w.size()).isEqualTo(5_000);
        assertThat(new Verdicts.Window().isEmpty()).isTrue();
    }

    @Test
    void cleanTelemetryKeepsAPass() {
        GpuTestResult r = Verdicts.judge(PASS, List.of(sample(List.of(), 0, List.of())), Verdicts.Baseline.ZERO);
        assertThat(r.verdict()).isEqualTo("PASS");
        assertThat(r.metrics()).containsEntry("maxTemperatureCelsius", 70.0).containsEntry("avgPowerWatts", 650.0);
    }

    @Test
    void uncorrectableEccDuringTheTestFailsButAnEarlierTestsDoesNot() {
        assertThat(Verdicts.judge(PASS, List.of(sample(List.of(), 2, List.of())), Verdicts.Baseline.ZERO).reason())
                .isEqualTo("2 uncorrectable ECC error(s) during the test");
        assertThat(Verdicts.judge(PASS, List.of(sample(List.of(), 2, List.of())), new Verdicts.Baseline(2, 0))
                .verdict()).isEqualTo("PASS");
    }

    @Test
    void hardwareSlowdownFailsSoftwarePowerCapIsNoted() {
        GpuTestResult brake = Verdicts.judge(PASS, List.of(sample(List.of("hw_power_brake_slowdown"), 0, List.of())),
                Verdicts.Baseline.ZERO);
        assertThat(brake.verdict()).isEqualTo("FAIL");
        GpuTestResult capped = Verdicts.judge(PASS, List.of(sample(List.of("sw_power_cap"), 0, List.of())),
                Verdicts.Baseline.ZERO);
        assertThat(capped.verdict()).isEqualTo("PASS");
        assertThat(capped.findings()).singleElement().asString().contains("software power cap");
    }

    @Test
    void anXidTurnsAnErrorIntoAFailThatNamesIt() {
        GpuTestResult error = new GpuTestResult(0, "GPU-a", "1", null, "burnin.compute", "ERROR", "launch failed",
                Map.of(), List.of(), 10);
        GpuTestResult r = Verdicts.judge(error, List.of(sample(List.of(), 0, List.of(79))), Verdicts.Baseline.ZERO);
        assertThat(r.verdict()).isEqualTo("FAIL");
        assertThat(r.reason()).contains("Xid 79");
        assertThat(r.findings()).contains("launch failed");
    }

    @Test
    void nansAreWrongResults() {
        GpuTestResult nan = new GpuTestResult(0, "GPU-a", "1", null, "burnin.compute", "PASS", null,
                Map.of("nanCount", 4.0), List.of(), 10);
        assertThat(Verdicts.judge(nan, List.of(), Verdicts.Baseline.ZERO).reason()).contains("4 NaN");
    }
}
