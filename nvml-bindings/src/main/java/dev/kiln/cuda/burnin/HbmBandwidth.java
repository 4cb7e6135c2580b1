package dev.kiln.cuda.burnin;

import dev.kiln.cuda.CudaContext;
import dev.kiln.cuda.CudaDevice;
import dev.kiln.cuda.CudaTimer;
import dev.kiln.cuda.DeviceBuffer;
import dev.kiln.cuda.Kernel;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * {@code burnin.hbm-bandwidth}: device-memory bandwidth with a copy kernel (counts read + write bytes, as
 * nvbandwidth and PyTorch-copy comparisons do) and a triad kernel c = a + s*b (2 reads + 1 write); best of N timed
 * launches each. Thresholds are the spec's business; this reports GB/s (1e9 bytes per second).
 */
public final class HbmBandwidth implements Workload {
    public static final String ID = "burnin.hbm-bandwidth";

    /** @param arrayBytes bytes per array (three arrays are allocated), @param repeats maximum timed launches per kernel */
    public record Config(long arrayBytes, int repeats) {
        public static Config defaults() {
            return new Config(2L << 30, 20);
        }
    }

    public record Result(String device, String pciBusId, Outcome outcome, long arrayBytes, int copyRuns,
                         double copyGBps, int triadRuns, double triadGBps, Duration elapsed,
                         WorkloadError error) implements WorkloadResult {
    }

    private final Config config;

    public HbmBandwidth(Config config) {
        this.config = config;
    }

    public HbmBandwidth() {
        this(Config.defaults());
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public Result run(CudaDevice device, Duration budget, BooleanSupplier cancelled, Consumer<Progress> progress) {
        Budget b = new Budget(ID, budget, cancelled, progress);
        long bytes = 0;
        int copyRuns = 0;
        int triadRuns = 0;
        double copyBest = 0;
        double triadBest = 0;
        WorkloadError error = null;
        try (Scope scope = new Scope()) {
            CudaContext ctx = scope.add(device.retainPrimaryContext());
            var module = scope.add(ctx.loadModule("bandwidth"));
            Kernel copy = module.function("copy_f4");
            Kernel triad = module.function("triad_f4");
            CudaTimer timer = scope.add(ctx.createTimer());
            bytes = Math.min(config.arrayBytes(), ctx.memInfo().free() / 4) & ~15L;
            if (bytes < 16) {
                throw new IllegalStateException("not enough free device memory for three arrays");
            }
            DeviceBuffer a = scope.add(ctx.allocate(bytes));
            DeviceBuffer bb = scope.add(ctx.allocate(bytes));
            DeviceBuffer c = scope.add(ctx.allocate(bytes));
            a.fill32(Float.floatToRawIntBits(1.0f));
            bb.fill32(Float.floatToRawIntBits(2.0f));
            long n4 = bytes / 16;
            int blocks = Math.max(1, device.smCount()) * 8;
            copy.launch(blocks, 256, null, a, c, n4); // warm-up
            for (int i = 0; i < config.repeats() && !b.over(); i++) {
                timer.start(null);
                copy.launch(blocks, 256, null, a, c, n4);
                timer.stop(null);
                double s = timer.elapsedMillis() / 1000.0;
                copyRuns++;
                if (s > 0) {
                    copyBest = Math.max(copyBest, 2.0 * bytes / s / 1e9);
                }
            }
            for (int i = 0; i < config.repeats() && !b.over(); i++) {
                timer.start(null);
                triad.launch(blocks, 256, null, a, bb, c, 3.0f, n4);
                timer.stop(null);
                double s = timer.elapsedMillis() / 1000.0;
                triadRuns++;
                if (s > 0) {
                    triadBest = Math.max(triadBest, 3.0 * bytes / s / 1e9);
                }
            }
            ctx.synchronize();
            b.report(String.format("copy %.0f GB/s, triad %.0f GB/s", copyBest, triadBest));
        } catch (RuntimeException e) {
            error = WorkloadError.of(e);
        }
        Outcome outcome = error != null ? Outcome.ERROR
                : b.cancelled() ? Outcome.CANCELLED
                : copyRuns == 0 || triadRuns == 0 ? Outcome.ERROR : Outcome.PASSED;
        if (outcome == Outcome.ERROR && error == null) {
            error = new WorkloadError("kiln", 0, "NO_WORK", false, false, "the budget ended before a timed run");
        }
        return new Result(device.name(), device.pciBusId(), outcome, bytes, copyRuns, copyBest, triadRuns, triadBest,
                b.elapsed(), error);
    }
}
