package dev.kiln.cuda.burnin;

import dev.kiln.cuda.CudaDevice;
import dev.kiln.cuda.CudaSession;
import dev.kiln.cuda.FakeCuda;
import dev.kiln.cuda.blas.FakeCublasLt;
import dev.kiln.cuda.blas.raw.CublasLtLoader;
import dev.kiln.nvml.CFakes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static dev.kiln.cuda.burnin.ComputeStress.Kind.FP32_FMA;
import static dev.kiln.cuda.burnin.ComputeStress.Kind.GEMM_CUBLASLT;
import static dev.kiln.cuda.burnin.ComputeStress.Kind.TENSOR_BF16;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code burnin.compute}'s optional cuBLASLt GEMM kind over the C fakes of libcuda and libcublasLt. The fake libcuda
 * runs in "real data" mode: compare_f32 really compares and the FMA/tensor kernels write zeros, while the fake
 * cuBLASLt computes a real 64^3 GEMM, so a wrong element written by the "library" must be found by Kiln's own
 * oracle (reference in slot 0, repeats in other slots, compare_f32) and land on the GEMM kind alone.
 */
class ComputeGemmFakeTest {
    private static final Duration RUN = Duration.ofMillis(900);
    private static final int DIM = 64;

    @TempDir
    static Path buildDir;

    private static FakeCuda.Built cuda;
    private static FakeCublasLt.Built lt;
    private CudaSession session;
    private CudaDevice device;
    private int cudaBaseline;

    @BeforeAll
    static void build() throws Exception {
        Optional<Path> cc = CFakes.compiler();
        assumeTrue(cc.isPresent(), "no gcc or cc on PATH: cannot build the C fakes of libcuda and libcublasLt, skipping");
        cuda = FakeCuda.build(cc.get(), buildDir);
        lt = FakeCublasLt.build(cc.get(), buildDir);
    }

    @BeforeEach
    void open() {
        cuda.control().fakeCudaReset();
        FakeCublasLt.cudaData(cuda).fakeCudaRealData(1);
        lt.control().fakeCublasLtReset();
        cudaBaseline = cuda.control().fakeCudaLiveResources();
        session = CudaSession.open(cuda.binding());
        device = session.device(0);
    }

    @AfterEach
    void close() {
        session.close();
        cuda.control().fakeCudaReset();
    }

    /** 1 MiB slots (many of them), a 64^3 GEMM, the fake cuBLASLt. */
    private static ComputeStress.Config config() {
        return new ComputeStress.Config(0.9, 1L << 20, 20.0, 5_000, 0.0f).withGemmMaxDim(DIM)
                .withCublasLt(() -> new CublasLtLoader.Loaded(lt.binding()));
    }

    private void assertNoLeaks() {
        assertThat(lt.control().fakeCublasLtLive()).as("cuBLASLt objects left behind").isZero();
        assertThat(cuda.control().fakeCudaLiveResources()).as("driver resources left behind").isEqualTo(cudaBaseline);
    }

    @Test
    void theGemmRunsAsAThirdKindWithTheSameOracleAndPasses() {
        ComputeStress.Result r = new ComputeStress(config()).run(device, RUN, () -> false, null);
        assertThat(r.error()).isNull();
        assertThat(r.outcome()).isEqualTo(Outcome.PASSED);
        assertThat(r.kinds()).extracting(ComputeStress.KindResult::kind)
                .containsExactly(FP32_FMA, TENSOR_BF16, GEMM_CUBLASLT);
        ComputeStress.KindResult g = r.kind(GEMM_CUBLASLT);
        assertThat(g.comparisons()).isPositive();
        assertThat(g.mismatches()).isZero();
        assertThat(g.nans()).isZero();
        // the fake's timer says 1 ms per timed launch, so 20 ms launches are 20 GEMMs, each into its own slot
        assertThat(g.iterations()).isEqualTo(20);
        double perGemm = 2.0 * DIM * DIM * DIM;
        long timedGemms = Math.round(g.flops() / perGemm);
        assertThat(g.flops()).isEqualTo(timedGemms * perGemm);
        // every timed GEMM but the rounds' references is compared; one warm-up and one calibration call are not timed
        assertThat(lt.control().fakeCublasLtMatmulCalls()).isEqualTo(timedGemms + 2);
        long batches = g.comparisons() / g.iterations();   // ~198 slots: every batch is a full one
        assertThat(timedGemms - g.comparisons()).as("one uncompared reference per GEMM round")
                .isEqualTo(g.launches() - batches).isPositive();
        long[] last = lt.control().last();
        assertThat(new long[] {last[FakeCublasLt.M], last[FakeCublasLt.N], last[FakeCublasLt.K]})
                .containsExactly(DIM, DIM, DIM);
        assertThat(last[FakeCublasLt.WORKSPACE_SIZE]).isEqualTo(ComputeStress.GEMM_WORKSPACE_BYTES);
        assertThat(r.notes()).singleElement().asString()
                .startsWith("cuBLASLt 12.8.5 (" + lt.binding().description() + ", built for CUDA 12.8): GEMM 64x64x64");
        assertThat(Json.write(r)).contains("\"kind\":\"GEMM_CUBLASLT\"").contains("\"notes\":[\"cuBLASLt 12.8.5");
        assertNoLeaks();
    }

    @Test
    void aWrongElementInOneGemmFailsTheGemmKindOnly() {
        // matmul calls: 0 warm-up, 1 calibration, 2 the round's reference, 3.. the first batch of repeats
        lt.control().fakeCublasLtCorrupt(5, 1234, 0);
        ComputeStress.Result r = new ComputeStress(config()).run(device, RUN, () -> false, null);
        assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(r.kind(GEMM_CUBLASLT).mismatches()).isEqualTo(1);
        assertThat(r.kind(GEMM_CUBLASLT).nans()).isZero();
        assertThat(r.kind(FP32_FMA).mismatches()).isZero();
        assertThat(r.kind(TENSOR_BF16).mismatches()).isZero();
        assertThat(r.mismatches()).isEqualTo(1);
        assertNoLeaks();
    }

    @Test
    void aNanInOneGemmIsCountedAsNanAndMismatch() {
        lt.control().fakeCublasLtCorrupt(4, 0, 1);
        ComputeStress.Result r = new ComputeStress(config()).run(device, RUN, () -> false, null);
        assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(r.kind(GEMM_CUBLASLT).nans()).isEqualTo(1);
        assertThat(r.kind(GEMM_CUBLASLT).mismatches()).isEqualTo(1);
        assertThat(r.nans()).isEqualTo(1);
        assertNoLeaks();
    }

    @Test
    void aFailingGemmIsAnErrorNamingTheStatusNeverAPass() {
        lt.control().fakeCublasLtFailMatmul(4, 13);
        ComputeStress.Result r = new ComputeStress(config()).run(device, RUN, () -> false, null);
        assertThat(r.outcome()).isEqualTo(Outcome.ERROR);
        assertThat(r.error().function()).isEqualTo("cublasLtMatmul");
        assertThat(r.error().code()).isEqualTo(13);
        assertThat(r.error().name()).isEqualTo("CUBLAS_STATUS_EXECUTION_FAILED");
        assertThat(r.error().sticky()).as("the fake driver is still fine afterwards").isFalse();
        assertThat(r.error().message()).contains("the GPU program failed to execute");
        assertNoLeaks();
    }

    @Test
    void aCublasLtThatLoadsButCannotStartIsAnError() {
        lt.control().fakeCublasLtFailCreate(1);
        ComputeStress.Result r = new ComputeStress(config()).run(device, RUN, () -> false, null);
        assertThat(r.outcome()).isEqualTo(Outcome.ERROR);
        assertThat(r.error().function()).isEqualTo("cublasLtCreate");
        assertThat(r.error().name()).isEqualTo("CUBLAS_STATUS_NOT_INITIALIZED");
        assertNoLeaks();
    }

    @Test
    void withoutCublasLtTheOtherKindsStillPassAndTheResultSaysWhy() {
        String nowhere = buildDir.resolve("no-such-dir/libcublasLt.so.12").toString();
        ComputeStress.Config c = config().withCublasLt(() -> CublasLtLoader.loadFirst(List.of(nowhere)));
        ComputeStress.Result r = new ComputeStress(c).run(device, Duration.ofMillis(500), () -> false, null);
        assertThat(r.outcome()).isEqualTo(Outcome.PASSED);
        assertThat(r.error()).isNull();
        assertThat(r.kind(GEMM_CUBLASLT)).isNull();
        assertThat(r.kinds()).extracting(ComputeStress.KindResult::kind).containsExactly(FP32_FMA, TENSOR_BF16);
        assertThat(r.kind(FP32_FMA).comparisons()).isPositive();
        assertThat(r.kind(TENSOR_BF16).comparisons()).isPositive();
        assertThat(r.notes()).singleElement().asString()
                .startsWith("cuBLASLt not loaded: no usable cuBLASLt (tried " + nowhere + ": ");
        assertThat(lt.control().fakeCublasLtMatmulCalls()).isZero();
        assertNoLeaks();
    }

    @Test
    void gemmSizeIsTheLargestStepThatFitsTheSlotAndTheOperandShare() {
        long huge = Long.MAX_VALUE / 4;
        assertThat(ComputeStress.gemmDim(256L << 20, huge, 8192)).isEqualTo(8192);
        assertThat(ComputeStress.gemmDim(1L << 30, huge, 8192)).isEqualTo(8192);
        assertThat(ComputeStress.gemmDim(115L << 20, huge, 8192)).isEqualTo(5440);   // sqrt(115 MiB / 4) = 5490
        assertThat(ComputeStress.gemmDim(256L << 20, 64L << 20, 8192)).isEqualTo(4096);
        assertThat(ComputeStress.gemmDim(1L << 20, huge, 64)).isEqualTo(64);
        assertThat(ComputeStress.gemmDim(8L << 10, huge, 8192)).isZero();
        assertThat(ComputeStress.gemmDim(256L << 20, huge, 32)).isZero();
        assertThat(ComputeStress.gemmDim(256L << 20, -5, 8192)).isZero();
    }
}
