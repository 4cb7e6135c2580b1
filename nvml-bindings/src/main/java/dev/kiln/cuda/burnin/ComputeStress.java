package dev.kiln.cuda.burnin;

import dev.kiln.cuda.CudaContext;
import dev.kiln.cuda.CudaDevice;
import dev.kiln.cuda.CudaModule;
import dev.kiln.cuda.CudaTimer;
import dev.kiln.cuda.DeviceBuffer;
import dev.kiln.cuda.Kernel;
import dev.kiln.cuda.MemInfo;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * {@code burnin.compute}: fills most of free memory with result slots (like gpu-burn), then alternates rounds of
 * FP32 FMA and BF16 tensor-core (mma.sync) work. Each round writes its reference into slot 0 and then the same
 * work into the following slots, comparing each with slot 0 on the GPU (the gpu-burn/DCGM oracle: identical work
 * must give identical results). The kernels are deterministic, so the default tolerance is exact equality.
 * Any difference or NaN is {@link Outcome#FAILED}; any driver error is {@link Outcome#ERROR}, never a pass.
 */
public final class ComputeStress implements Workload {
    public static final String ID = "burnin.compute";

    /**
     * @param memoryFraction share of free memory to fill with result slots (gpu-burn: 0.9)
     * @param slotBytes      bytes per result slot (rounded to 1 KiB; shrunk when memory is small)
     * @param launchMillis   target GPU time of one stress launch (iterations are calibrated to it)
     * @param roundMillis    wall time of one round before switching kind
     * @param tolerance      absolute difference that counts as a mismatch (0: exact)
     */
    public record Config(double memoryFraction, long slotBytes, double launchMillis, long roundMillis,
                         float tolerance) {
        public static Config defaults() {
            return new Config(0.9, 256L << 20, 20.0, 5_000, 0.0f);
        }
    }

    /** The two kinds of work. */
    public enum Kind { FP32_FMA, TENSOR_BF16 }

    /**
     * Per kind: launches timed, FLOPs done, GPU seconds, sustained and best TFLOP/s, slots compared, elements
     * that differed from the reference, NaNs seen.
     */
    public record KindResult(Kind kind, long launches, double flops, double gpuSeconds, double tflops,
                             double bestLaunchTflops, long comparisons, long mismatches, long nans, int iterations) {
    }

    public record Result(String device, String pciBusId, Outcome outcome, int slots, long slotBytes,
                         long bytesUsed, int rounds, List<KindResult> kinds, long mismatches, long nans,
                         Duration elapsed,
                         WorkloadError error) implements WorkloadResult {
        public KindResult kind(Kind k) {
            return kinds.stream().filter(r -> r.kind() == k).findFirst().orElse(null);
        }
    }

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
            MemInfo mem = ctx.memInfo();
            long usable = (long) (mem.free() * config.memoryFraction());
            slotBytes = Math.min(config.slotBytes(), usable / 2) & ~1023L;
            if (slotBytes < (1L << 20)) {
                throw new IllegalStateException("not enough free device memory for two result slots: "
                        + mem.free() + " B free");
            }
            slots = (int) Math.min(Integer.MAX_VALUE, usable / slotBytes);
            List<DeviceBuffer> slot = new ArrayList<>(slots);
            for (int i = 0; i < slots; i++) {
                slot.add(scope.add(ctx.allocate(slotBytes)));
            }
            b.report("allocated " + slots + " result slots of " + (slotBytes >> 20) + " MiB");
            long n = slotBytes / 4;
            int blocks = Math.max(1, device.smCount()) * 8;
            int cursor = 1;
            while (!b.over()) {
                Acc acc = rounds % 2 == 0 ? fma : tensor;
                Kernel k = acc.kind == Kind.FP32_FMA ? fmaK : mmaK;
                if (acc.iterations == 0) {
                    acc.iterations = calibrate(acc.kind, k, timer, slot.get(0), n, blocks);
                }
                // rounds never longer than a quarter of the budget, so a short run still does both kinds
                long roundNanos = Math.min(config.roundMillis() * 1_000_000L, Math.max(200_000_000L, b.budgetNanos() / 4));
                long roundEnd = System.nanoTime() + roundNanos;
                timedLaunch(acc, k, timer, slot.get(0), n, blocks);
                do {
                    DeviceBuffer s = slot.get(cursor);
                    timedLaunch(acc, k, timer, s, n, blocks);
                    counts.fill32(0);
                    cmpK.launch(blocks, 256, null, s, slot.get(0), n, config.tolerance(), counts);
                    long[] c = counts.readLongs(2);
                    acc.comparisons++;
                    acc.mismatches += c[0];
                    acc.nans += c[1];
                    cursor = cursor + 1 >= slots ? 1 : cursor + 1;
                } while (System.nanoTime() < roundEnd && !b.over());
                rounds++;
                KindResult r = acc.result();
                b.report(String.format("round %d %s: %.1f TFLOP/s, %d mismatches, %d NaNs",
                        rounds, acc.kind, r.tflops(), acc.mismatches, acc.nans));
            }
            ctx.synchronize();
        } catch (RuntimeException e) {
            error = WorkloadError.of(e);
        }
        long mismatches = fma.mismatches + tensor.mismatches;
        long nans = fma.nans + tensor.nans;
        Outcome outcome;
        if (mismatches > 0 || nans > 0) {
            outcome = Outcome.FAILED;
        } else if (error != null) {
            outcome = Outcome.ERROR;
        } else if (b.cancelled()) {
            outcome = Outcome.CANCELLED;
        } else if (fma.comparisons + tensor.comparisons == 0) {
            outcome = Outcome.ERROR;
            error = new WorkloadError("kiln", 0, "NO_WORK", false, false,
                    "the budget ended before any result was compared; nothing was verified");
        } else {
            outcome = Outcome.PASSED;
        }
        return new Result(device.name(), device.pciBusId(), outcome, slots, slotBytes, (long) slots * slotBytes,
                rounds, List.of(fma.result(), tensor.result()), mismatches, nans, b.elapsed(), error);
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
        double seconds = timer.elapsedMillis() / 1000.0;
        double flops = flopsPerLaunch(acc.kind, n, acc.iterations);
        acc.launches++;
        acc.flops += flops;
        acc.seconds += seconds;
        if (seconds > 0) {
            acc.best = Math.max(acc.best, flops / seconds / 1e12);
        }
    }
}
