package dev.kiln.cuda.blas;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import dev.kiln.cuda.CudaContext;
import dev.kiln.cuda.DeviceBuffer;
import dev.kiln.cuda.blas.raw.CublasLtBinding;
import dev.kiln.cuda.blas.raw.CublasLtLibrary;
import dev.kiln.cuda.blas.raw.HeuristicResult;

import java.util.ArrayList;
import java.util.List;

/**
 * A cuBLASLt handle ({@code cublasLtCreate} .. {@code cublasLtDestroy}) and the one operation Kiln needs from it: a
 * planned BF16 x BF16 -> FP32 GEMM ({@link Gemm}). cuBLASLt works in the CUDA context current on the calling thread
 * (Kiln's retained primary context, the one cudart uses), so create and use it on the thread that made the context
 * current, and close every {@link Gemm} and then this handle before the context.
 */
public final class CublasLt implements AutoCloseable {
    // The few cuBLAS/CUDA enum values Kiln passes, defined here instead of vendoring NVIDIA's headers
    // (cublas_api.h: cublasComputeType_t, cublasOperation_t; library_types.h: cudaDataType_t;
    // cublasLt.h: cublasLtMatmulDescAttributes_t, cublasLtMatmulPreferenceAttributes_t). Stable since CUDA 11.
    static final int CUBLAS_COMPUTE_32F = 68;
    static final int CUDA_R_32F = 0;
    static final int CUDA_R_16F = 2;
    static final int CUDA_R_16BF = 14;
    static final int CUBLAS_OP_N = 0;
    static final int CUBLAS_OP_T = 1;
    static final int CUBLASLT_MATMUL_DESC_TRANSA = 3;
    static final int CUBLASLT_MATMUL_DESC_TRANSB = 4;
    /** Attribute type uint64_t. */
    static final int CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES = 1;

    private final CublasLtBinding binding;
    private final Pointer handle;
    private boolean closed;

    private CublasLt(CublasLtBinding binding, Pointer handle) {
        this.binding = binding;
        this.handle = handle;
    }

    /** {@code cublasLtCreate}; a failure (e.g. NOT_INITIALIZED: no usable CUDA runtime/driver) is a {@link CublasException}. */
    public static CublasLt create(CublasLtBinding binding) {
        PointerByReference h = new PointerByReference();
        check(binding, "cublasLtCreate", binding.library().cublasLtCreate(h));
        return new CublasLt(binding, h.getValue());
    }

    public CublasLtBinding binding() {
        return binding;
    }

    /** E.g. "cuBLASLt 12.8.5 (/usr/lib/.../libcublasLt.so.12, built for CUDA 12.8)". */
    public String describe() {
        long rt = binding.cudartVersion();
        return "cuBLASLt " + binding.versionString() + " (" + binding.description()
                + (rt > 0 ? ", built for CUDA " + rt / 1000 + "." + rt % 1000 / 10 : "") + ")";
    }

    /**
     * Plans {@code D (m x n, FP32) = A^T (m x k) * B (k x n)} with BF16 inputs, FP32 compute and scale
     * ({@code CUBLAS_COMPUTE_32F}), column-major, in the usual "TN" configuration: A is stored k x m (lda = k) and
     * transposed, B is stored k x n (ldb = k), D is m x n (ldd = m). Allocates a workspace of
     * {@code workspaceBytes} in {@code ctx} and picks the first algorithm cuBLASLt's heuristic proposes within it.
     */
    public Gemm planGemm(CudaContext ctx, int m, int n, int k, long workspaceBytes) {
        ensureOpen();
        if (m <= 0 || n <= 0 || k <= 0 || workspaceBytes <= 0) {
            throw new IllegalArgumentException("GEMM dimensions and workspace must be positive: m=" + m + " n=" + n
                    + " k=" + k + " workspace=" + workspaceBytes);
        }
        Gemm g = new Gemm(m, n, k);
        try {
            g.plan(ctx, workspaceBytes);
        } catch (RuntimeException e) {
            try {
                g.close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return g;
    }

    private CublasLtLibrary lib() {
        return binding.library();
    }

    void check(String function, int status) {
        check(binding, function, status);
    }

    private static void check(CublasLtBinding binding, String function, int status) {
        if (status != 0) {
            throw new CublasException(function, status, statusName(binding, status), statusString(binding, status));
        }
    }

    /** The library's name for a status ({@code cublasLtGetStatusName} when exported), else Kiln's spelling. */
    public String statusName(int status) {
        return statusName(binding, status);
    }

    private static String statusName(CublasLtBinding binding, int status) {
        if (binding.has("cublasLtGetStatusName")) {
            try {
                String s = binding.library().cublasLtGetStatusName(status);
                if (s != null && !s.isBlank()) {
                    return s;
                }
            } catch (RuntimeException | UnsatisfiedLinkError e) {
                // fall through to Kiln's own name
            }
        }
        return CublasStatus.nameOf(status);
    }

    private static String statusString(CublasLtBinding binding, int status) {
        if (binding.has("cublasLtGetStatusString")) {
            try {
                return binding.library().cublasLtGetStatusString(status);
            } catch (RuntimeException | UnsatisfiedLinkError e) {
                return null;
            }
        }
        return null;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("cuBLASLt handle is destroyed");
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            check("cublasLtDestroy", lib().cublasLtDestroy(handle));
        }
    }

    /**
     * One planned GEMM: its descriptors, the chosen algorithm and its workspace. Every {@link #run} uses the same
     * algorithm, workspace and (null) stream, which is what makes repeats bit-identical (cuBLAS "results
     * reproducibility": same library, architecture and SM count, one stream, a user-owned workspace).
     */
    public final class Gemm implements AutoCloseable {
        private final int m;
        private final int n;
        private final int k;
        private Pointer desc;
        private Pointer aLayout;
        private Pointer bLayout;
        private Pointer dLayout;
        private Pointer preference;
        private DeviceBuffer workspace;
        private final HeuristicResult algo = new HeuristicResult();
        private final Memory alpha = new Memory(4);
        private final Memory beta = new Memory(4);
        private boolean closed;

        private Gemm(int m, int n, int k) {
            this.m = m;
            this.n = n;
            this.k = k;
            alpha.setFloat(0, 1.0f);
            beta.setFloat(0, 0.0f);
        }

        private void plan(CudaContext ctx, long workspaceBytes) {
            PointerByReference p = new PointerByReference();
            check("cublasLtMatmulDescCreate", lib().cublasLtMatmulDescCreate(p, CUBLAS_COMPUTE_32F, CUDA_R_32F));
            desc = p.getValue();
            setDescInt(CUBLASLT_MATMUL_DESC_TRANSA, CUBLAS_OP_T);
            setDescInt(CUBLASLT_MATMUL_DESC_TRANSB, CUBLAS_OP_N);
            aLayout = layout(CUDA_R_16BF, k, m, k);
            bLayout = layout(CUDA_R_16BF, k, n, k);
            dLayout = layout(CUDA_R_32F, m, n, m);
            check("cublasLtMatmulPreferenceCreate", lib().cublasLtMatmulPreferenceCreate(p));
            preference = p.getValue();
            try (Memory v = new Memory(8)) {
                v.setLong(0, workspaceBytes);
                check("cublasLtMatmulPreferenceSetAttribute(MAX_WORKSPACE_BYTES)",
                        lib().cublasLtMatmulPreferenceSetAttribute(preference, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                v, 8));
            }
            workspace = ctx.allocate(workspaceBytes);
            IntByReference found = new IntByReference();
            check("cublasLtMatmulAlgoGetHeuristic", lib().cublasLtMatmulAlgoGetHeuristic(handle, desc, aLayout,
                    bLayout, dLayout, dLayout, preference, 1, algo, found));
            if (found.getValue() < 1 || algo.state != 0) {
                int status = found.getValue() < 1 ? CublasStatus.NOT_SUPPORTED.code() : algo.state;
                throw new CublasException("cublasLtMatmulAlgoGetHeuristic", status, statusName(status),
                        "no algorithm for a " + m + "x" + n + "x" + k + " BF16 GEMM within " + workspaceBytes
                                + " B of workspace");
            }
        }

        private void setDescInt(int attr, int value) {
            try (Memory v = new Memory(4)) {
                v.setInt(0, value);
                check("cublasLtMatmulDescSetAttribute(" + attr + ")",
                        lib().cublasLtMatmulDescSetAttribute(desc, attr, v, 4));
            }
        }

        private Pointer layout(int type, long rows, long cols, long ld) {
            PointerByReference p = new PointerByReference();
            check("cublasLtMatrixLayoutCreate", lib().cublasLtMatrixLayoutCreate(p, type, rows, cols, ld));
            return p.getValue();
        }

        public int m() {
            return m;
        }

        public int n() {
            return n;
        }

        public int k() {
            return k;
        }

        /** FLOPs of one {@link #run}: 2 m n k (one multiply and one add per term). */
        public double flops() {
            return 2.0 * m * n * k;
        }

        /** Bytes of A (k x m BF16). */
        public long aBytes() {
            return 2L * k * m;
        }

        /** Bytes of B (k x n BF16). */
        public long bBytes() {
            return 2L * k * n;
        }

        /** Bytes of D (m x n FP32). */
        public long outputBytes() {
            return 4L * m * n;
        }

        /** The workspace this GEMM owns and passes on every run. */
        public long workspaceBytes() {
            return workspace == null ? 0 : workspace.bytes();
        }

        /** The workspace the chosen algorithm said it needs (at most {@link #workspaceBytes()}). */
        public long algorithmWorkspaceBytes() {
            return algo.workspaceSize;
        }

        /** cuBLASLt's estimate of the chosen algorithm's waves over the GPU's SMs. */
        public float waves() {
            return algo.wavesCount;
        }

        /**
         * {@code D = A^T B} on the default stream (asynchronous: a failure inside the kernel may only show at the next
         * synchronisation). A is k x m and B is k x n BF16; D receives m x n FP32; each must be at least that large.
         */
        public void run(DeviceBuffer a, DeviceBuffer b, DeviceBuffer d) {
            ensureOpen();
            if (closed) {
                throw new IllegalStateException("GEMM plan is closed");
            }
            need(a, aBytes(), "A");
            need(b, bBytes(), "B");
            need(d, outputBytes(), "D");
            check("cublasLtMatmul", lib().cublasLtMatmul(handle, desc, alpha, a.address(), aLayout, b.address(),
                    bLayout, beta, d.address(), dLayout, d.address(), dLayout, algo.getPointer(),
                    workspace.address(), workspace.bytes(), null));
        }

        private static void need(DeviceBuffer buf, long bytes, String what) {
            if (buf.bytes() < bytes) {
                throw new IllegalArgumentException(what + " holds " + buf.bytes() + " B, the GEMM needs " + bytes + " B");
            }
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            List<RuntimeException> failures = new ArrayList<>();
            if (preference != null) {
                collect(failures, "cublasLtMatmulPreferenceDestroy", () -> lib().cublasLtMatmulPreferenceDestroy(preference));
            }
            for (Pointer l : new Pointer[] {dLayout, bLayout, aLayout}) {
                if (l != null) {
                    collect(failures, "cublasLtMatrixLayoutDestroy", () -> lib().cublasLtMatrixLayoutDestroy(l));
                }
            }
            if (desc != null) {
                collect(failures, "cublasLtMatmulDescDestroy", () -> lib().cublasLtMatmulDescDestroy(desc));
            }
            if (workspace != null) {
                try {
                    workspace.close();
                } catch (RuntimeException e) {
                    failures.add(e);
                }
            }
            alpha.close();
            beta.close();
            if (!failures.isEmpty()) {
                RuntimeException first = failures.getFirst();
                failures.subList(1, failures.size()).forEach(first::addSuppressed);
                throw first;
            }
        }

        private void collect(List<RuntimeException> failures, String function, java.util.function.IntSupplier call) {
            try {
                check(function, call.getAsInt());
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }

        @Override
        public String toString() {
            return "GEMM " + m + "x" + n + "x" + k + " BF16 x BF16 -> FP32 (compute 32F, TN), workspace "
                    + workspaceBytes() + " B (algorithm needs " + algorithmWorkspaceBytes() + " B)";
        }
    }
}
