package dev.kiln.agent.burnin;

import com.sun.jna.Library;
import com.sun.jna.Native;
import dev.kiln.cuda.raw.CudaLoader;
import dev.kiln.nvml.raw.NvmlLoader;
import dev.kiln.nvml.sim.ServerPresets;
import dev.kiln.nvml.sim.SimGpu;
import dev.kiln.nvml.sim.SimulatedServer;
import dev.kiln.protocol.burnin.BurninTestIds;
import dev.kiln.protocol.burnin.GpuTestResult;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CUDA backend end to end over nvml-bindings' C fake of libcuda (one device, bus id {@code 0000:18:00.0}) and the
 * NVML simulator (hgx-h100: GPU 0 at {@code 00000000:18:00.0}): bus-id matching through a real {@code CudaSession},
 * verdicts, energy, progress and sticky errors. The fake runs no kernels, so throughput is not asserted.
 */
class CudaBurninBackendFakeCudaTest {
    /** The fake's test-only exports used here. */
    public interface Control extends Library {
        void fakeCudaReset();

        void fakeCudaFailLaunch(int at, int rc);

        void fakeCudaSetCompareResult(long diffs, long nans);
    }

    @TempDir
    static Path buildDir;
    private static CudaLoader.Result cuda;
    private static Control control;

    @BeforeAll
    static void build() throws Exception {
        Path lib = dev.kiln.agent.FakeCudaLib.build(buildDir, "libcuda-fake.so");
        cuda = CudaLoader.load(lib.toString());
        assertThat(cuda).isInstanceOf(CudaLoader.Loaded.class);
        control = Native.load(lib.toString(), Control.class);
    }

    private SimulatedServer server;
    private List<BurninBackend.GpuRef> gpus;

    @BeforeEach
    void reset() {
        control.fakeCudaReset();
        server = new SimulatedServer("n", ServerPresets.HGX_H100);
        gpus = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            SimGpu g = server.gpu(i);
            gpus.add(new BurninBackend.GpuRef(i, g.uuid(), g.serial(), g.busId(), "NVIDIA H100 80GB HBM3"));
        }
    }

    private CudaBurninBackend open() {
        return CudaBurninBackend.open(gpus, cuda, new NvmlLoader.Loaded(server.binding()), 30_000);
    }

    private static GpuTestResult run(CudaBurninBackend b, String test, BurninBackend.GpuRef g, List<Double> progress)
            throws InterruptedException {
        return b.run(test, g, Duration.ofMillis(400), () -> false, (f, i) -> progress.add(f));
    }

    @Test
    void gpuZeroIsMatchedByBusIdAndPassesWithEnergyGpuOneIsNotSeenByCuda() throws InterruptedException {
        try (CudaBurninBackend b = open()) {
            assertThat(b.ordinalOf(0)).contains(0);
            assertThat(b.ordinalOf(1)).isEmpty();
            List<Double> progress = new CopyOnWriteArrayList<>();
            GpuTestResult r = run(b, BurninTestIds.COMPUTE, gpus.get(0), progress);
            assertThat(r.verdict()).as(r.reason()).isEqualTo("PASS");
            assertThat(r.uuid()).isEqualTo(server.gpu(0).uuid());
            assertThat(r.metrics()).containsKeys("tflops", "tensorTflops", "mismatches", "nanCount", "energyJoules",
                    "gflopsPerWatt", "maxTemperatureCelsius");
            assertThat(r.metrics().get("energyJoules")).isPositive();   // the simulator's energy counter moved
            assertThat(progress).isNotEmpty().allMatch(f -> f >= 0 && f <= 1);
            GpuTestResult unseen = run(b, BurninTestIds.COMPUTE, gpus.get(1), progress);
            assertThat(unseen.verdict()).isEqualTo("ERROR");
            assertThat(unseen.reason()).contains("CUDA does not see GPU 1").contains("00000000:2A:00.0");
            assertThat(b.sample(0).memoryTemperatureCelsius()).isNotNull();
        }
    }

    @Test
    void wrongResultsFail() throws InterruptedException {
        control.fakeCudaSetCompareResult(3, 0);
        try (CudaBurninBackend b = open()) {
            GpuTestResult r = run(b, BurninTestIds.COMPUTE, gpus.get(0), new ArrayList<>());
            assertThat(r.verdict()).isEqualTo("FAIL");
            assertThat(r.metrics().get("mismatches")).isPositive();
            GpuTestResult judged = Verdicts.judge(r, List.of(), Verdicts.Baseline.ZERO);
            assertThat(judged.reason()).startsWith("wrong results: ");
        }
    }

    @Test
    void aStickyErrorIsAnErrorAndEndsTheWorkersUseOfThatGpu() throws InterruptedException {
        control.fakeCudaFailLaunch(2, 700);
        try (CudaBurninBackend b = open()) {
            GpuTestResult r = run(b, BurninTestIds.MEMORY, gpus.get(0), new ArrayList<>());
            assertThat(r.verdict()).isEqualTo("ERROR");
            assertThat(r.reason()).contains("CUDA_ERROR_ILLEGAL_ADDRESS (700)").contains("sticky");
            GpuTestResult next = run(b, BurninTestIds.PCIE, gpus.get(0), new ArrayList<>());
            assertThat(next.verdict()).isEqualTo("ERROR");
            assertThat(next.reason()).startsWith("not run: an earlier sticky CUDA error (CUDA_ERROR_ILLEGAL_ADDRESS)");
        }
    }
}
