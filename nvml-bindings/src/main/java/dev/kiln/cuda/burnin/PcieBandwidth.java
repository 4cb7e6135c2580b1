package dev.kiln.cuda.burnin;

import dev.kiln.cuda.CudaContext;
import dev.kiln.cuda.CudaDevice;
import dev.kiln.cuda.CudaStream;
import dev.kiln.cuda.CudaTimer;
import dev.kiln.cuda.DeviceBuffer;
import dev.kiln.cuda.PinnedBuffer;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * {@code burnin.pcie}: pinned host-to-device and device-to-host copy bandwidth (GB/s, 1e9 bytes per second), best of
 * N timed copies per direction, timed with events on one stream.
 */
public final class PcieBandwidth implements Workload {
    public static final String ID = "burnin.pcie";

    public record Config(long bytes, int repeats) {
        public static Config defaults() {
            return new Config(256L << 20, 10);
        }
    }

    public record Result(String device, String pciBusId, Outcome outcome, long bytes, int h2dRuns, double h2dGBps,
                         int d2hRuns, double d2hGBps, Duration elapsed,
                         WorkloadError error) implements WorkloadResult {
    }

    private final Config config;

    public PcieBandwidth(Config config) {
        this.config = config;
    }

    public PcieBandwidth() {
        this(Config.defaults());
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public Result run(CudaDevice device, Duration budget, BooleanSupplier cancelled, Consumer<Progress> progress) {
        Budget b = new Budget(ID, budget, cancelled, progress);
        int h2dRuns = 0;
        int d2hRuns = 0;
        double h2d = 0;
        double d2h = 0;
        long bytes = config.bytes();
        WorkloadError error = null;
        try (Scope scope = new Scope()) {
            CudaContext ctx = scope.add(device.retainPrimaryContext());
            CudaStream stream = scope.add(ctx.createStream());
            CudaTimer timer = scope.add(ctx.createTimer());
            PinnedBuffer host = scope.add(ctx.allocatePinned(bytes));
            DeviceBuffer dev = scope.add(ctx.allocate(bytes));
            host.copyToDeviceAsync(dev, bytes, stream); // warm-up
            stream.synchronize();
            for (int i = 0; i < config.repeats() && !b.over(); i++) {
                timer.start(stream);
                host.copyToDeviceAsync(dev, bytes, stream);
                timer.stop(stream);
                double s = timer.elapsedMillis() / 1000.0;
                h2dRuns++;
                if (s > 0) {
                    h2d = Math.max(h2d, bytes / s / 1e9);
                }
            }
            for (int i = 0; i < config.repeats() && !b.over(); i++) {
                timer.start(stream);
                host.copyFromDeviceAsync(dev, bytes, stream);
                timer.stop(stream);
                double s = timer.elapsedMillis() / 1000.0;
                d2hRuns++;
                if (s > 0) {
                    d2h = Math.max(d2h, bytes / s / 1e9);
                }
            }
            stream.synchronize();
            b.report(String.format("H2D %.1f GB/s, D2H %.1f GB/s", h2d, d2h));
        } catch (RuntimeException e) {
            error = WorkloadError.of(e);
        }
        Outcome outcome = error != null ? Outcome.ERROR
                : b.cancelled() ? Outcome.CANCELLED
                : h2dRuns == 0 || d2hRuns == 0 ? Outcome.ERROR : Outcome.PASSED;
        if (outcome == Outcome.ERROR && error == null) {
            error = new WorkloadError("kiln", 0, "NO_WORK", false, false, "the budget ended before a timed copy");
        }
        return new Result(device.name(), device.pciBusId(), outcome, bytes, h2dRuns, h2d, d2hRuns, d2h, b.elapsed(),
                error);
    }
}
