package dev.kiln.cuda.burnin;

import com.sun.jna.Memory;
import dev.kiln.cuda.CudaContext;
import dev.kiln.cuda.CudaDevice;
import dev.kiln.cuda.CudaException;
import dev.kiln.cuda.CudaModule;
import dev.kiln.cuda.CudaTimer;
import dev.kiln.cuda.DeviceBuffer;
import dev.kiln.cuda.Kernel;
import dev.kiln.cuda.MemInfo;
import dev.kiln.cuda.blas.CublasException;
import dev.kiln.cuda.blas.CublasLt;
import dev.kiln.cuda.blas.raw.CublasLtLoader;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * {@code burnin.compute}: fills most of free memory with result slots (like gpu-burn), then alternates rounds of
 * FP32 FMA and BF16 tensor-core (mma.sync) work, and, when cuBLASLt is available, a BF16 x BF16 -> FP32 cuBLASLt
 * GEMM ({@link Kind#GEMM_CUBLASLT}). Each round writes its reference into slot 0 and then the same work into the
 * following slots, comparing each with slot 0 on the GPU (the gpu-burn/DCGM oracle: identical work must give
 * identical results). The kernels are deterministic, so the default tolerance is exact equality; so is cuBLASLt
 * with one fixed algorithm, workspace and stream (see {@link Kind#GEMM_CUBLASLT}).
 * Any difference or NaN is {@link Outcome#FAILED}; any driver or cuBLASLt error is {@link Outcome#ERROR}, never a
 * pass. Without cuBLASLt the GEMM kind is left out and {@link Result#notes()} says why: it is optional.
 */
public final class ComputeStress implements Workload {
    public static final String ID = "burnin.compute";

    /**
     * @param memoryFraction share of free memory to fill with result slots (gpu-burn: 0.9)
     * @param slotBytes      bytes per result slot (rounded to 1 KiB; shrunk when memory is small)
     * @param launchMillis   target GPU time of one stress launch (iterations are calibrated to it)
     * @param roundMillis    wall time of one round before switching kind
     * @param tolerance      absolute difference that counts as a mismatch (0: exact)
     * @param gemmMaxDim     largest m = n = k of the cuBLASLt GEMM (shrunk so its FP32 output fits a slot)
     * @param cublasLt       where cuBLASLt comes from, asked once per run (default {@link CublasLtLoader#system()})
     */
    public record Config(double memoryFraction, long slotBytes, double launchMillis, long roundMillis,
                         float tolerance, int gemmMaxDim, Supplier<CublasLtLoader.Result> cublasLt) {
        /** The GEMM of the usual 8192^3 benchmark (PyTorch's, tools/gpu/torch_bench.py): 256 MiB of FP32 output. */
        public static final int DEFAULT_GEMM_MAX_DIM = 8192;

        public Config {
            if (cublasLt == null) {
                throw new IllegalArgumentException("cublasLt supplier is required (use withoutCublasLt())");
            }
        }

        /** Without the GEMM settings: the default GEMM size and the system's cuBLASLt, if any. */
        public Config(double memoryFraction, long slotBytes, double launchMillis, long roundMillis, float tolerance) {
            this(memoryFraction, slotBytes, launchMillis, roundMillis, tolerance, DEFAULT_GEMM_MAX_DIM,
                    CublasLtLoader::system);
        }

        public static Config defaults() {
            return new Config(0.9, 256L << 20, 20.0, 5_000, 0.0f);
        }

        public Config withCublasLt(Supplier<CublasLtLoader.Result> source) {
            return new Config(memoryFraction, slotBytes, launchMillis, roundMillis, tolerance, gemmMaxDim, source);
        }

        /** No GEMM kind: the result notes "cuBLASLt not loaded: disabled by configuration". */
        public Config withoutCublasLt() {
            return withCublasLt(() -> new CublasLtLoader.Unavailable("disabled by configuration"));
        }

        public Config withGemmMaxDim(int dim) {
            return new Config(memoryFraction, slotBytes, launchMillis, roundMillis, tolerance, dim, cublasLt);
        }
    }

    /** The kinds of work. */
    public enum Kind {
        FP32_FMA,
        TENSOR_BF16,
        /**
         * cuBLASLt {@code D = A^T B}, m = n = k (8192 by default), BF16 inputs filled once per run with seeded values,
         * FP32 output and compute. Only when cuBLASLt loads. Exact comparison assumes cuBLAS's documented
         * reproducibility: the same library, GPU architecture and SM count give bit-identical results when one
         * stream is used and the workspace is the caller's; Kiln uses one planned algorithm, one workspace and the
         * null stream for every repeat. {@link KindResult#iterations()} is GEMMs per timed launch, each into its own
         * slot and each compared.
         */
        GEMM_CUBLASLT
    }

    /**
     * Per kind: launches timed, FLOPs done, GPU seconds, sustained and best TFLOP/s, slots compared, elements
     * that differed from the reference, NaNs seen.
     */
    public record KindResult(Kind kind, long launches, double flops, double gpuSeconds, double tflops,
                             double bestLaunchTflops, long comparisons, long mismatches, long nans, int iterations) {
    }

    /**
     * @param kinds one result per kind that ran; {@link Kind#GEMM_CUBLASLT} only when cuBLASLt was loaded
     * @param notes what else the run should say: which cuBLASLt and GEMM ran, or why the GEMM kind did not
     *              ("cuBLASLt not loaded: ..."): an absent cuBLASLt is a note, never an error
     */
    public record Result(String device, String pciBusId, Outcome outcome, int slots, long slotBytes,
                         long bytesUsed, int rounds, List<KindResult> kinds, long mismatches, long nans,
                         Duration elapsed,
                         WorkloadError error, List<String> notes) implements WorkloadResult {
        public Result {
            kinds = List.copyOf(kinds);
            notes = notes == null ? List.of() : List.copyOf(notes);
        }

        /** Without notes (results made before the GEMM kind existed, tests). */
        public Result(String device, String pciBusId, Outcome outcome, int slots, long slotBytes, long bytesUsed,
                      int rounds, List<KindResult> kinds, long mismatches, long nans, Duration elapsed,
                      WorkloadError error) {
            this(device, pciBusId, outcome, slots, slotBytes, bytesUsed, rounds, kinds, mismatches, nans, elapsed,
                    error, List.of());
        }

        /** The result of kind {@code k}, or null when that kind did not run (GEMM without cuBLASLt). */
        public KindResult kind(Kind k) {
            return kinds.stream().filter(r -> r.kind() == k).findFirst().orElse(null);
        }
    }

    /** Workspace offered to cuBLASLt's heuristic and passed on every GEMM. */
    static final long GEMM_WORKSPACE_BYTES = 32L << 20;
    /** GEMM sizes are multiples of this (and at least this, or the GEMM kind does not run). */
    static final int GEMM_DIM_STEP = 64;
    /** Seeds of the GEMM operands: fixed, so every run multiplies the same matrices. */
    private static final long SEED_A = 0x4b494c4e41L;
    private static final long SEED_B = 0x4b494c4e42L;

    private final Config config;

    public ComputeStress(Config config) {
        this.config = config;
    }

    public ComputeStress() {
        this(Config.defaults());
    }

    private static final class Acc {
        final Kind kind;
        long launches;
        double flops;
        double seconds;
        double best;
        long comparisons;
        long mismatches;
        long nans;
        int iterations;

        Acc(Kind kind) {
            this.kind = kind;
        }

        KindResult result() {
            return new KindResult(kind, launches, flops, seconds, seconds > 0 ? flops / seconds / 1e12 : 0, best,
                    comparisons, mismatches, nans, iterations);
        }
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public Result run(CudaDevice device, Duration budget, BooleanSupplier cancelled, Consumer<Progress> progress) {
        Budget b = new Budget(ID, budget, cancelled, progress);
        Acc fma = new Acc(Kind.FP32_FMA);
        Acc tensor = new Acc(Kind.TENSOR_BF16);
        List<Acc> accs = new ArrayList<>(List.of(fma, tensor));
        List<String> notes = new ArrayList<>();
        int slots = 0;
        long slotBytes = 0;
        int rounds = 0;
        WorkloadError error = null;
        try (Scope scope = new Scope()) {
            CudaContext ctx = scope.add(device.retainPrimaryContext());
            Kernel fmaK = scope.add(ctx.loadModule("compute")).function("fma_stress");
            Kernel mmaK = scope.add(ctx.loadModule("tensor")).function("mma_bf16_stress");
            Kernel cmpK = scope.add(ctx.loadModule("compare")).function("compare_f32");
            CudaTimer timer = scope.add(ctx.createTimer());
            DeviceBuffer counts = scope.add(ctx.allocate(16));
            CublasLt lt = openCublasLt(scope, notes);
            MemInfo mem = ctx.memInfo();
            long usable = (long) (mem.free() * config.memoryFraction());
            long slotCap = Math.min(config.slotBytes(), usable / 2) & ~1023L;
            // the GEMM's output must fit a slot; its operands and workspace take at most a quarter of the memory
            int dim = lt == null ? 0 : gemmDim(slotCap, usable / 4 - GEMM_WORKSPACE_BYTES, config.gemmMaxDim());
            if (lt != null && dim == 0) {
                notes.add("cuBLASLt GEMM not run: too little device memory for a " + GEMM_DIM_STEP + "^3 GEMM ("
                        + mem.free() + " B free) or gemmMaxDim " + config.gemmMaxDim() + " below " + GEMM_DIM_STEP);
            }
            long gemmBytes = dim == 0 ? 0 : 4L * dim * dim + GEMM_WORKSPACE_BYTES;
            slotBytes = Math.min(slotCap, (usable - gemmBytes) / 2) & ~1023L;
            if (slotBytes < (1L << 20)) {
                throw new IllegalStateException("not enough free device memory for two result slots: "
                        + mem.free() + " B free");
            }
            slots = (int) Math.min(Integer.MAX_VALUE, (usable - gemmBytes) / slotBytes);
            GemmWork gemm = null;
            Acc gemmAcc = null;
            if (dim > 0) {
                gemm = planGemm(scope, ctx, lt, dim);
                gemmAcc = new Acc(Kind.GEMM_CUBLASLT);
                accs.add(gemmAcc);
                notes.add(lt.describe() + ": " + gemm.gemm());
            }
            List<DeviceBuffer> slot = new ArrayList<>(slots);
            for (int i = 0; i < slots; i++) {
                slot.add(scope.add(ctx.allocate(slotBytes)));
            }
            b.report("allocated " + slots + " result slots of " + (slotBytes >> 20) + " MiB");
            long n = slotBytes / 4;
            int blocks = Math.max(1, device.smCount()) * 8;
            int cursor = 1;
            try {
                while (!b.over()) {
                    Acc acc = accs.get(rounds % accs.size());
                    // rounds never longer than a quarter of the budget, so a short run still does every kind
                    long roundNanos = Math.min(config.roundMillis() * 1_000_000L,
                            Math.max(200_000_000L, b.budgetNanos() / 4));
                    if (acc == gemmAcc) {
                        cursor = gemmRound(acc, gemm, timer, cmpK, counts, slot, cursor, blocks, roundNanos, b);
                    } else {
                        Kernel k = acc.kind == Kind.FP32_FMA ? fmaK : mmaK;
                        if (acc.iterations == 0) {
                            acc.iterations = calibrate(acc.kind, k, timer, slot.get(0), n, blocks);
                        }
                        long roundEnd = System.nanoTime() + roundNanos;
                        timedLaunch(acc, k, timer, slot.get(0), n, blocks);
                        do {
                            DeviceBuffer s = slot.get(cursor);
                            timedLaunch(acc, k, timer, s, n, blocks);
                            compare(acc, cmpK, counts, s, slot.get(0), n, blocks);
                            cursor = cursor + 1 >= slots ? 1 : cursor + 1;
                        } while (System.nanoTime() < roundEnd && !b.over());
                    }
                    rounds++;
                    KindResult r = acc.result();
                    b.report(String.format("round %d %s: %.1f TFLOP/s, %d mismatches, %d NaNs",
                            rounds, acc.kind, r.tflops(), acc.mismatches, acc.nans));
                }
            } catch (CublasException e) {
                error = cublasError(e, ctx);
                throw e;
            }
            ctx.synchronize();
        } catch (RuntimeException e) {
            if (error == null) {
                error = WorkloadError.of(e);
            }
        }
        long mismatches = accs.stream().mapToLong(a -> a.mismatches).sum();
        long nans = accs.stream().mapToLong(a -> a.nans).sum();
        long comparisons = accs.stream().mapToLong(a -> a.comparisons).sum();
        Outcome outcome;
        if (mismatches > 0 || nans > 0) {
            outcome = Outcome.FAILED;
        } else if (error != null) {
            outcome = Outcome.ERROR;
        } else if (b.cancelled()) {
            outcome = Outcome.CANCELLED;
        } else if (comparisons == 0) {
            outcome = Outcome.ERROR;
            error = new WorkloadError("kiln", 0, "NO_WORK", false, false,
                    "the budget ended before any result was compared; nothing was verified");
        } else {
            outcome = Outcome.PASSED;
        }
        return new Result(device.name(), device.pciBusId(), outcome, slots, slotBytes, (long) slots * slotBytes,
                rounds, accs.stream().map(Acc::result).toList(), mismatches, nans, b.elapsed(), error, notes);
    }

    /** A planned cuBLASLt GEMM and its operands (filled once per run). */
    private record GemmWork(CublasLt.Gemm gemm, DeviceBuffer a, DeviceBuffer b) {
        void run(DeviceBuffer out) {
            gemm.run(a, b, out);
        }
    }

    /** The cuBLASLt handle, or null with a note when the library is not there (optional: never an error). */
    private CublasLt openCublasLt(Scope scope, List<String> notes) {
        return switch (config.cublasLt().get()) {
            case CublasLtLoader.Unavailable u -> {
                notes.add("cuBLASLt not loaded: " + u.reason());
                yield null;
            }
            // loaded but failing (e.g. NOT_INITIALIZED) is a CublasException: ERROR, like any other library failure
            case CublasLtLoader.Loaded l -> scope.add(CublasLt.create(l.binding()));
        };
    }

    private static GemmWork planGemm(Scope scope, CudaContext ctx, CublasLt lt, int dim) {
        long operandBytes = 2L * dim * dim;
        DeviceBuffer a = scope.add(ctx.allocate(operandBytes));
        DeviceBuffer bm = scope.add(ctx.allocate(operandBytes));
        fillBf16(a, (long) dim * dim, SEED_A);
        fillBf16(bm, (long) dim * dim, SEED_B);
        return new GemmWork(scope.add(lt.planGemm(ctx, dim, dim, dim, GEMM_WORKSPACE_BYTES)), a, bm);
    }

    /**
     * Largest multiple of {@link #GEMM_DIM_STEP} up to {@code max} whose m x m FP32 output fits {@code outputBytes} and
     * whose two m x m BF16 operands fit {@code operandBytes}; 0 when not even one step fits.
     */
    static int gemmDim(long outputBytes, long operandBytes, int max) {
        if (outputBytes <= 0 || operandBytes <= 0 || max < GEMM_DIM_STEP) {
            return 0;
        }
        long d = Math.min(max, Math.min((long) Math.sqrt(outputBytes / 4.0), (long) Math.sqrt(operandBytes / 4.0)));
        d -= d % GEMM_DIM_STEP;
        return d >= GEMM_DIM_STEP ? (int) d : 0;
    }

    /**
     * Fills {@code elements} BF16 values k/128 (k uniform in [-128, 128), seeded): exact in BF16, so the products are
     * exact and a small GEMM's sums are too (tests compute it independently); no NaN or overflow at any size.
     */
    static void fillBf16(DeviceBuffer buf, long elements, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        try (Memory host = new Memory(2L * elements)) {
            short[] chunk = new short[1 << 16];
            for (long off = 0; off < elements; off += chunk.length) {
                int len = (int) Math.min(chunk.length, elements - off);
                for (int i = 0; i < len; i++) {
                    chunk[i] = bf16(random.nextInt(-128, 128) / 128.0f);
                }
                host.write(2L * off, chunk, 0, len);
            }
            buf.copyFromHost(host, 2L * elements);
        }
    }

    /** The BF16 bits of {@code v} by truncation (exact for the values {@link #fillBf16} uses). */
    static short bf16(float v) {
        return (short) (Float.floatToRawIntBits(v) >>> 16);
    }

    /**
     * One GEMM round: the reference into slot 0, then batches of {@code iterations} GEMMs, each into its own slot,
     * timed together, then each compared with slot 0. Answers the next slot cursor.
     */
    private int gemmRound(Acc acc, GemmWork gemm, CudaTimer timer, Kernel cmpK, DeviceBuffer counts,
                          List<DeviceBuffer> slot, int cursor, int blocks, long roundNanos, Budget b) {
        DeviceBuffer ref = slot.get(0);
        if (acc.iterations == 0) {
            gemm.run(ref);   // the first call may load cuBLASLt's kernels: not timed
            timer.start(null);
            gemm.run(ref);
            timer.stop(null);
            double ms = Math.max(0.01, timer.elapsedMillis());
            acc.iterations = (int) Math.max(1, Math.min(1024, Math.round(config.launchMillis() / ms)));
        }
        long roundEnd = System.nanoTime() + roundNanos;
        long elements = (long) gemm.gemm().m() * gemm.gemm().n();
        timedGemms(acc, gemm, timer, List.of(ref));
        int slots = slot.size();
        do {
            int batch = Math.min(acc.iterations, slots - 1);
            List<DeviceBuffer> outs = new ArrayList<>(batch);
            for (int i = 0; i < batch; i++) {
                outs.add(slot.get(cursor));
                cursor = cursor + 1 >= slots ? 1 : cursor + 1;
            }
            timedGemms(acc, gemm, timer, outs);
            for (DeviceBuffer s : outs) {
                compare(acc, cmpK, counts, s, ref, elements, blocks);
            }
        } while (System.nanoTime() < roundEnd && !b.over());
        return cursor;
    }

    private static void timedGemms(Acc acc, GemmWork gemm, CudaTimer timer, List<DeviceBuffer> outs) {
        timer.start(null);
        for (DeviceBuffer out : outs) {
            gemm.run(out);
        }
        timer.stop(null);
        account(acc, gemm.gemm().flops() * outs.size(), timer.elapsedMillis() / 1000.0);
    }

    /** Compares {@code n} floats of {@code s} with {@code ref} on the GPU and adds the counts to {@code acc}. */
    private void compare(Acc acc, Kernel cmpK, DeviceBuffer counts, DeviceBuffer s, DeviceBuffer ref, long n,
                         int blocks) {
        counts.fill32(0);
        cmpK.launch(blocks, 256, null, s, ref, n, config.tolerance(), counts);
        long[] c = counts.readLongs(2);
        acc.comparisons++;
        acc.mismatches += c[0];
        acc.nans += c[1];
    }

    /**
     * A failed GEMM may hide a driver error of cuBLASLt's own kernel (an illegal address is sticky and a hardware
     * finding): ask the driver, and carry its verdict with cuBLASLt's status.
     */
    private static WorkloadError cublasError(CublasException e, CudaContext ctx) {
        WorkloadError base = WorkloadError.of(e);
        try {
            ctx.synchronize();
            return base;
        } catch (CudaException driver) {
            return new WorkloadError(base.function(), base.code(), base.name(), driver.sticky(),
                    driver.hardwareSuspect(), base.message() + "; the driver then reported: " + driver.getMessage());
        } catch (RuntimeException other) {
            return base;
        }
    }

    private static double flopsPerLaunch(Kind kind, long n, int iters) {
        return kind == Kind.FP32_FMA
                ? (double) n * iters * 16.0
                : (double) (n / 256) * iters * 4.0 * 2.0 * 16 * 16 * 16;
    }

    private void launch(Kind kind, Kernel k, DeviceBuffer out, long n, int blocks, int iters) {
        if (kind == Kind.FP32_FMA) {
            k.launch(blocks, 256, null, out, n, iters);
        } else {
            k.launch(blocks * 2, 256, null, out, n / 256, iters);
        }
    }

    private int calibrate(Kind kind, Kernel k, CudaTimer timer, DeviceBuffer out, long n, int blocks) {
        int iters = 64;
        timer.start(null);
        launch(kind, k, out, n, blocks, iters);
        timer.stop(null);
        double ms = Math.max(0.01, timer.elapsedMillis());
        long scaled = Math.round(iters * config.launchMillis() / ms);
        return (int) Math.max(16, Math.min(1 << 20, scaled));
    }

    private void timedLaunch(Acc acc, Kernel k, CudaTimer timer, DeviceBuffer out, long n, int blocks) {
        timer.start(null);
        launch(acc.kind, k, out, n, blocks, acc.iterations);
        timer.stop(null);
        account(acc, flopsPerLaunch(acc.kind, n, acc.iterations), timer.elapsedMillis() / 1000.0);
    }

    private static void account(Acc acc, double flops, double seconds) {
        acc.launches++;
        acc.flops += flops;
        acc.seconds += seconds;
        if (seconds > 0) {
            acc.best = Math.max(acc.best, flops / seconds / 1e12);
        }
    }
}
