package dev.kiln.cuda.burnin;

import dev.kiln.cuda.CudaDevice;
import dev.kiln.cuda.CudaSession;
import dev.kiln.cuda.FakeCuda;
import dev.kiln.nvml.CFakes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The burn-in workloads over the C fake of libcuda: results that the fake's compare/verify kernels report as wrong
 * fail, and allocation failures, launch failures and sticky errors end in ERROR with the driver's code: never a pass.
 * (The fake runs no kernels: throughput figures here are meaningless and not asserted.)
 */
class CudaWorkloadsFakeTest {
    private static final Duration SHORT = Duration.ofMillis(150);

    @TempDir
    static Path buildDir;

    private static FakeCuda.Built fake;
    private CudaSession session;
    private CudaDevice device;
    private int baseline;
    private final List<Progress> progress = new ArrayList<>();

    @BeforeAll
    static void build() throws Exception {
        Optional<Path> cc = CFakes.compiler();
        assumeTrue(cc.isPresent(), "no gcc or cc on PATH: cannot build the C fake of libcuda, skipping");
        fake = FakeCuda.build(cc.get(), buildDir);
    }

    @BeforeEach
    void open() {
        fake.control().fakeCudaReset();
        baseline = fake.control().fakeCudaLiveResources();
        session = CudaSession.open(fake.binding());
        device = session.device(0);
    }

    @AfterEach
    void close() {
        session.close();
    }

    /** Without cuBLASLt, whatever this machine has installed (the GEMM kind: ComputeGemmFakeTest). */
    private static ComputeStress compute() {
        return new ComputeStress(ComputeStress.Config.defaults().withoutCublasLt());
    }

    private void assertNoLeaks() {
        assertThat(fake.control().fakeCudaLiveResources()).as("driver resources left behind").isEqualTo(baseline);
    }

    @Test
    void computeOnAHealthyFakePassesAndRunsBothKinds() {
        ComputeStress.Result r = compute().run(device, Duration.ofMillis(400), () -> false, progress::add);
        assertThat(r.outcome()).isEqualTo(Outcome.PASSED);
        assertThat(r.error()).isNull();
        assertThat(r.slots()).isGreaterThanOrEqualTo(2);
        assertThat(r.kind(ComputeStress.Kind.FP32_FMA).comparisons()).isPositive();
        assertThat(r.kind(ComputeStress.Kind.TENSOR_BF16).comparisons()).isPositive();
        assertThat(r.pciBusId()).isEqualTo("00000000:18:00.0");
        assertThat(progress).isNotEmpty().allSatisfy(p -> assertThat(p.test()).isEqualTo(ComputeStress.ID));
        assertNoLeaks();
    }

    @Test
    void computeMismatchesAndNansFail() {
        fake.control().fakeCudaSetCompareResult(5, 2);
        ComputeStress.Result r = compute().run(device, SHORT, () -> false, null);
        assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(r.mismatches()).isPositive().isEqualTo(5 * (r.mismatches() / 5));
        assertThat(r.nans()).isPositive();
        assertNoLeaks();
    }

    @Test
    void computeStickyLaunchFailureIsAnErrorNamingIt() {
        fake.control().fakeCudaFailLaunch(3, 719);
        ComputeStress.Result r = compute().run(device, SHORT, () -> false, null);
        assertThat(r.outcome()).isEqualTo(Outcome.ERROR);
        assertThat(r.error().code()).isEqualTo(719);
        assertThat(r.error().name()).isEqualTo("CUDA_ERROR_LAUNCH_FAILED");
        assertThat(r.error().sticky()).isTrue();
        assertThat(r.error().function()).startsWith("cuLaunchKernel");
    }

    @Test
    void computeAllocationFailureIsAnError() {
        fake.control().fakeCudaFailAlloc(2);
        ComputeStress.Result r = compute().run(device, SHORT, () -> false, null);
        assertThat(r.outcome()).isEqualTo(Outcome.ERROR);
        assertThat(r.error().name()).isEqualTo("CUDA_ERROR_OUT_OF_MEMORY");
        assertThat(r.error().function()).startsWith("cuMemAlloc_v2");
        assertNoLeaks();
    }

    @Test
    void computeWithNoTimeToCompareIsNotAPass() {
        ComputeStress.Result r = compute().run(device, Duration.ZERO, () -> false, null);
        assertThat(r.outcome()).isEqualTo(Outcome.ERROR);
        assertThat(r.error().name()).isEqualTo("NO_WORK");
        assertNoLeaks();
    }

    @Test
    void memoryMismatchesAreRecordedWithAddressExpectedActual() {
        fake.control().fakeCudaSetVerifyErrors(3);
        MemoryTest.Result r = new MemoryTest().run(device, SHORT, () -> false, null);
        assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(r.mismatches()).isEqualTo(3);
        assertThat(r.recorded()).hasSize(3);
        MemoryTest.Mismatch m = r.recorded().get(1);
        assertThat(m.expected()).isEqualTo(0xFFFFFFFF);
        assertThat(m.actual()).isEqualTo(0xFFFFFFFF ^ 2);
        assertThat(m.address() - r.recorded().get(0).address()).isEqualTo(4096);
        assertThat(m.pattern()).isEqualTo("walking-ones");
        assertNoLeaks();
    }

    @Test
    void memoryCoversAtLeastNinetyPercentOfFree() {
        MemoryTest.Result r = new MemoryTest().run(device, SHORT, () -> false, null);
        assertThat(r.outcome()).isEqualTo(Outcome.PASSED);
        assertThat((double) r.bytesTested()).isGreaterThanOrEqualTo(0.9 * r.freeBefore());
        assertThat(r.passes()).isPositive();
        assertNoLeaks();
    }

    @Test
    void memoryAllocationFailureIsAnErrorNotASmallerTest() {
        fake.control().fakeCudaFailAlloc(2);
        MemoryTest.Result r = new MemoryTest().run(device, SHORT, () -> false, null);
        assertThat(r.outcome()).isEqualTo(Outcome.ERROR);
        assertThat(r.error().code()).isEqualTo(2);
        assertThat(r.bytesVerified()).isZero();
        assertNoLeaks();
    }

    @Test
    void memoryIllegalAddressDuringVerifyIsStickyError() {
        fake.control().fakeCudaFailLaunch(1, 700);
        MemoryTest.Result r = new MemoryTest().run(device, SHORT, () -> false, null);
        assertThat(r.outcome()).isEqualTo(Outcome.ERROR);
        assertThat(r.error().name()).isEqualTo("CUDA_ERROR_ILLEGAL_ADDRESS");
        assertThat(r.error().sticky()).isTrue();
        assertThat(r.error().hardwareSuspect()).isTrue();
    }

    @Test
    void cancellationStopsAWorkloadPromptly() {
        AtomicInteger polls = new AtomicInteger();
        long t0 = System.nanoTime();
        MemoryTest.Result r = new MemoryTest().run(device, Duration.ofMinutes(10), () -> polls.incrementAndGet() > 3,
                null);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
        assertThat(r.outcome()).isEqualTo(Outcome.CANCELLED);
        assertNoLeaks();
    }

    @Test
    void bandwidthWorkloadsPassOnTheFakeAndFailOnAllocation() {
        assertThat(new HbmBandwidth(new HbmBandwidth.Config(1 << 20, 3)).run(device, SHORT, () -> false, null)
                .outcome()).isEqualTo(Outcome.PASSED);
        PcieBandwidth.Result p = new PcieBandwidth(new PcieBandwidth.Config(1 << 20, 3))
                .run(device, SHORT, () -> false, null);
        assertThat(p.outcome()).isEqualTo(Outcome.PASSED);
        assertThat(p.h2dRuns()).isEqualTo(3);
        assertThat(p.d2hRuns()).isEqualTo(3);
        assertNoLeaks();
        fake.control().fakeCudaFailAlloc(2);
        HbmBandwidth.Result h = new HbmBandwidth().run(device, SHORT, () -> false, null);
        assertThat(h.outcome()).isEqualTo(Outcome.ERROR);
        assertThat(h.error().name()).isEqualTo("CUDA_ERROR_OUT_OF_MEMORY");
        assertNoLeaks();
    }

    @Test
    void resultsSerialiseToJson() {
        fake.control().fakeCudaSetVerifyErrors(1);
        MemoryTest.Result r = new MemoryTest().run(device, SHORT, () -> false, null);
        String json = Json.write(r);
        assertThat(json).startsWith("{\"device\":\"Fake H100 80GB HBM3\"").contains("\"outcome\":\"FAILED\"")
                .contains("\"pattern\":\"walking-ones\"").contains("\"error\":null");
    }

    @Test
    void workloadsAreFoundByIdAndShortName() {
        assertThat(Workload.defaults()).extracting(Workload::id)
                .containsExactly("burnin.pcie", "burnin.hbm-bandwidth", "burnin.memory", "burnin.compute");
        assertThat(Workload.byId("burnin.memory")).get().isInstanceOf(MemoryTest.class);
        assertThat(Workload.byId("compute")).get().isInstanceOf(ComputeStress.class);
        assertThat(Workload.byId("hbm")).get().isInstanceOf(HbmBandwidth.class);
        assertThat(Workload.byId("burnin.nope")).isEmpty();
        WorkloadResult r = Workload.byId("pcie").orElseThrow().run(device, Duration.ZERO, () -> false, null);
        assertThat(r.outcome()).isEqualTo(Outcome.ERROR);
        assertThat(r.error().name()).isEqualTo("NO_WORK");
        assertNoLeaks();
    }
}
