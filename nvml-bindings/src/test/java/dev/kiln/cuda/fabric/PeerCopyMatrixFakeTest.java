package dev.kiln.cuda.fabric;

import com.sun.jna.Native;
import dev.kiln.cuda.CudaContext;
import dev.kiln.cuda.CudaDevice;
import dev.kiln.cuda.CudaSession;
import dev.kiln.cuda.FakeCuda;
import dev.kiln.cuda.burnin.Outcome;
import dev.kiln.cuda.burnin.Progress;
import dev.kiln.cuda.raw.CudaLoader;
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
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The peer-copy matrix over the C fake of libcuda with several devices: the fake's events always measure 1.0 ms, so
 * every figure is exactly the bytes moved per millisecond: proof that GB/s comes from the event timings.
 */
class PeerCopyMatrixFakeTest {
    private static final long MIB = 1L << 20;
    /** 1 MiB per 1.0 ms event span, in GB/s (1e9 B/s). */
    private static final double ONE_MIB_PER_MS = MIB / 1e-3 / 1e9;
    private static final PeerCopyMatrix.Config SMALL = new PeerCopyMatrix.Config(MIB, 3, 20);
    private static final Duration LONG = Duration.ofSeconds(30);

    @TempDir
    static Path buildDir;
    private static Path compiler;
    private static FakeCuda.Built fake;

    private CudaSession session;
    private int baseline;
    private final List<Progress> progress = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void build() throws Exception {
        Optional<Path> cc = CFakes.compiler();
        assumeTrue(cc.isPresent(), "no gcc or cc on PATH: cannot build the C fake of libcuda, skipping");
        compiler = cc.get();
        fake = FakeCuda.build(compiler, buildDir);
    }

    @BeforeEach
    void reset() {
        fake.control().fakeCudaReset();
        baseline = fake.control().fakeCudaLiveResources();
    }

    @AfterEach
    void close() {
        if (session != null) {
            session.close();
        }
        fake.control().fakeCudaReset();
    }

    private List<CudaDevice> devices(int n) {
        fake.control().fakeCudaSetDeviceCount(n);
        session = CudaSession.open(fake.binding());
        return session.devices();
    }

    /** Two "sockets": 0-1 and 2-3 see each other, no peer access across. */
    private void twoSockets() {
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                fake.control().fakeCudaSetPeerAccess(i, j, i / 2 == j / 2 ? 1 : 0);
            }
        }
    }

    private void assertNoLeaks() {
        assertThat(fake.control().fakeCudaLiveResources()).as("driver resources left behind").isEqualTo(baseline);
        assertThat(fake.control().fakeCudaPeerMappings()).as("peer mappings left enabled").isZero();
    }

    @Test
    void fourGpusGiveTheFullMatrixWithPeerPairsMeasuredAndTheOthersMarked() {
        List<CudaDevice> gpus = devices(4);
        twoSockets();
        PeerCopyMatrix.Result r = new PeerCopyMatrix(SMALL).run(gpus, LONG, () -> false, progress::add);

        assertThat(r.outcome()).as("%s", r.error()).isEqualTo(Outcome.PASSED);
        assertThat(r.error()).isNull();
        assertThat(r.pairs()).extracting(p -> p.a() + "-" + p.b())
                .containsExactly("0-1", "0-2", "0-3", "1-2", "1-3", "2-3");
        for (PeerCopyMatrix.Pair p : r.pairs()) {
            if (p.a() / 2 == p.b() / 2) {
                assertThat(p.peerAccess()).isTrue();
                assertThat(p.abGBps()).isEqualTo(ONE_MIB_PER_MS);
                assertThat(p.baGBps()).isEqualTo(ONE_MIB_PER_MS);
                assertThat(p.bidirGBps()).as("both copies' bytes over one span").isEqualTo(2 * ONE_MIB_PER_MS);
                assertThat(p.latencyUs()).isEqualTo(1000.0);
            } else {
                assertThat(p).isEqualTo(new PeerCopyMatrix.Pair(p.a(), p.b(), false, null, null, null, null));
            }
        }
        assertThat(r.host()).extracting(PeerCopyMatrix.Host::device).containsExactly(0, 1, 2, 3);
        assertThat(r.host()).allSatisfy(h -> {
            assertThat(h.h2dGBps()).isEqualTo(ONE_MIB_PER_MS);
            assertThat(h.d2hGBps()).isEqualTo(ONE_MIB_PER_MS);
        });

        // Each direction of a peer pair: 1 warm-up + 3 timed + 3 bidirectional + 10 of the 20 latency copies.
        var c = fake.control();
        for (int[] d : new int[][] {{0, 1}, {1, 0}, {2, 3}, {3, 2}}) {
            assertThat(c.fakeCudaPeerCopies(d[0], d[1])).as("copies %d->%d", d[0], d[1]).isEqualTo(17);
            assertThat(c.fakeCudaPeerBytes(d[0], d[1])).isEqualTo(7 * MIB + 10 * PeerCopyMatrix.LATENCY_BYTES);
        }
        for (int[] d : new int[][] {{0, 2}, {0, 3}, {1, 2}, {1, 3}, {2, 0}, {3, 1}}) {
            assertThat(c.fakeCudaPeerCopies(d[0], d[1])).as("copies %d->%d", d[0], d[1]).isZero();
        }
        assertThat(c.fakeCudaPeerCopiesUnmapped()).as("copies without peer access").isZero();
        assertThat(c.fakeCudaStreamWaits()).as("two waits per bidirectional run").isEqualTo(2 * 3 * 2);
        assertThat(progress).isNotEmpty().allSatisfy(p -> {
            assertThat(p.test()).isEqualTo(PeerCopyMatrix.ID);
            assertThat(p.fraction()).isBetween(0.0, 1.0);
        });
        assertNoLeaks();
    }

    @Test
    void peerAccessEnabledBeforeTheRunStaysEnabledAndTheRestIsUndone() {
        List<CudaDevice> gpus = devices(2);
        try (CudaContext c0 = gpus.get(0).retainPrimaryContext();
             CudaContext c1 = gpus.get(1).retainPrimaryContext()) {
            assertThat(c0.enablePeerAccess(c1)).isTrue();
            PeerCopyMatrix.Result r = new PeerCopyMatrix(SMALL).run(gpus, LONG, () -> false, null);
            assertThat(r.outcome()).isEqualTo(Outcome.PASSED);
            assertThat(r.pairs()).singleElement().satisfies(p -> assertThat(p.peerAccess()).isTrue());
            assertThat(fake.control().fakeCudaPeerEnabled(0, 1)).as("enabled by the caller: left alone").isOne();
            assertThat(fake.control().fakeCudaPeerEnabled(1, 0)).as("enabled by the run: undone").isZero();
            c0.disablePeerAccess(c1);
        }
        assertNoLeaks();
    }

    @Test
    void aFailedCopyIsAnErrorNamingTheCallAndThePair() {
        List<CudaDevice> gpus = devices(3);
        fake.control().fakeCudaFailPeerCopy(2, 1, 220);
        PeerCopyMatrix.Result r = new PeerCopyMatrix(SMALL).run(gpus, LONG, () -> false, null);

        assertThat(r.outcome()).isEqualTo(Outcome.ERROR);
        assertThat(r.error().function()).isEqualTo("cuMemcpyPeerAsync(CUDA 2 -> CUDA 1)");
        assertThat(r.error().code()).isEqualTo(220);
        assertThat(r.error().name()).isEqualTo("CUDA_ERROR_NVLINK_UNCORRECTABLE");
        assertThat(r.error().hardwareSuspect()).isTrue();
        assertThat(r.error().message()).startsWith("pair 1-2 (00000000:2A:00.0 <-> 00000000:3A:00.0), copies 2->1: ")
                .contains("cuMemcpyPeerAsync(CUDA 2 -> CUDA 1) failed");
        assertThat(r.pairs()).extracting(p -> p.a() + "-" + p.b()).containsExactly("0-1", "0-2");
        assertThat(r.host()).hasSize(3);
        assertNoLeaks();
    }

    @Test
    void anAllocationFailureNamesTheGpu() {
        List<CudaDevice> gpus = devices(2);
        PeerCopyMatrix.Result ok = new PeerCopyMatrix(SMALL).run(gpus, LONG, () -> false, null);
        assertThat(ok.outcome()).isEqualTo(Outcome.PASSED);
        fake.control().fakeCudaFailAlloc(2);
        PeerCopyMatrix.Result r = new PeerCopyMatrix(SMALL).run(gpus, LONG, () -> false, null);
        assertThat(r.outcome()).isEqualTo(Outcome.ERROR);
        assertThat(r.error().name()).isEqualTo("CUDA_ERROR_OUT_OF_MEMORY");
        assertThat(r.error().message()).startsWith("GPU 0 (CUDA 0, 00000000:18:00.0) host copies: ");
        assertThat(r.pairs()).isEmpty();
        assertNoLeaks();
    }

    @Test
    void cancellationStopsBetweenCopies() {
        List<CudaDevice> gpus = devices(8);
        var c = fake.control();
        long t0 = System.nanoTime();
        // Cancel in the middle of pair 0-2's first direction.
        PeerCopyMatrix.Result r = new PeerCopyMatrix(new PeerCopyMatrix.Config(MIB, 50, 200))
                .run(gpus, Duration.ofMinutes(10), () -> c.fakeCudaPeerCopies(0, 2) >= 5, null);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
        assertThat(r.outcome()).isEqualTo(Outcome.CANCELLED);
        assertThat(r.error()).isNull();
        assertThat(r.host()).hasSize(8);
        assertThat(r.pairs()).as("only complete pairs").extracting(p -> p.a() + "-" + p.b()).containsExactly("0-1");
        assertThat(c.fakeCudaPeerCopies(0, 2)).isEqualTo(5);
        assertThat(c.fakeCudaPeerCopies(2, 0) + c.fakeCudaPeerCopies(0, 3)).isZero();
        assertNoLeaks();
    }

    @Test
    void oneBudgetCoversEveryPairByShrinkingRepeats() {
        List<CudaDevice> gpus = devices(8);
        // Every check of the cancel flag costs 1 ms, so the 28 pairs cannot all have 50 repeats in the budget.
        Duration budget = Duration.ofSeconds(3);
        long t0 = System.nanoTime();
        PeerCopyMatrix.Result r = new PeerCopyMatrix(new PeerCopyMatrix.Config(MIB, 50, 200))
                .run(gpus, budget, () -> {
                    sleepMillis(1);
                    return false;
                }, null);
        assertThat(r.outcome()).as("%s", r.error()).isEqualTo(Outcome.PASSED);
        assertThat(r.pairs()).hasSize(28).allSatisfy(p -> {
            assertThat(p.peerAccess()).isTrue();
            assertThat(p.abGBps()).isNotNull();
            assertThat(p.baGBps()).isNotNull();
            assertThat(p.bidirGBps()).isNotNull();
            assertThat(p.latencyUs()).isNotNull();
        });
        assertThat(r.host()).hasSize(8);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(budget.multipliedBy(3));
        assertThat(fake.control().fakeCudaPeerCopies(6, 7)).as("repeats shrank")
                .isLessThan(1 + 50 + 50 + 100).isPositive();
        assertNoLeaks();
    }

    @Test
    void aSpentBudgetIsAnIncompleteMatrixNotAPass() {
        List<CudaDevice> gpus = devices(2);
        PeerCopyMatrix.Result r = new PeerCopyMatrix(SMALL).run(gpus, Duration.ZERO, () -> false, null);
        assertThat(r.outcome()).isEqualTo(Outcome.ERROR);
        assertThat(r.error().name()).isEqualTo("INCOMPLETE");
        assertThat(r.error().message()).contains("GPU 0");
        assertNoLeaks();
    }

    @Test
    void oneGpuHasOnlyHostFiguresAndNoGpusIsNoWork() {
        PeerCopyMatrix.Result one = new PeerCopyMatrix(SMALL).run(devices(1), LONG, () -> false, null);
        assertThat(one.outcome()).isEqualTo(Outcome.PASSED);
        assertThat(one.pairs()).isEmpty();
        assertThat(one.host()).singleElement().satisfies(h -> assertThat(h.device()).isZero());
        PeerCopyMatrix.Result none = new PeerCopyMatrix(SMALL).run(List.of(), LONG, () -> false, null);
        assertThat(none.outcome()).isEqualTo(Outcome.ERROR);
        assertThat(none.error().name()).isEqualTo("NO_WORK");
        assertNoLeaks();
    }

    @Test
    void aDriverWithoutPeerCallsIsAnErrorForPairsOnly() throws Exception {
        Path lib = FakeCuda.compile(compiler, buildDir, "libcuda-no-peer.so", "-DFAKE_WITHOUT_PEER");
        CudaLoader.Result loaded = CudaLoader.load(lib.toString());
        assertThat(loaded).isInstanceOf(CudaLoader.Loaded.class);
        FakeCuda.Control control = Native.load(lib.toString(), FakeCuda.Control.class);
        control.fakeCudaReset();
        control.fakeCudaSetDeviceCount(2);
        try (CudaSession s = CudaSession.open(((CudaLoader.Loaded) loaded).binding())) {
            PeerCopyMatrix.Result r = new PeerCopyMatrix(SMALL).run(s.devices(), LONG, () -> false, null);
            assertThat(r.outcome()).isEqualTo(Outcome.ERROR);
            assertThat(r.error().name()).isEqualTo("UNSUPPORTED_DRIVER");
            assertThat(r.error().message()).contains("cuMemcpyPeerAsync");
            PeerCopyMatrix.Result one = new PeerCopyMatrix(SMALL).run(List.of(s.device(0)), LONG, () -> false, null);
            assertThat(one.outcome()).isEqualTo(Outcome.PASSED);
            assertThat(one.host()).hasSize(1);
        } finally {
            control.fakeCudaReset();
        }
    }

    @Test
    void configIsValidatedAndDefaultsAreTheIssuesSizes() {
        assertThat(PeerCopyMatrix.Config.defaults()).isEqualTo(new PeerCopyMatrix.Config(256 * MIB, 5, 200));
        assertThatThrownBy(() -> new PeerCopyMatrix.Config(2, 1, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PeerCopyMatrix.Config(MIB, 0, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(PeerCopyMatrix.median(List.of(3.0, 1.0, 2.0))).isEqualTo(2.0);
        assertThat(PeerCopyMatrix.median(List.of(4.0, 1.0, 2.0, 3.0))).isEqualTo(2.5);
        assertThat(PeerCopyMatrix.median(List.of())).isNull();
    }

    private static void sleepMillis(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
