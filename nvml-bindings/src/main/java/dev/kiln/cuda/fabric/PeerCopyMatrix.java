package dev.kiln.cuda.fabric;

import dev.kiln.cuda.CudaContext;
import dev.kiln.cuda.CudaDevice;
import dev.kiln.cuda.CudaEvent;
import dev.kiln.cuda.CudaStream;
import dev.kiln.cuda.CudaTimer;
import dev.kiln.cuda.DeviceBuffer;
import dev.kiln.cuda.burnin.Budget;
import dev.kiln.cuda.burnin.Outcome;
import dev.kiln.cuda.burnin.PcieBandwidth;
import dev.kiln.cuda.burnin.Progress;
import dev.kiln.cuda.burnin.Scope;
import dev.kiln.cuda.burnin.WorkloadError;
import dev.kiln.cuda.raw.CudaSymbols;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * {@code fabric.p2p}: copy bandwidth and latency between every pair of GPUs through the CUDA driver, plus pinned
 * host-to-device and device-to-host bandwidth per GPU.
 *
 * <p>Method. Host copies per GPU are {@link PcieBandwidth}'s measurement. For each unordered pair (a, b) that can
 * access each other's memory both ways ({@code cuDeviceCanAccessPeer}), peer access is enabled both ways (and
 * disabled again afterwards where this run enabled it), then, with {@code cuMemcpyPeerAsync} of
 * {@link Config#copyBytes()} from one GPU's buffer into a separate buffer on the other:
 * <ul>
 *   <li>a->b and b->a: one warm-up copy, then up to {@link Config#repeats()} copies each timed with events around it
 *       on a stream of the source GPU; the figure is the <b>best</b> run, as for the host copies, in GB/s (1e9 bytes
 *       per second);</li>
 *   <li>bidirectional: both directions at once on the two GPUs' streams, started together (b's stream waits for an
 *       event recorded right after a's start event) and stopped together (a's stream waits for b's copy before the
 *       stop event): both copies' bytes over that common GPU-timed span, best run;</li>
 *   <li>latency: the <b>median</b> over {@link Config#latencyIterations()} 4-byte copies, alternating a->b and
 *       b->a, each timed with events, in microseconds.</li>
 * </ul>
 * Pairs without peer access both ways are reported with {@code peerAccess=false} and no figures: that is a fact
 * of the machine (PCIe GPUs under different CPU sockets), not an error; the spec judges it.
 *
 * <p>Budget. One budget covers the whole matrix: each measured unit (a GPU's host copies, a peer pair) gets an
 * equal share of what is left, so repeats shrink when there are many pairs; every measurement still makes at least
 * one timed copy. When the budget ends before every unit was measured the outcome is ERROR (INCOMPLETE). Cancellation
 * is checked before every copy. Any driver error ends the run with ERROR naming the call and the GPU or pair; the
 * results list what was complete by then. Every buffer, stream, event and context reference is released.
 *
 * <p>Runs on the calling thread, switching its current context between the GPUs.
 */
public final class PeerCopyMatrix {
    public static final String ID = "fabric.p2p";
    /** Bytes of one latency copy. */
    public static final long LATENCY_BYTES = 4;

    /**
     * @param copyBytes         bytes of one bandwidth copy (two buffers of this size are allocated on every GPU that
     *                          has a peer; the host measurement allocates its own)
     * @param repeats           most timed copies per direction, per GPU pair and for the host copies
     * @param latencyIterations 4-byte copies per pair for the latency median; 0 skips latency
     */
    public record Config(long copyBytes, int repeats, int latencyIterations) {
        public Config {
            if (copyBytes < LATENCY_BYTES) {
                throw new IllegalArgumentException("copyBytes must be at least " + LATENCY_BYTES + ": " + copyBytes);
            }
            if (repeats < 1) {
                throw new IllegalArgumentException("repeats must be at least 1: " + repeats);
            }
            if (latencyIterations < 0) {
                throw new IllegalArgumentException("latencyIterations must not be negative: " + latencyIterations);
            }
        }

        /** 256 MiB copies, 5 timed repeats after a warm-up, 200 latency copies of 4 bytes. */
        public static Config defaults() {
            return new Config(256L << 20, 5, 200);
        }
    }

    /**
     * One unordered GPU pair.
     *
     * @param a          index into the device list, {@code a < b}
     * @param b          index into the device list
     * @param peerAccess both GPUs can access each other's memory; false: no figures
     * @param abGBps     a->b, best run, GB/s
     * @param baGBps     b->a, best run, GB/s
     * @param bidirGBps  both directions at once, both copies' bytes over their common span, best run, GB/s
     * @param latencyUs  median of the 4-byte copies (both directions), microseconds; null when not configured
     */
    public record Pair(int a, int b, boolean peerAccess, Double abGBps, Double baGBps, Double bidirGBps,
                       Double latencyUs) {
    }

    /** Pinned host copies of one GPU ({@code device}: index into the device list), best run, GB/s. */
    public record Host(int device, double h2dGBps, double d2hGBps) {
    }

    /**
     * The matrix. {@code pairs} lists every unordered pair (a < b, in order) on PASSED, else those complete when the
     * run ended; {@code host} likewise lists one entry per GPU.
     */
    public record Result(Outcome outcome, List<Pair> pairs, List<Host> host, Duration elapsed, WorkloadError error) {
        public Result {
            pairs = List.copyOf(pairs);
            host = List.copyOf(host);
        }
    }

    private final Config config;

    public PeerCopyMatrix(Config config) {
        this.config = config;
    }

    public PeerCopyMatrix() {
        this(Config.defaults());
    }

    public String id() {
        return ID;
    }

    public Config config() {
        return config;
    }

    /**
     * Measures the matrix over {@code devices} (all from one session). Never throws for GPU trouble: driver errors come
     * back as ERROR with a {@link WorkloadError}; returns within about one copy's time after {@code cancelled} turns
     * true.
     */
    public Result run(List<CudaDevice> devices, Duration budget, BooleanSupplier cancelled,
                      Consumer<Progress> progress) {
        return new Run(List.copyOf(devices), new Budget(ID, budget, cancelled, progress)).run();
    }

    /** One GPU's side of the pair copies: a source and a destination buffer, a stream, a timer, an event. */
    private record Side(int index, CudaContext ctx, DeviceBuffer out, DeviceBuffer in, CudaStream stream,
                        CudaTimer timer, CudaEvent mark) {
    }

    private final class Run {
        private final List<CudaDevice> devices;
        private final Budget b;
        private final BooleanSupplier cancelled;
        private final List<Pair> pairs = new ArrayList<>();
        private final List<Host> hosts = new ArrayList<>();
        /** What is being done, for the error message. */
        private String where = "start";
        private WorkloadError error;
        /** The first unit the budget left out. */
        private String leftOut;

        Run(List<CudaDevice> devices, Budget b) {
            this.devices = devices;
            this.b = b;
            this.cancelled = () -> b.over() && b.cancelled();
        }

        Result run() {
            int n = devices.size();
            if (n == 0) {
                return finish(new WorkloadError("kiln", 0, "NO_WORK", false, false, "no GPUs to measure"));
            }
            if (n > 1 && !devices.getFirst().driverSupportsPeerCopies()) {
                return finish(new WorkloadError("kiln", 0, "UNSUPPORTED_DRIVER", false, false,
                        "the CUDA driver does not export all of " + CudaSymbols.PEER.stream().sorted().toList()
                                + ": GPU pairs cannot be measured"));
            }
            try (Scope scope = new Scope()) {
                measure(scope);
                where = "releasing buffers, streams, events, peer access and contexts";
            } catch (RuntimeException e) {
                if (error == null) {
                    error = at(where, WorkloadError.of(e));
                }
            }
            return finish(null);
        }

        /** Everything, with what it allocates in {@code scope}; returns early when the run must end. */
        private void measure(Scope scope) {
            int n = devices.size();
            List<CudaContext> contexts = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                where = gpu(i) + ", retaining its primary context";
                contexts.add(scope.add(devices.get(i).retainPrimaryContext()));
            }
            boolean[][] peer = new boolean[n][n];
            int peerPairs = 0;
            for (int i = 0; i < n; i++) {
                for (int j = i + 1; j < n; j++) {
                    where = pair(i, j) + ", asking whether peer access is possible";
                    peer[i][j] = devices.get(i).canAccessPeer(devices.get(j))
                            && devices.get(j).canAccessPeer(devices.get(i));
                    peerPairs += peer[i][j] ? 1 : 0;
                }
            }
            if (!hostCopies(n + peerPairs)) {
                return;
            }
            int unitsLeft = peerPairs;
            Side[] sides = new Side[n];
            for (int i = 0; i < n; i++) {
                for (int j = i + 1; j < n; j++) {
                    if (!peer[i][j]) {
                        pairs.add(new Pair(i, j, false, null, null, null, null));
                        continue;
                    }
                    if (!mayStart(pair(i, j))) {
                        return;
                    }
                    long slice = slice(unitsLeft--);
                    sides[i] = sides[i] != null ? sides[i] : side(scope, i, contexts.get(i));
                    sides[j] = sides[j] != null ? sides[j] : side(scope, j, contexts.get(j));
                    Pair p = measure(sides[i], sides[j], slice);
                    if (p == null) {
                        return;
                    }
                    pairs.add(p);
                }
            }
        }

        /** Host copies of every GPU through {@link PcieBandwidth}; false when the run must end. */
        private boolean hostCopies(int unitsLeft) {
            for (int i = 0; i < devices.size(); i++) {
                if (!mayStart(gpu(i) + " host copies")) {
                    return false;
                }
                where = gpu(i) + " host copies";
                int index = i;
                PcieBandwidth.Result r = new PcieBandwidth(new PcieBandwidth.Config(config.copyBytes(),
                        config.repeats())).run(devices.get(i), Duration.ofNanos(slice(unitsLeft--)),
                        cancelled, p -> b.report("GPU " + index + " host: " + p.message()));
                switch (r.outcome()) {
                    case PASSED -> hosts.add(new Host(i, r.h2dGBps(), r.d2hGBps()));
                    case CANCELLED -> {
                        return false;
                    }
                    case ERROR, FAILED -> {
                        error = at(where, r.error() != null ? r.error()
                                : new WorkloadError("kiln", 0, r.outcome().name(), false, false, "no figures"));
                        return false;
                    }
                }
            }
            return true;
        }

        private Side side(Scope scope, int i, CudaContext ctx) {
            where = gpu(i) + ", allocating 2 x " + config.copyBytes() + " B, a stream and events";
            ctx.makeCurrent();
            DeviceBuffer out = scope.add(ctx.allocate(config.copyBytes()));
            DeviceBuffer in = scope.add(ctx.allocate(config.copyBytes()));
            CudaStream stream = scope.add(ctx.createStream());
            CudaTimer timer = scope.add(ctx.createTimer());
            CudaEvent mark = scope.add(ctx.createEvent());
            out.fill32(0x4B490000 | i); // "KI" + the source GPU's index
            in.fill32(0);
            // Scope closes in reverse order: this GPU's context becomes current before its resources are released.
            scope.add((AutoCloseable) ctx::makeCurrent);
            return new Side(i, ctx, out, in, stream, timer, mark);
        }

        /** The pair's figures; null when cancelled before they were complete. */
        private Pair measure(Side a, Side c, long sliceNanos) {
            String name = pair(a.index(), c.index());
            try (Scope access = new Scope()) {
                where = name + ", enabling peer access";
                if (a.ctx().enablePeerAccess(c.ctx())) {
                    access.add(() -> a.ctx().disablePeerAccess(c.ctx()));
                }
                if (c.ctx().enablePeerAccess(a.ctx())) {
                    access.add(() -> c.ctx().disablePeerAccess(a.ctx()));
                }
                long t0 = System.nanoTime();
                long quarter = sliceNanos / 4;
                where = name + ", copies " + a.index() + "->" + c.index();
                Double ab = oneWay(name, a, c, t0 + quarter);
                where = name + ", copies " + c.index() + "->" + a.index();
                Double ba = b.cancelled() ? null : oneWay(name, c, a, t0 + 2 * quarter);
                where = name + ", bidirectional copies";
                Double bidir = b.cancelled() ? null : bothWays(name, a, c, t0 + 3 * quarter);
                where = name + ", latency copies";
                Double latency = b.cancelled() ? null : latency(name, a, c, t0 + sliceNanos);
                where = name + ", disabling peer access";
                return b.cancelled() ? null : new Pair(a.index(), c.index(), true, ab, ba, bidir, latency);
            }
        }

        /** src -> dst: warm-up, then timed copies on src's stream; best GB/s, null when none was timed. */
        private Double oneWay(String name, Side src, Side dst, long deadline) {
            long bytes = config.copyBytes();
            if (b.over() && b.cancelled()) {
                return null;
            }
            src.ctx().makeCurrent();
            dst.in().copyFromPeerAsync(src.out(), bytes, src.stream());
            src.stream().synchronize();
            double best = 0;
            for (int runs = 0; runs < config.repeats() && another(runs, deadline); runs++) {
                src.timer().start(src.stream());
                dst.in().copyFromPeerAsync(src.out(), bytes, src.stream());
                src.timer().stop(src.stream());
                best = Math.max(best, gbps(bytes, src.timer().elapsedMillis()));
                b.report(String.format("%s: %d->%d %.1f GB/s", name, src.index(), dst.index(), best));
            }
            return best > 0 ? best : null;
        }

        /** Both directions at once over a common span timed on a's stream; best GB/s of both copies' bytes. */
        private Double bothWays(String name, Side a, Side c, long deadline) {
            long bytes = config.copyBytes();
            double best = 0;
            for (int runs = 0; runs < config.repeats() && another(runs, deadline); runs++) {
                a.ctx().makeCurrent();
                a.timer().start(a.stream());
                a.mark().record(a.stream());
                c.ctx().makeCurrent();
                c.stream().waitFor(a.mark());
                a.ctx().makeCurrent();
                c.in().copyFromPeerAsync(a.out(), bytes, a.stream());
                c.ctx().makeCurrent();
                a.in().copyFromPeerAsync(c.out(), bytes, c.stream());
                c.mark().record(c.stream());
                a.ctx().makeCurrent();
                a.stream().waitFor(c.mark());
                a.timer().stop(a.stream());
                best = Math.max(best, gbps(2 * bytes, a.timer().elapsedMillis()));
                b.report(String.format("%s: bidirectional %.1f GB/s", name, best));
            }
            return best > 0 ? best : null;
        }

        /** Median of 4-byte copies, alternating a->c and c->a, each timed on its source's stream; microseconds. */
        private Double latency(String name, Side a, Side c, long deadline) {
            List<Double> us = new ArrayList<>();
            for (int k = 0; k < config.latencyIterations() && another(k, deadline); k++) {
                Side src = k % 2 == 0 ? a : c;
                Side dst = k % 2 == 0 ? c : a;
                src.ctx().makeCurrent();
                src.timer().start(src.stream());
                dst.in().copyFromPeerAsync(src.out(), LATENCY_BYTES, src.stream());
                src.timer().stop(src.stream());
                us.add(src.timer().elapsedMillis() * 1000.0);
                b.report(name + ": latency copy " + (k + 1) + " of " + config.latencyIterations());
            }
            return median(us);
        }

        /** Before a timed copy: the first always (unless cancelled), later ones while the deadline allows. */
        private boolean another(int done, long deadline) {
            if (b.over()) {
                return !b.cancelled() && done == 0;
            }
            return done == 0 || System.nanoTime() - deadline < 0;
        }

        /** Before a unit: false when cancelled or when the budget is spent (noting what it left out). */
        private boolean mayStart(String unit) {
            if (b.over()) {
                if (!b.cancelled() && leftOut == null) {
                    leftOut = unit;
                }
                return false;
            }
            return true;
        }

        /** An equal share of the budget left for each unit still to measure. */
        private long slice(int unitsLeft) {
            long left = Math.max(0, b.budgetNanos() - b.elapsed().toNanos());
            return left / Math.max(1, unitsLeft);
        }

        private Result finish(WorkloadError early) {
            WorkloadError e = error != null ? error : early;
            Outcome outcome;
            if (e != null) {
                outcome = Outcome.ERROR;
            } else if (b.cancelled()) {
                outcome = Outcome.CANCELLED;
            } else if (leftOut != null) {
                outcome = Outcome.ERROR;
                e = new WorkloadError("kiln", 0, "INCOMPLETE", false, false, "the budget ended before " + leftOut
                        + " was measured (" + pairs.size() + " pair(s) and " + hosts.size() + " GPU(s) done)");
            } else {
                outcome = Outcome.PASSED;
            }
            return new Result(outcome, pairs, hosts, b.elapsed(), e);
        }

        private String gpu(int i) {
            CudaDevice d = devices.get(i);
            return "GPU " + i + " (CUDA " + d.ordinal() + ", " + d.pciBusId() + ")";
        }

        private String pair(int i, int j) {
            return "pair " + i + "-" + j + " (" + devices.get(i).pciBusId() + " <-> " + devices.get(j).pciBusId() + ")";
        }
    }

    private static WorkloadError at(String where, WorkloadError e) {
        return new WorkloadError(e.function(), e.code(), e.name(), e.sticky(), e.hardwareSuspect(),
                where + ": " + e.message());
    }

    private static double gbps(long bytes, double millis) {
        return millis > 0 ? bytes / (millis / 1000.0) / 1e9 : 0;
    }

    static Double median(List<Double> values) {
        if (values.isEmpty()) {
            return null;
        }
        List<Double> s = values.stream().sorted().toList();
        int m = s.size() / 2;
        return s.size() % 2 == 1 ? s.get(m) : (s.get(m - 1) + s.get(m)) / 2;
    }
}
