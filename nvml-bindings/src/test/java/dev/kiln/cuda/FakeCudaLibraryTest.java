package dev.kiln.cuda;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import dev.kiln.cuda.raw.CudaLibrary;
import dev.kiln.cuda.raw.CudaLoader;
import dev.kiln.cuda.raw.CudaSymbols;
import dev.kiln.nvml.CFakes;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The real JNA path against {@code src/test/c/fake_cuda.c}: loader and symbol probe, device queries, error names,
 * and the {@code void **kernelParams} marshalling of {@link Kernel#launch}, byte for byte as the driver receives it.
 */
class FakeCudaLibraryTest {
    /** A PTX text the fake accepts (it only looks for ".target"); the fake knows kiln_probe's signature. */
    static final String PROBE_PTX = ".version 7.8\n.target sm_80\n.address_size 64\n";

    @TempDir
    static Path buildDir;

    private static Path compiler;
    private static FakeCuda.Built fake;

    @BeforeAll
    static void build() throws Exception {
        Optional<Path> cc = CFakes.compiler();
        assumeTrue(cc.isPresent(), "no gcc or cc on PATH: cannot build the C fake of libcuda, skipping");
        compiler = cc.get();
        fake = FakeCuda.build(compiler, buildDir);
    }

    /** Live fake resources before each test (a sticky-error test leaks by design: the driver refuses frees). */
    private int baseline;

    @BeforeEach
    void reset() {
        fake.control().fakeCudaReset();
        baseline = fake.control().fakeCudaLiveResources();
    }

    @Test
    void probeFindsEveryRequiredSymbolAndNotesTheMissingElapsedTimeV2() {
        Set<String> expected = new HashSet<>(CudaSymbols.REQUIRED);
        expected.addAll(CudaSymbols.PEER);
        assertThat(fake.binding().symbols()).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(fake.binding().has("cuEventElapsedTime_v2")).isFalse();
        assertThat(fake.binding().description()).endsWith("libcuda-fake.so");
    }

    @Test
    void everyBoundFunctionIsProbedAsRequiredOrOptional() {
        Set<String> bound = new HashSet<>();
        for (var m : CudaLibrary.class.getDeclaredMethods()) {
            bound.add(m.getName());
        }
        Set<String> probed = new HashSet<>(CudaSymbols.REQUIRED);
        probed.addAll(CudaSymbols.OPTIONAL);
        assertThat(bound).containsExactlyInAnyOrderElementsOf(probed);
        assertThat(CudaSymbols.OPTIONAL).containsAll(CudaSymbols.PEER).doesNotContainAnyElementsOf(CudaSymbols.REQUIRED);
    }

    @Test
    void aDriverWithoutThePeerCallsStillLoadsAndSaysSo() throws Exception {
        Path lib = FakeCuda.compile(compiler, buildDir, "libcuda-no-peer.so", "-DFAKE_WITHOUT_PEER");
        CudaLoader.Result r = CudaLoader.load(lib.toString());
        assertThat(r).isInstanceOf(CudaLoader.Loaded.class);
        var binding = ((CudaLoader.Loaded) r).binding();
        assertThat(binding.symbols()).containsAll(CudaSymbols.REQUIRED).doesNotContainAnyElementsOf(CudaSymbols.PEER);
        FakeCuda.Control control = Native.load(lib.toString(), FakeCuda.Control.class);
        control.fakeCudaReset();
        control.fakeCudaSetDeviceCount(2);
        try (CudaSession s = CudaSession.open(binding)) {
            CudaDevice d0 = s.device(0);
            assertThat(d0.driverSupportsPeerCopies()).isFalse();
            assertThat(d0.canAccessPeer(d0)).isFalse();
            assertThatThrownBy(() -> d0.canAccessPeer(s.device(1))).isInstanceOf(UnsupportedOperationException.class)
                    .hasMessageContaining("does not export cuDeviceCanAccessPeer");
        } finally {
            control.fakeCudaReset();
        }
    }

    @Test
    void peerCopiesMoveDataBetweenTheContextsOfTwoDevices() {
        fake.control().fakeCudaSetDeviceCount(2);
        fake.control().fakeCudaSetPeerAccess(1, 0, 0);
        try (CudaSession s = CudaSession.open(fake.binding())) {
            assertThat(s.deviceCount()).isEqualTo(2);
            CudaDevice d0 = s.device(0);
            CudaDevice d1 = s.device(1);
            assertThat(d1.name()).isEqualTo(d0.name());
            assertThat(d0.pciBusId()).isEqualTo("00000000:18:00.0");
            assertThat(d1.pciBusId()).isEqualTo("00000000:2A:00.0");
            assertThat(d0.driverSupportsPeerCopies()).isTrue();
            assertThat(d0.canAccessPeer(d1)).isTrue();
            assertThat(d1.canAccessPeer(d0)).isFalse();
            assertThat(d0.canAccessPeer(d0)).isFalse();
            try (CudaContext c0 = d0.retainPrimaryContext();
                 DeviceBuffer src = c0.allocate(64);
                 CudaStream s0 = c0.createStream();
                 CudaEvent e0 = c0.createEvent();
                 CudaContext c1 = d1.retainPrimaryContext();
                 DeviceBuffer dst = c1.allocate(64);
                 CudaStream s1 = c1.createStream()) {
                assertThat(src.context()).isSameAs(c0);
                assertThat(dst.context()).isSameAs(c1);
                c0.makeCurrent();
                src.fill32(0x5EED_0001);
                c1.makeCurrent();
                dst.fill32(0);
                assertThat(c0.enablePeerAccess(c1)).isTrue();
                assertThat(c0.enablePeerAccess(c1)).as("PEER_ACCESS_ALREADY_ENABLED is no error").isFalse();
                assertThatThrownBy(() -> c1.enablePeerAccess(c0)).isInstanceOfSatisfying(CudaException.class, e -> {
                    assertThat(e.result()).isEqualTo(CudaResult.ERROR_PEER_ACCESS_UNSUPPORTED);
                    assertThat(e.function()).isEqualTo("cuCtxEnablePeerAccess(CUDA 1 -> CUDA 0)");
                });

                // The fake accepts the copy only when each pointer belongs to the context passed beside it.
                dst.copyFromPeerAsync(src, 32, s0);
                e0.record(s0);
                s1.waitFor(e0);
                s1.synchronize();
                c1.makeCurrent();
                assertThat(dst.readLongs(8)).containsExactly(0x5EED_0001_5EED_0001L, 0x5EED_0001_5EED_0001L,
                        0x5EED_0001_5EED_0001L, 0x5EED_0001_5EED_0001L, 0, 0, 0, 0);
                assertThat(fake.control().fakeCudaPeerCopies(0, 1)).isEqualTo(1);
                assertThat(fake.control().fakeCudaPeerBytes(0, 1)).isEqualTo(32);
                assertThat(fake.control().fakeCudaPeerCopies(1, 0)).isZero();
                assertThat(fake.control().fakeCudaStreamWaits()).isEqualTo(1);
                assertThat(fake.control().fakeCudaPeerCopiesUnmapped()).isZero();
                assertThatThrownBy(() -> dst.copyFromPeerAsync(src, 65, s0)).isInstanceOf(IllegalArgumentException.class);

                fake.control().fakeCudaFailPeerCopy(1, 0, 220);
                assertThatThrownBy(() -> src.copyFromPeerAsync(dst, 8, s1))
                        .isInstanceOfSatisfying(CudaException.class, e -> {
                            assertThat(e.function()).isEqualTo("cuMemcpyPeerAsync(CUDA 1 -> CUDA 0)");
                            assertThat(e.errorName()).isEqualTo("CUDA_ERROR_NVLINK_UNCORRECTABLE");
                            assertThat(e.hardwareSuspect()).isTrue();
                        });

                c0.disablePeerAccess(c1);
                assertThatThrownBy(() -> c0.disablePeerAccess(c1)).isInstanceOfSatisfying(CudaException.class,
                        e -> assertThat(e.result()).isEqualTo(CudaResult.ERROR_PEER_ACCESS_NOT_ENABLED));
                assertThat(fake.control().fakeCudaPeerMappings()).isZero();
            }
        }
        assertThat(fake.control().fakeCudaLiveResources()).as("leaked driver resources").isEqualTo(baseline);
    }

    @Test
    void missingLibraryIsUnavailableWithAReason() {
        CudaLoader.Result r = CudaLoader.load(buildDir.resolve("no-such-libcuda.so.1").toString());
        assertThat(r).isInstanceOf(CudaLoader.Unavailable.class);
        assertThat(((CudaLoader.Unavailable) r).reason()).contains("CUDA driver library not found")
                .contains("no-such-libcuda.so.1").contains("NVIDIA driver");
    }

    @Test
    void libraryWithoutARequiredSymbolIsUnavailableNamingIt() throws Exception {
        Path lib = FakeCuda.compile(compiler, buildDir, "libcuda-no-dtod.so", "-DFAKE_WITHOUT_DTOD");
        CudaLoader.Result r = CudaLoader.load(lib.toString());
        assertThat(r).isInstanceOf(CudaLoader.Unavailable.class);
        assertThat(((CudaLoader.Unavailable) r).reason()).contains("[cuMemcpyDtoD_v2]").contains("too old");
    }

    @Test
    void sessionReadsTheDeviceWithAnNvmlStyleBusId() {
        try (CudaSession s = CudaSession.open(fake.binding())) {
            assertThat(s.driverVersion()).isEqualTo(13000);
            assertThat(s.deviceCount()).isEqualTo(1);
            CudaDevice d = s.device(0);
            assertThat(d.name()).isEqualTo("Fake H100 80GB HBM3");
            assertThat(d.pciBusId()).isEqualTo("00000000:18:00.0");
            assertThat(d.computeCapability()).isEqualTo(new ComputeCapability(9, 0));
            assertThat(d.smCount()).isEqualTo(132);
            assertThat(d.totalMemory()).isEqualTo(80L << 30);
            assertThatThrownBy(() -> s.device(1)).isInstanceOf(CudaException.class)
                    .hasMessageContaining("ERROR_INVALID_DEVICE (101)");
        }
    }

    @Test
    void errorsCarryTheDriversNameAndDescription() {
        try (CudaSession s = CudaSession.open(fake.binding());
             CudaContext ctx = s.device(0).retainPrimaryContext()) {
            assertThatThrownBy(() -> ctx.loadPtx("garbage", "not ptx at all"))
                    .isInstanceOfSatisfying(CudaException.class, e -> {
                        assertThat(e.result()).isEqualTo(CudaResult.ERROR_INVALID_PTX);
                        assertThat(e.errorName()).isEqualTo("CUDA_ERROR_INVALID_PTX");
                        assertThat(e.sticky()).isFalse();
                        assertThat(e.getMessage()).contains("cuModuleLoadData(garbage)")
                                .contains("a PTX JIT compilation failed");
                    });
            try (CudaModule m = ctx.loadPtx("probe", PROBE_PTX)) {
                assertThatThrownBy(() -> m.function("nope")).isInstanceOf(CudaException.class)
                        .hasMessageContaining("CUDA_ERROR_NOT_FOUND (500)");
            }
        }
        assertThat(fake.control().fakeCudaLiveResources()).as("leaked driver resources").isEqualTo(baseline);
    }

    @Test
    void kernelParamsArriveIntact() {
        try (CudaSession s = CudaSession.open(fake.binding());
             CudaContext ctx = s.device(0).retainPrimaryContext();
             CudaModule m = ctx.loadPtx("probe", PROBE_PTX);
             DeviceBuffer a = ctx.allocate(4096);
             DeviceBuffer b = ctx.allocate(64);
             CudaStream stream = ctx.createStream()) {
            Kernel k = m.function("kiln_probe");
            long big = 0x1122_3344_5566_7788L;
            k.launch(new Dim3(7, 3, 2), new Dim3(128, 2, 1), 1024, stream, a, b, big, -7, 1.5f);

            int[] dims = new int[7];
            byte[] name = new byte[64];
            fake.control().fakeCudaLastLaunch(dims, name, name.length);
            assertThat(Native.toString(name)).isEqualTo("kiln_probe");
            assertThat(dims).containsExactly(7, 3, 2, 128, 2, 1, 1024);
            assertThat(fake.control().fakeCudaLastStream()).isNotNull();

            byte[] raw = new byte[64];
            int len = fake.control().fakeCudaLastParams(raw, raw.length);
            assertThat(len).isEqualTo(8 + 8 + 8 + 4 + 4);
            ByteBuffer p = ByteBuffer.wrap(raw).order(ByteOrder.nativeOrder());
            assertThat(p.getLong(0)).isEqualTo(a.address());
            assertThat(p.getLong(8)).isEqualTo(b.address());
            assertThat(a.address()).isNotEqualTo(b.address());
            assertThat(p.getLong(16)).isEqualTo(big);
            assertThat(p.getInt(24)).isEqualTo(-7);
            assertThat(p.getFloat(28)).isEqualTo(1.5f);

            k.launch(1, 32, null, a, b, 3L, 0, 0f);
            assertThat(fake.control().fakeCudaLastStream()).isNull();
            assertThatThrownBy(() -> k.launch(1, 1, null, a, "text")).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("argument 1");
        }
        assertThat(fake.control().fakeCudaLiveResources()).as("leaked driver resources").isEqualTo(baseline);
    }

    @Test
    void buffersCopyAndTimerFallsBackToV1() {
        try (CudaSession s = CudaSession.open(fake.binding());
             CudaContext ctx = s.device(0).retainPrimaryContext();
             DeviceBuffer d = ctx.allocate(32);
             PinnedBuffer h = ctx.allocatePinned(32);
             CudaStream stream = ctx.createStream();
             CudaTimer t = ctx.createTimer()) {
            assertThat(ctx.memInfo()).isEqualTo(new MemInfo(256L << 20, 80L << 30));
            d.fill32(0x01020304);
            assertThat(d.readLongs(4)).containsOnly(0x0102030401020304L);
            Memory src = new Memory(32);
            for (int i = 0; i < 8; i++) {
                src.setFloat(4L * i, i * 0.5f);
            }
            d.copyFromHost(src, 32);
            assertThat(d.readFloats(3)).containsExactly(0f, 0.5f, 1f);
            h.copyFromDeviceAsync(d, 32, stream);
            stream.synchronize();
            assertThat(h.pointer().getFloat(28)).isEqualTo(3.5f);
            t.start(stream);
            t.stop(stream);
            assertThat(t.elapsedMillis()).isEqualTo(1.0);
            assertThatThrownBy(() -> d.copyToHost(src, 64)).isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(fake.control().fakeCudaLiveResources()).as("leaked driver resources").isEqualTo(baseline);
    }

    @Test
    void stickyLaunchFailurePoisonsTheContext() {
        fake.control().fakeCudaFailLaunch(0, 719);
        try (CudaSession s = CudaSession.open(fake.binding())) {
            CudaContext ctx = s.device(0).retainPrimaryContext();
            CudaModule m = ctx.loadPtx("probe", PROBE_PTX);
            DeviceBuffer a = ctx.allocate(64);
            Kernel k = m.function("kiln_probe");
            assertThatThrownBy(() -> k.launch(1, 1, null, a, a, 1L, 1, 1f))
                    .isInstanceOfSatisfying(CudaException.class, e -> {
                        assertThat(e.result()).isEqualTo(CudaResult.ERROR_LAUNCH_FAILED);
                        assertThat(e.sticky()).isTrue();
                        assertThat(e.hardwareSuspect()).isTrue();
                        assertThat(e.errorName()).isEqualTo("CUDA_ERROR_LAUNCH_FAILED");
                        assertThat(e.getMessage()).contains("[sticky");
                    });
            assertThatThrownBy(ctx::synchronize).isInstanceOfSatisfying(CudaException.class,
                    e -> assertThat(e.rawCode()).isEqualTo(719));
            assertThatThrownBy(a::close).isInstanceOf(CudaException.class);
            m.close();
            ctx.close();
        }
        assertThat(fake.control().fakeCudaRetained()).isZero();
    }
}
