package dev.kiln.cuda.blas;

import com.sun.jna.Library;
import com.sun.jna.Native;
import dev.kiln.cuda.FakeCuda;
import dev.kiln.cuda.blas.raw.CublasLtBinding;
import dev.kiln.cuda.blas.raw.CublasLtLoader;
import dev.kiln.nvml.CFakes;

import java.io.IOException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Builds {@code src/test/c/fake_cublaslt.c} with gcc and loads it through {@link CublasLtLoader#load(String)}; its
 * "device pointers" are those of {@code fake_cuda.c} (host memory), so a real small GEMM runs on them.
 */
public final class FakeCublasLt {
    private FakeCublasLt() {
    }

    /** Indices into {@link Control#fakeCublasLtLast} (the LAST_* enum of fake_cublaslt.c). */
    public static final int M = 0, N = 1, K = 2, TRANSA = 3, TRANSB = 4, COMPUTE = 5, SCALE = 6,
            A_TYPE = 7, A_ROWS = 8, A_COLS = 9, A_LD = 10, B_TYPE = 11, B_ROWS = 12, B_COLS = 13, B_LD = 14,
            C_TYPE = 15, C_ROWS = 16, C_COLS = 17, C_LD = 18, D_TYPE = 19, D_ROWS = 20, D_COLS = 21, D_LD = 22,
            PREF_WORKSPACE = 23, REQUESTED_ALGOS = 24, WORKSPACE_SIZE = 25, WORKSPACE_PTR = 26, STREAM = 27,
            ALGO_TAG = 28, ALPHA_BITS = 29, BETA_BITS = 30, C_EQUALS_D = 31, LAST_COUNT = 32;
    /** What the fake's heuristic puts in {@code algo.data[0]} ("KILNALGO"). */
    public static final long FAKE_ALGO_TAG = 0x4b494c4e414c474fL;
    /** The workspace the fake's algorithm asks for (at most the preference's limit). */
    public static final long FAKE_ALGO_WORKSPACE = 4L << 20;

    /** The fake's test-only exports. */
    public interface Control extends Library {
        void fakeCublasLtReset();

        void fakeCublasLtCorrupt(int call, long index, int nan);

        void fakeCublasLtFailMatmul(int call, int status);

        void fakeCublasLtFailCreate(int status);

        void fakeCublasLtNoAlgorithm(int on);

        int fakeCublasLtMatmulCalls();

        int fakeCublasLtLive();

        int fakeCublasLtLast(long[] out, int len);

        default long[] last() {
            long[] out = new long[LAST_COUNT];
            assertThat(fakeCublasLtLast(out, out.length)).as("fake's record size").isEqualTo(LAST_COUNT);
            return out;
        }
    }

    /** fake_cuda.c's switch for real compares (it has no Java declaration in {@link FakeCuda.Control}). */
    public interface CudaData extends Library {
        void fakeCudaRealData(int on);
    }

    public record Built(Path library, CublasLtBinding binding, Control control) {
    }

    /** Compiles the fake into {@code dir/fileName} with extra {@code flags}; asserts the compiler succeeded. */
    public static Path compile(Path compiler, Path dir, String fileName, String... flags)
            throws IOException, InterruptedException {
        return CFakes.compile(compiler, "fake_cublaslt.c", dir, fileName, flags);
    }

    public static Built build(Path compiler, Path dir, String fileName, String... flags)
            throws IOException, InterruptedException {
        Path lib = compile(compiler, dir, fileName, flags);
        CublasLtLoader.Result r = CublasLtLoader.load(lib.toString());
        assertThat(r).as("loading %s", lib).isInstanceOf(CublasLtLoader.Loaded.class);
        return new Built(lib, ((CublasLtLoader.Loaded) r).binding(), Native.load(lib.toString(), Control.class));
    }

    public static Built build(Path compiler, Path dir) throws IOException, InterruptedException {
        return build(compiler, dir, "libcublasLt-fake.so");
    }

    public static CudaData cudaData(FakeCuda.Built cuda) {
        return Native.load(cuda.library().toString(), CudaData.class);
    }
}
