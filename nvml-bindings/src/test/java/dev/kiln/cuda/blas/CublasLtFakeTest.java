package dev.kiln.cuda.blas;

import com.sun.jna.Memory;
import dev.kiln.cuda.CudaContext;
import dev.kiln.cuda.CudaSession;
import dev.kiln.cuda.DeviceBuffer;
import dev.kiln.cuda.FakeCuda;
import dev.kiln.cuda.blas.raw.CublasLtLoader;
import dev.kiln.cuda.blas.raw.CublasLtSymbols;
import dev.kiln.cuda.blas.raw.HeuristicResult;
import dev.kiln.nvml.CFakes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;

import static dev.kiln.cuda.blas.FakeCublasLt.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The cuBLASLt binding against {@code src/test/c/fake_cublaslt.c} (on {@code fake_cuda.c}'s memory): the loader's
 * candidates and reasons, the symbol probe, every argument of the planned TN BF16 GEMM as the library receives it,
 * a real small GEMM checked against one computed here, status names, and nothing left behind.
 */
class CublasLtFakeTest {
    @TempDir
    static Path buildDir;

    private static Path compiler;
    private static FakeCuda.Built cuda;
    private static FakeCublasLt.Built lt;

    private CudaSession session;
    private CudaContext ctx;
    private int cudaBaseline;

    @BeforeAll
    static void build() throws Exception {
        Optional<Path> cc = CFakes.compiler();
        assumeTrue(cc.isPresent(), "no gcc or cc on PATH: cannot build the C fakes of libcuda and libcublasLt, skipping");
        compiler = cc.get();
        cuda = FakeCuda.build(compiler, buildDir);
        lt = FakeCublasLt.build(compiler, buildDir);
    }

    @BeforeEach
    void open() {
        cuda.control().fakeCudaReset();
        lt.control().fakeCublasLtReset();
        cudaBaseline = cuda.control().fakeCudaLiveResources();
        session = CudaSession.open(cuda.binding());
        ctx = session.device(0).retainPrimaryContext();
    }

    @AfterEach
    void close() {
        ctx.close();
        session.close();
        assertThat(lt.control().fakeCublasLtLive()).as("cuBLASLt objects left behind").isZero();
        assertThat(cuda.control().fakeCudaLiveResources()).as("driver resources left behind").isEqualTo(cudaBaseline);
    }

    @Test
    void probeFindsEverySymbolAndTheVersions() {
        Set<String> expected = new HashSet<>(CublasLtSymbols.REQUIRED);
        expected.addAll(CublasLtSymbols.OPTIONAL);
        assertThat(lt.binding().symbols()).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(lt.binding().version()).isEqualTo(120805);
        assertThat(lt.binding().versionString()).isEqualTo("12.8.5");
        assertThat(lt.binding().cudartVersion()).isEqualTo(12080);
        assertThat(lt.binding().description()).endsWith("libcublasLt-fake.so");
        try (CublasLt h = CublasLt.create(lt.binding())) {
            assertThat(h.describe()).startsWith("cuBLASLt 12.8.5 (").endsWith("libcublasLt-fake.so, built for CUDA 12.8)");
            assertThat(h.statusName(13)).isEqualTo("CUBLAS_STATUS_EXECUTION_FAILED");
        }
    }

    @Test
    void heuristicResultHasTheLibrarysLayout() {
        HeuristicResult r = new HeuristicResult();
        assertThat(r.size()).isEqualTo(HeuristicResult.SIZE).isEqualTo(96);
        r.algo[7] = 0x0102030405060708L;
        r.workspaceSize = 0x1122334455L;
        r.state = 15;
        r.wavesCount = 2.5f;
        r.reserved[3] = -1;
        r.write();
        assertThat(r.getPointer().getLong(56)).isEqualTo(0x0102030405060708L);
        assertThat(r.getPointer().getLong(64)).isEqualTo(0x1122334455L);
        assertThat(r.getPointer().getInt(72)).isEqualTo(15);
        assertThat(r.getPointer().getFloat(76)).isEqualTo(2.5f);
        assertThat(r.getPointer().getInt(92)).isEqualTo(-1);
    }

    @Test
    void gemmMarshalsTheTnBf16PlanAndComputesATransposedB() {
        int m = 64, n = 48, k = 32;
        long workspace = 1L << 20;
        Random random = new Random(7);
        short[] a = randomBf16(random, k * m);   // stored k x m (lda = k), used transposed
        short[] b = randomBf16(random, k * n);   // stored k x n (ldb = k)
        try (CublasLt h = CublasLt.create(lt.binding());
             CublasLt.Gemm g = h.planGemm(ctx, m, n, k, workspace);
             DeviceBuffer da = upload(a);
             DeviceBuffer db = upload(b);
             DeviceBuffer dd = ctx.allocate(4L * m * n)) {
            long[] planned = lt.control().last();
            assertThat(planned[PREF_WORKSPACE]).isEqualTo(workspace);
            assertThat(planned[REQUESTED_ALGOS]).isEqualTo(1);
            assertThat(g.algorithmWorkspaceBytes()).isEqualTo(Math.min(workspace, FAKE_ALGO_WORKSPACE));
            assertThat(g.waves()).isEqualTo(1.5f);
            assertThat(g.workspaceBytes()).isEqualTo(workspace);
            assertThat(g.flops()).isEqualTo(2.0 * m * n * k);
            assertThat(g.toString()).contains("GEMM 64x48x32 BF16 x BF16 -> FP32");

            g.run(da, db, dd);

            long[] r = lt.control().last();
            assertThat(new long[] {r[M], r[N], r[K]}).containsExactly(m, n, k);
            assertThat(r[TRANSA]).as("A transposed").isEqualTo(1);
            assertThat(r[TRANSB]).as("B not transposed").isEqualTo(0);
            assertThat(r[COMPUTE]).as("CUBLAS_COMPUTE_32F").isEqualTo(68);
            assertThat(r[SCALE]).as("scale CUDA_R_32F").isEqualTo(0);
            assertThat(new long[] {r[A_TYPE], r[A_ROWS], r[A_COLS], r[A_LD]}).containsExactly(14, k, m, k);
            assertThat(new long[] {r[B_TYPE], r[B_ROWS], r[B_COLS], r[B_LD]}).containsExactly(14, k, n, k);
            assertThat(new long[] {r[C_TYPE], r[C_ROWS], r[C_COLS], r[C_LD]}).containsExactly(0, m, n, m);
            assertThat(new long[] {r[D_TYPE], r[D_ROWS], r[D_COLS], r[D_LD]}).containsExactly(0, m, n, m);
            assertThat(r[WORKSPACE_SIZE]).isEqualTo(workspace);
            assertThat(r[WORKSPACE_PTR]).isNotZero();
            assertThat(r[STREAM]).as("null stream").isZero();
            assertThat(r[ALGO_TAG]).as("the heuristic's algorithm is passed back").isEqualTo(FAKE_ALGO_TAG);
            assertThat(Float.intBitsToFloat((int) r[ALPHA_BITS])).isEqualTo(1.0f);
            assertThat(Float.intBitsToFloat((int) r[BETA_BITS])).isEqualTo(0.0f);
            assertThat(r[C_EQUALS_D]).isEqualTo(1);

            float[] got = dd.readFloats(m * n);
            for (int j = 0; j < n; j++) {
                for (int i = 0; i < m; i++) {
                    double sum = 0;
                    for (int p = 0; p < k; p++) {
                        sum += (double) fromBf16(a[p + i * k]) * fromBf16(b[p + j * k]);
                    }
                    // values k/128: every product and partial sum is exact in FP32, so the order does not matter
                    assertThat(got[i + j * m]).as("D[%d,%d]", i, j).isEqualTo((float) sum);
                }
            }
            assertThat(lt.control().fakeCublasLtMatmulCalls()).isEqualTo(1);
        }
    }

    @Test
    void runRefusesBuffersSmallerThanThePlan() {
        try (CublasLt h = CublasLt.create(lt.binding());
             CublasLt.Gemm g = h.planGemm(ctx, 64, 64, 64, 1L << 20);
             DeviceBuffer small = ctx.allocate(1024);
             DeviceBuffer big = ctx.allocate(4L * 64 * 64)) {
            assertThatThrownBy(() -> g.run(small, big, big)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("A holds 1024 B, the GEMM needs 8192 B");
            assertThat(lt.control().fakeCublasLtMatmulCalls()).isZero();
        }
    }

    @Test
    void aFailedMatmulIsACublasExceptionNamingTheStatus() {
        lt.control().fakeCublasLtFailMatmul(0, 13);
        try (CublasLt h = CublasLt.create(lt.binding());
             CublasLt.Gemm g = h.planGemm(ctx, 64, 64, 64, 1L << 20);
             DeviceBuffer buf = ctx.allocate(4L * 64 * 64)) {
            assertThatThrownBy(() -> g.run(buf, buf, buf)).isInstanceOfSatisfying(CublasException.class, e -> {
                assertThat(e.function()).isEqualTo("cublasLtMatmul");
                assertThat(e.status()).isEqualTo(13);
                assertThat(e.result()).isEqualTo(CublasStatus.EXECUTION_FAILED);
                assertThat(e.statusName()).isEqualTo("CUBLAS_STATUS_EXECUTION_FAILED");
                assertThat(e.getMessage()).isEqualTo("cublasLtMatmul failed: CUBLAS_STATUS_EXECUTION_FAILED (13): "
                        + "the GPU program failed to execute");
            });
        }
    }

    @Test
    void noAlgorithmIsNotSupportedAndThePartialPlanIsReleased() {
        lt.control().fakeCublasLtNoAlgorithm(1);
        try (CublasLt h = CublasLt.create(lt.binding())) {
            assertThatThrownBy(() -> h.planGemm(ctx, 64, 64, 64, 1L << 20))
                    .isInstanceOfSatisfying(CublasException.class, e -> {
                        assertThat(e.function()).isEqualTo("cublasLtMatmulAlgoGetHeuristic");
                        assertThat(e.statusName()).isEqualTo("CUBLAS_STATUS_NOT_SUPPORTED");
                        assertThat(e.getMessage()).contains("no algorithm for a 64x64x64 BF16 GEMM");
                    });
            assertThat(lt.control().fakeCublasLtLive()).as("only the handle is left").isEqualTo(1);
        }
        // @AfterEach: the workspace was freed too
    }

    @Test
    void aFailedCreateNamesTheStatus() {
        lt.control().fakeCublasLtFailCreate(1);
        assertThatThrownBy(() -> CublasLt.create(lt.binding())).isInstanceOfSatisfying(CublasException.class, e -> {
            assertThat(e.function()).isEqualTo("cublasLtCreate");
            assertThat(e.statusName()).isEqualTo("CUBLAS_STATUS_NOT_INITIALIZED");
        });
    }

    @Test
    void anOldLibraryWithoutStatusNamesIsUsableAndKilnNamesTheStatus() throws Exception {
        FakeCublasLt.Built old = FakeCublasLt.build(compiler, buildDir, "libcublasLt-old.so", "-DFAKE_LT_OLD");
        assertThat(old.binding().symbols()).containsExactlyInAnyOrderElementsOf(CublasLtSymbols.REQUIRED);
        assertThat(old.binding().has("cublasLtGetStatusName")).isFalse();
        assertThat(old.binding().cudartVersion()).isZero();
        old.control().fakeCublasLtReset();
        old.control().fakeCublasLtFailCreate(3);
        assertThatThrownBy(() -> CublasLt.create(old.binding())).isInstanceOfSatisfying(CublasException.class,
                e -> assertThat(e.getMessage()).isEqualTo("cublasLtCreate failed: CUBLAS_STATUS_ALLOC_FAILED (3)"));
        old.control().fakeCublasLtReset();
        try (CublasLt h = CublasLt.create(old.binding())) {
            assertThat(h.describe()).isEqualTo("cuBLASLt 12.8.5 (" + old.binding().description() + ")");
            assertThat(h.statusName(99)).isEqualTo("CUBLAS_STATUS_99");
        }
    }

    @Test
    void aLibraryWithoutMatmulIsUnavailableNamingTheMissingSymbol() throws Exception {
        Path lib = FakeCublasLt.compile(compiler, buildDir, "libcublasLt-nomatmul.so", "-DFAKE_LT_WITHOUT_MATMUL");
        CublasLtLoader.Result r = CublasLtLoader.load(lib.toString());
        assertThat(r).isInstanceOfSatisfying(CublasLtLoader.Unavailable.class,
                u -> assertThat(u.reason()).contains("lacks required symbols [cublasLtMatmul]"));
    }

    @Test
    void loadFirstSkipsUnusableCandidatesAndNamesEveryOneWhenNoneWorks() throws Exception {
        Path noMatmul = FakeCublasLt.compile(compiler, buildDir, "libcublasLt-skip.so", "-DFAKE_LT_WITHOUT_MATMUL");
        String missing = buildDir.resolve("nowhere/libcublasLt.so.12").toString();
        CublasLtLoader.Result ok = CublasLtLoader.loadFirst(List.of(missing, noMatmul.toString(), lt.library().toString()));
        assertThat(ok).isInstanceOfSatisfying(CublasLtLoader.Loaded.class,
                l -> assertThat(l.binding().description()).isEqualTo(lt.binding().description()));

        CublasLtLoader.Result none = CublasLtLoader.loadFirst(List.of(missing, noMatmul.toString()));
        assertThat(none).isInstanceOfSatisfying(CublasLtLoader.Unavailable.class, u -> assertThat(u.reason())
                .startsWith("no usable cuBLASLt (tried " + missing + ": ")
                .contains(noMatmul + ": ").contains("lacks required symbols [cublasLtMatmul]")
                .contains("KILN_CUBLASLT_PATH").contains("-Dkiln.cublaslt.path"));
    }

    @Test
    void candidatesPutTheExplicitPathFirstThenTheSonamesNewestFirst() {
        assertThat(CublasLtLoader.candidates("/opt/a/libcublasLt.so.12", "/env/libcublasLt.so.12"))
                .containsExactly("/opt/a/libcublasLt.so.12", "libcublasLt.so.13", "libcublasLt.so.12",
                        "libcublasLt.so.11", "libcublasLt.so");
        assertThat(CublasLtLoader.candidates(null, "/env/libcublasLt.so.12")).first()
                .isEqualTo("/env/libcublasLt.so.12");
        assertThat(CublasLtLoader.candidates(" ", "")).isEqualTo(CublasLtLoader.SONAMES);
    }

    @Test
    void statusNamesForEveryKnownAndAnUnknownCode() {
        assertThat(CublasStatus.nameOf(0)).isEqualTo("CUBLAS_STATUS_SUCCESS");
        assertThat(CublasStatus.nameOf(15)).isEqualTo("CUBLAS_STATUS_NOT_SUPPORTED");
        assertThat(CublasStatus.of(16)).isEqualTo(CublasStatus.LICENSE_ERROR);
        assertThat(CublasStatus.of(42)).isEqualTo(CublasStatus.UNRECOGNIZED);
        assertThat(new CublasException("cublasLtMatmul", 42, null, null).getMessage())
                .isEqualTo("cublasLtMatmul failed: CUBLAS_STATUS_42 (42)");
    }

    private DeviceBuffer upload(short[] values) {
        DeviceBuffer d = ctx.allocate(2L * values.length);
        try (Memory m = new Memory(2L * values.length)) {
            m.write(0, values, 0, values.length);
            d.copyFromHost(m, 2L * values.length);
        }
        return d;
    }

    /** BF16 bits of k/128, k in [-128, 128): exact. */
    private static short[] randomBf16(Random random, int count) {
        short[] out = new short[count];
        for (int i = 0; i < count; i++) {
            out[i] = (short) (Float.floatToRawIntBits((random.nextInt(256) - 128) / 128.0f) >>> 16);
        }
        return out;
    }

    private static float fromBf16(short bits) {
        return Float.intBitsToFloat((bits & 0xffff) << 16);
    }
}
