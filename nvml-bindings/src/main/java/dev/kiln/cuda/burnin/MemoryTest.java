package dev.kiln.cuda.burnin;

import dev.kiln.cuda.CudaContext;
import dev.kiln.cuda.CudaDevice;
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
 * {@code burnin.memory}: allocates at least {@link Config#memoryFraction()} of free device memory in chunks and
 * runs, pass after pass until the budget ends, three patterns over every chunk: walking ones, moving inversions
 * (write P; read-verify P and write ~P; verify ~P) and a seeded counter-based random pattern. Every mismatch is
 * counted; the first {@link Config#maxRecorded()} are kept with device address, expected and actual word.
 * Failing to allocate the required share is {@link Outcome#ERROR}, never a smaller test that passes.
 */
public final class MemoryTest implements Workload {
    public static final String ID = "burnin.memory";
    /** Mismatch records one verify launch can return (3 x 8 bytes each). */
    static final int RECORDS_PER_LAUNCH = 256;

    public record Config(double memoryFraction, long chunkBytes, int maxRecorded, int seed) {
        public static Config defaults() {
            return new Config(0.92, 1L << 30, 1000, 0x4b494c4e);
        }
    }

    /** One wrong word: its device (virtual) address, what was written, what was read back, by which pattern. */
    public record Mismatch(long address, int expected, int actual, String pattern) {
        @Override
        public String toString() {
            return String.format("0x%016x expected 0x%08x actual 0x%08x (%s)", address, expected, actual, pattern);
        }
    }

    /**
     * @param bytesTested   bytes allocated and covered by each full pass
     * @param freeBefore    free device memory before allocating
     * @param passes        complete passes of all three patterns over every chunk
     * @param bytesVerified total bytes read back and checked
     * @param mismatches    every mismatch counted
     * @param recorded      the first mismatches with address, expected, actual
     * @param verifyGBps    read bandwidth of the verify kernels (a sanity figure, not a benchmark)
     */
    public record Result(String device, String pciBusId, Outcome outcome, long bytesTested, long freeBefore,
                         int chunks, int passes, long bytesVerified, long mismatches, List<Mismatch> recorded,
                         double verifyGBps, Duration elapsed,
                         WorkloadError error) implements WorkloadResult {
    }

    private static final int CONSTANT = 0;
    private static final int WALKING_ONES = 1;
    private static final int RANDOM = 2;
    private static final int[] INVERSION_PATTERNS = {0x00000000, 0x55555555, 0xFFFFFFFF, 0x33333333};

    private final Config config;

    public MemoryTest(Config config) {
        this.config = config;
    }

    public MemoryTest() {
        this(Config.defaults());
    }

    private final class State {
        long mismatches;
        long verified;
        double verifySeconds;
        final List<Mismatch> recorded = new ArrayList<>();
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public Result run(CudaDevice device, Duration budget, BooleanSupplier cancelled, Consumer<Progress> progress) {
        Budget b = new Budget(ID, budget, cancelled, progress);
        State st = new State();
        long tested = 0;
        long free = 0;
        int chunkCount = 0;
        int passes = 0;
        WorkloadError error = null;
        try (Scope scope = new Scope()) {
            CudaContext ctx = scope.add(device.retainPrimaryContext());
            var module = scope.add(ctx.loadModule("memtest"));
            Kernel write = module.function("pattern_write");
            Kernel verify = module.function("pattern_verify");
            CudaTimer timer = scope.add(ctx.createTimer());
            DeviceBuffer count = scope.add(ctx.allocate(8));
            DeviceBuffer recs = scope.add(ctx.allocate(RECORDS_PER_LAUNCH * 24L));
            MemInfo mem = ctx.memInfo();
            free = mem.free();
            long target = (long) Math.ceil(free * config.memoryFraction());
            List<DeviceBuffer> chunks = new ArrayList<>();
            while (tested < target) {
                long size = Math.min(config.chunkBytes(), target - tested + 3) & ~3L;
                if (size < 4) {
                    break;
                }
                chunks.add(scope.add(ctx.allocate(size)));
                tested += size;
            }
            chunkCount = chunks.size();
            b.report(String.format("allocated %d chunks, %.1f GiB of %.1f GiB free", chunkCount,
                    tested / (double) (1L << 30), free / (double) (1L << 30)));
            int blocks = Math.max(1, device.smCount()) * 8;
            outer:
            while (!b.over()) {
                int inv = INVERSION_PATTERNS[passes % INVERSION_PATTERNS.length];
                int seed = config.seed() + passes;
                for (DeviceBuffer c : chunks) {
                    long n = c.bytes() / 4;
                    // walking ones
                    write.launch(blocks, 256, null, c, n, WALKING_ONES, passes, 0);
                    check(st, verify, timer, count, recs, c, n, WALKING_ONES, passes, 0, false, "walking-ones", blocks);
                    // moving inversions
                    write.launch(blocks, 256, null, c, n, CONSTANT, inv, 0);
                    check(st, verify, timer, count, recs, c, n, CONSTANT, inv, 0, true,
                            String.format("moving-inversions 0x%08x", inv), blocks);
                    check(st, verify, timer, count, recs, c, n, CONSTANT, ~inv, 0, false,
                            String.format("moving-inversions 0x%08x", ~inv), blocks);
                    // seeded random
                    write.launch(blocks, 256, null, c, n, RANDOM, 0, seed);
                    check(st, verify, timer, count, recs, c, n, RANDOM, 0, seed, false,
                            String.format("random seed 0x%08x", seed), blocks);
                    if (b.over()) {
                        break outer;
                    }
                }
                passes++;
                b.report(String.format("pass %d: %d mismatches", passes, st.mismatches));
            }
            ctx.synchronize();
        } catch (RuntimeException e) {
            error = WorkloadError.of(e);
        }
        Outcome outcome;
        if (st.mismatches > 0) {
            outcome = Outcome.FAILED;
        } else if (error != null) {
            outcome = Outcome.ERROR;
        } else if (b.cancelled()) {
            outcome = Outcome.CANCELLED;
        } else if (st.verified == 0) {
            outcome = Outcome.ERROR;
            error = new WorkloadError("kiln", 0, "NO_WORK", false, false,
                    "the budget ended before any memory was verified");
        } else {
            outcome = Outcome.PASSED;
        }
        double gbps = st.verifySeconds > 0 ? st.verified / st.verifySeconds / 1e9 : 0;
        return new Result(device.name(), device.pciBusId(), outcome, tested, free, chunkCount, passes, st.verified,
                st.mismatches, List.copyOf(st.recorded), gbps, b.elapsed(), error);
    }

    private void check(State st, Kernel verify, CudaTimer timer, DeviceBuffer count, DeviceBuffer recs,
                       DeviceBuffer chunk, long n, int kind, int param, int seed, boolean invert, String pattern,
                       int blocks) {
        count.fill32(0);
        timer.start(null);
        verify.launch(blocks, 256, null, chunk, n, kind, param, seed, invert ? 1 : 0, count, recs, RECORDS_PER_LAUNCH);
        timer.stop(null);
        st.verifySeconds += timer.elapsedMillis() / 1000.0;
        st.verified += n * 4;
        long found = count.readLongs(1)[0];
        if (found <= 0) {
            return;
        }
        st.mismatches += found;
        int room = config.maxRecorded() - st.recorded.size();
        int take = (int) Math.min(Math.min(found, RECORDS_PER_LAUNCH), room);
        if (take > 0) {
            long[] r = recs.readLongs(take * 3);
            for (int i = 0; i < take; i++) {
                st.recorded.add(new Mismatch(r[3 * i], (int) r[3 * i + 1], (int) r[3 * i + 2], pattern));
            }
        }
    }
}
