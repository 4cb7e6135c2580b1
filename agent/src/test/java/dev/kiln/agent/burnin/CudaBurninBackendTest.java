package dev.kiln.agent.burnin;

import dev.kiln.cuda.burnin.ComputeStress;
import dev.kiln.cuda.burnin.HbmBandwidth;
import dev.kiln.cuda.burnin.MemoryTest;
import dev.kiln.cuda.burnin.Outcome;
import dev.kiln.cuda.burnin.PcieBandwidth;
import dev.kiln.cuda.burnin.WorkloadError;
import dev.kiln.cuda.burnin.WorkloadResult;
import dev.kiln.cuda.raw.CudaLoader;
import dev.kiln.nvml.NvmlSession;
import dev.kiln.nvml.raw.NvmlLoader;
import dev.kiln.nvml.sim.Fault;
import dev.kiln.nvml.sim.ServerPresets;
import dev.kiln.nvml.sim.SimulatedServer;
import dev.kiln.protocol.burnin.BurninTestIds;
import dev.kiln.protocol.burnin.GpuTestResult;
import dev.kiln.protocol.burnin.TelemetrySample;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What of the CUDA backend runs without a GPU: bus-id mapping, result conversion, NVML telemetry, no libcuda. */
class CudaBurninBackendTest {
    private static final BurninBackend.GpuRef GPU = BurninRunTest.gpus(1).getFirst();

    // --- NVML index -> CUDA ordinal by PCI bus id --------------------------------------------

    @Test
    void gpusAreMatchedByBusIdNeverByOrdinal() {
        Map<Integer, String> nvml = new LinkedHashMap<>();
        nvml.put(0, "00000000:18:00.0");
        nvml.put(1, "00000000:2A:00.0");
        nvml.put(2, "00000000:9b:00.0");
        // CUDA's order differs (fastest first), and it writes the short domain and lower case.
        Map<String, Integer> cuda = Map.of("0000:9b:00.0", 0, "0000:18:00.0", 1, "0000:2a:00.0", 2);
        CudaBurninBackend.Mapping m = CudaBurninBackend.mapByBusId(nvml, cuda);
        assertThat(m.ordinals()).containsExactlyInAnyOrderEntriesOf(Map.of(0, 1, 1, 2, 2, 0));
        assertThat(m.unmapped()).isEmpty();
    }

    @Test
    void aGpuCudaDoesNotSeeIsUnmappedWithTheReason() {
        Map<Integer, String> nvml = new LinkedHashMap<>();
        nvml.put(0, "00000000:18:00.0");
        nvml.put(3, "00000000:BB:00.0");
        nvml.put(4, null);
        CudaBurninBackend.Mapping m = CudaBurninBackend.mapByBusId(nvml, Map.of("0000:18:00.0", 0));
        assertThat(m.ordinals()).containsExactlyEntriesOf(Map.of(0, 0));
        assertThat(m.unmapped().get(3)).contains("CUDA does not see GPU 3").contains("00000000:BB:00.0")
                .contains("CUDA_VISIBLE_DEVICES");
        assertThat(m.unmapped().get(4)).contains("no PCI bus id");
    }

    // --- WorkloadResult -> GpuTestResult -------------------------------------------------------

    private static ComputeStress.Result compute(Outcome o, long fmaMismatches, long nans, WorkloadError err) {
        ComputeStress.KindResult fma = new ComputeStress.KindResult(ComputeStress.Kind.FP32_FMA, 100, 5.5e14, 10,
                55.71, 56.0, 50, fmaMismatches, nans, 4096);
        ComputeStress.KindResult tensor = new ComputeStress.KindResult(ComputeStress.Kind.TENSOR_BF16, 100, 6.5e15,
                10, 648.94, 660.0, 48, 0, 0, 512);
        return new ComputeStress.Result("NVIDIA H200", "00000000:10:00.0", o, 500, 256L << 20, 500L * (256L << 20), 4,
                List.of(fma, tensor), fmaMismatches, nans, Duration.ofSeconds(20), err);
    }

    private static GpuTestResult simulated(String test) throws InterruptedException {
        SimulatedBurninBackend sim = new SimulatedBurninBackend(ServerPresets.HGX_H100, List.of(GPU), List.of(), 1);
        return sim.run(test, GPU, Duration.ofMillis(30), () -> false, (f, i) -> { });
    }

    @Test
    void metricsUseTheSimulatedBackendsNames() throws InterruptedException {
        Map<String, WorkloadResult> real = Map.of(
                BurninTestIds.COMPUTE, compute(Outcome.PASSED, 0, 0, null),
                BurninTestIds.MEMORY, new MemoryTest.Result("H200", "b", Outcome.PASSED, 130L << 30, 140L << 30, 130,
                        6, 780L << 30, 0, List.of(), 3500, Duration.ofSeconds(15), null),
                BurninTestIds.HBM_BANDWIDTH, new HbmBandwidth.Result("H200", "b", Outcome.PASSED, 2L << 30, 20, 3956.2,
                        20, 4129.4, Duration.ofMillis(900), null),
                BurninTestIds.PCIE, new PcieBandwidth.Result("H200", "b", Outcome.PASSED, 256L << 20, 10, 55.34, 10,
                        55.1, Duration.ofMillis(300), null));
        for (String test : BurninTestIds.DEFAULT_ORDER) {
            GpuTestResult r = CudaBurninBackend.convert(GPU, test, real.get(test), 9000.0, 61.0, 1000);
            assertThat(r.verdict()).as(test).isEqualTo("PASS");
            assertThat(r.metrics().keySet()).as(test).containsAll(simulated(test).metrics().keySet());
            assertThat(r.uuid()).isEqualTo(GPU.uuid());
            assertThat(r.pciBusId()).isEqualTo(GPU.pciBusId());
        }
        GpuTestResult c = CudaBurninBackend.convert(GPU, BurninTestIds.COMPUTE, real.get(BurninTestIds.COMPUTE),
                9000.0, 61.0, 20_000);
        assertThat(c.metrics()).containsEntry("tflops", 55.7).containsEntry("tensorTflops", 648.9)
                .containsEntry("energyJoules", 9000.0)
                // 648.9 TFLOP/s at 9000 J / 20 s = 450 W
                .containsEntry("gflopsPerWatt", 1442.0);
        GpuTestResult p = CudaBurninBackend.convert(GPU, BurninTestIds.PCIE, real.get(BurninTestIds.PCIE), null, null,
                300);
        assertThat(p.metrics()).containsEntry("gbps", 55.1).containsEntry("h2dGbps", 55.3)
                .doesNotContainKey("energyJoules");
        GpuTestResult h = CudaBurninBackend.convert(GPU, BurninTestIds.HBM_BANDWIDTH,
                real.get(BurninTestIds.HBM_BANDWIDTH), 300.0, 50.0, 900);
        assertThat(h.metrics()).containsEntry("gbps", 3956.2).containsEntry("triadGbps", 4129.4);
        // Judged by the same rules: below the H200 minimum is low, as it would be for the simulator.
        assertThat(Verdicts.belowMinimum(h, BurninThresholds.forGpu("NVIDIA H200"))).isEmpty();
        assertThat(Verdicts.belowMinimum(h, BurninThresholds.forGpu("NVIDIA B200"))).isPresent();
    }

    @Test
    void wrongResultsAndMemoryMismatchesFailLikeTheSimulatedOnes() {
        GpuTestResult c = CudaBurninBackend.convert(GPU, BurninTestIds.COMPUTE, compute(Outcome.FAILED, 7, 0, null),
                1000.0, 60.0, 1000);
        GpuTestResult judged = Verdicts.judge(c, List.of(), Verdicts.Baseline.ZERO);
        assertThat(judged.verdict()).isEqualTo("FAIL");
        assertThat(judged.reason()).isEqualTo("wrong results: 7 mismatched element(s) between identical repeats");
        assertThat(judged.metrics()).containsEntry("mismatches", 7.0);

        MemoryTest.Result m = new MemoryTest.Result("H200", "b", Outcome.FAILED, 1L << 30, 2L << 30, 1, 1, 4L << 30, 3,
                List.of(new MemoryTest.Mismatch(0x7f3a00001000L, 0xffffffff, 0xfffffeff, "walking-ones")),
                3000, Duration.ofSeconds(1), null);
        GpuTestResult mr = Verdicts.judge(CudaBurninBackend.convert(GPU, BurninTestIds.MEMORY, m, null, null, 1000),
                List.of(), Verdicts.Baseline.ZERO);
        assertThat(mr.verdict()).isEqualTo("FAIL");
        assertThat(mr.reason()).isEqualTo("3 memory mismatch(es)");
        assertThat(mr.findings()).contains("mismatch at 0x7f3a00001000: expected 0xffffffff, got 0xfffffeff "
                + "(walking-ones)", "2 more mismatch(es) not listed");
    }

    @Test
    void manyMemoryMismatchesAreListedUpToALimitAndCounted() {
        List<MemoryTest.Mismatch> recorded = new java.util.ArrayList<>();
        for (int i = 0; i < 40; i++) {
            recorded.add(new MemoryTest.Mismatch(0x1000L + 4L * i, 0, 1, "random seed 0x4b494c4e"));
        }
        MemoryTest.Result m = new MemoryTest.Result("H200", "b", Outcome.FAILED, 1L << 30, 2L << 30, 1, 1, 4L << 30,
                5000, recorded, 3000, Duration.ofSeconds(1), null);
        GpuTestResult r = CudaBurninBackend.convert(GPU, BurninTestIds.MEMORY, m, null, null, 1000);
        assertThat(r.findings()).hasSize(CudaBurninBackend.MAX_LISTED_MISMATCHES + 1);
        assertThat(r.findings().getLast()).isEqualTo("4968 more mismatch(es) not listed");
        assertThat(r.metrics()).containsEntry("mismatches", 5000.0);
    }

    @Test
    void theHeartbeatIsKeptAliveAtLeastAsLongAsTheStallTime() {
        WorkerJob shortJob = new WorkerJob(1, "j", "n", null, WorkerJob.CUDA, null, null, List.of(GPU),
                List.of(BurninTestIds.COMPUTE), 2000, 50, 250, 250, 500);
        WorkerJob longJob = new WorkerJob(1, "j", "n", null, WorkerJob.CUDA, null, null, List.of(GPU),
                List.of(BurninTestIds.COMPUTE), 7_200_000, 10_000, 1000, 250, 45_000);
        assertThat(CudaBurninBackend.maxSilence(shortJob)).isEqualTo(30_000);
        assertThat(CudaBurninBackend.maxSilence(longJob)).isEqualTo(45_000);
    }

    @Test
    void aCudaErrorIsAnErrorNeverAPass() {
        WorkloadError sticky = new WorkloadError("cuCtxSynchronize", 700, "CUDA_ERROR_ILLEGAL_ADDRESS", true, true,
                "an illegal memory access was encountered");
        GpuTestResult r = CudaBurninBackend.convert(GPU, BurninTestIds.COMPUTE, compute(Outcome.ERROR, 0, 0, sticky),
                null, null, 1000);
        assertThat(r.verdict()).isEqualTo("ERROR");
        assertThat(r.reason()).contains("CUDA_ERROR_ILLEGAL_ADDRESS (700) in cuCtxSynchronize").contains("sticky");
        assertThat(Verdicts.judge(r, List.of(), Verdicts.Baseline.ZERO).verdict()).isEqualTo("ERROR");

        HbmBandwidth.Result cancelled = new HbmBandwidth.Result("H200", "b", Outcome.CANCELLED, 2L << 30, 3, 3900, 0, 0,
                Duration.ofMillis(10), null);
        GpuTestResult c = CudaBurninBackend.convert(GPU, BurninTestIds.HBM_BANDWIDTH, cancelled, null, null, 10);
        assertThat(c.verdict()).isEqualTo("ERROR");
        assertThat(c.reason()).contains("cancelled");

        PcieBandwidth.Result noWork = new PcieBandwidth.Result("H200", "b", Outcome.ERROR, 1, 0, 0, 0, 0,
                Duration.ZERO, new WorkloadError("kiln", 0, "NO_WORK", false, false, "the budget ended before a timed copy"));
        GpuTestResult n = CudaBurninBackend.convert(GPU, BurninTestIds.PCIE, noWork, null, null, 0);
        assertThat(n.verdict()).isEqualTo("ERROR");
        assertThat(n.reason()).isEqualTo("the budget ended before a timed copy");
        assertThat(n.metrics()).doesNotContainKey("gbps");
    }

    // --- no libcuda / no NVML ------------------------------------------------------------------

    @Test
    void withoutLibcudaTheBackendDoesNotOpenAndSaysWhy() {
        SimulatedServer server = new SimulatedServer("n", ServerPresets.HGX_H100);
        assertThatThrownBy(() -> CudaBurninBackend.open(List.of(GPU),
                new CudaLoader.Unavailable("libcuda.so.1: cannot open shared object file: No such file or directory"),
                new NvmlLoader.Loaded(server.binding()), 30_000))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("the CUDA driver (libcuda) is not available: libcuda.so.1: cannot open shared object file: "
                        + "No such file or directory");
        assertThatThrownBy(() -> CudaBurninBackend.open(List.of(GPU), new CudaLoader.Unavailable("x"),
                new NvmlLoader.Unavailable("y"), 30_000)).hasMessageContaining("libcuda");
    }

    // --- telemetry over the NVML simulator -----------------------------------------------------

    @Test
    void telemetryReportsCountersAsDeltasSinceTheJobStarted() throws InterruptedException {
        SimulatedServer server = new SimulatedServer("n", ServerPresets.HGX_H100,
                List.of(new Fault.EccUncorrectable(1, 4)));   // errors from before the job are not the job's
        try (NvmlSession session = NvmlSession.open(server.binding());
             NvmlBurninTelemetry t = new NvmlBurninTelemetry(session, List.of(0, 1))) {
            TelemetrySample s = t.sample(1);
            assertThat(s.gpuIndex()).isEqualTo(1);
            assertThat(s.temperatureCelsius()).isNotNull();
            assertThat(s.memoryTemperatureCelsius()).isEqualTo(s.temperatureCelsius() + 6);
            assertThat(s.powerMilliwatts()).isPositive();
            assertThat(s.smClockMhz()).isPositive();
            assertThat(s.clockEventReasons()).contains("gpu_idle");
            assertThat(s.eccUncorrectableDelta()).isZero();
            assertThat(s.remappedRowsDelta()).isZero();
            assertThat(s.pcieReplayDelta()).isZero();
            assertThat(s.xids()).isEmpty();

            long e0 = t.energyMillijoules(1).orElseThrow();
            server.injectXid(1, 48);   // double-bit ECC error
            server.injectXid(1, 63);   // row remapping
            Thread.sleep(30);
            TelemetrySample after = t.sample(1);
            assertThat(after.eccUncorrectableDelta()).isEqualTo(1);
            assertThat(after.remappedRowsDelta()).isEqualTo(1);
            assertThat(after.xids()).containsExactly(48, 63);
            assertThat(t.sample(1).xids()).isEmpty();   // each Xid once
            assertThat(t.sample(0).eccUncorrectableDelta()).isZero();
            assertThat(t.energyMillijoules(1).orElseThrow()).isGreaterThan(e0);

            GpuTestResult raw = CudaBurninBackend.convert(GPU, BurninTestIds.MEMORY,
                    new MemoryTest.Result("H100", "b", Outcome.PASSED, 1L << 30, 2L << 30, 1, 1, 4L << 30, 0, List.of(),
                            3000, Duration.ofSeconds(1), null), null, null, 1000);
            GpuTestResult judged = Verdicts.judge(raw, List.of(s, after), Verdicts.Baseline.ZERO);
            assertThat(judged.verdict()).isEqualTo("FAIL");
            assertThat(judged.reason()).contains("1 uncorrectable ECC error(s) during the test")
                    .contains("1 row(s) remapped during the test").contains("Xid 48");
            assertThat(judged.metrics()).containsKeys("maxTemperatureCelsius", "avgPowerWatts");
        }
    }

    @Test
    void aTestOnAGpuCudaCannotSeeIsAnError() throws InterruptedException {
        SimulatedServer server = new SimulatedServer("n", ServerPresets.HGX_H100);
        NvmlSession session = NvmlSession.open(server.binding());
        NvmlBurninTelemetry t = new NvmlBurninTelemetry(session, List.of(0));
        try (CudaBurninBackend b = new CudaBurninBackend(List.of(GPU), Map.of(),
                Map.of(0, "CUDA does not see GPU 0"), null, t, 30_000, CudaBurninBackend.defaultWorkloads())) {
            GpuTestResult r = b.run(BurninTestIds.COMPUTE, GPU, Duration.ofSeconds(1), () -> false, (f, i) -> { });
            assertThat(r.verdict()).isEqualTo("ERROR");
            assertThat(r.reason()).isEqualTo("CUDA does not see GPU 0");
            assertThat(b.ordinalOf(0)).isEqualTo(Optional.empty());
            assertThat(b.sample(0).powerMilliwatts()).isPositive();
            assertThatThrownBy(() -> b.run("burnin.nope", GPU, Duration.ofSeconds(1), () -> false, (f, i) -> { }))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }
}
