package dev.kiln.agent.fabric;

import com.sun.jna.Library;
import com.sun.jna.Native;
import dev.kiln.agent.burnin.BurninBackend;
import dev.kiln.cuda.CudaSession;
import dev.kiln.cuda.fabric.PeerCopyMatrix;
import dev.kiln.cuda.raw.CudaLoader;
import dev.kiln.nvml.sim.ServerPresets;
import dev.kiln.protocol.fabric.PairBandwidth;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The CUDA measurer of fabric.p2p against the C fake libcuda: NVML indices matched by bus id, topology carried over. */
class CudaPeerMeasurerFakeCudaTest {
    public interface Control extends Library {
        void fakeCudaReset();

        void fakeCudaSetDeviceCount(int n);

        void fakeCudaSetPeerAccess(int dev, int peer, int ok);
    }

    @TempDir
    static Path buildDir;
    private static CudaLoader.Loaded cuda;
    private static Control control;

    @BeforeAll
    static void build() throws Exception {
        Path lib = dev.kiln.agent.FakeCudaLib.build(buildDir, "libcuda-fake-peers.so");
        cuda = (CudaLoader.Loaded) CudaLoader.load(lib.toString());
        control = Native.load(lib.toString(), Control.class);
    }

    @BeforeEach
    void reset() {
        control.fakeCudaReset();
        control.fakeCudaSetDeviceCount(4);
        control.fakeCudaSetPeerAccess(0, 3, 0);
        control.fakeCudaSetPeerAccess(3, 0, 0);
    }

    /** NVML's view of the four HGX slots the fake's devices sit in (bus ids 18, 2A, 3A, 5D). */
    private static List<BurninBackend.GpuRef> gpus() {
        List<BurninBackend.GpuRef> out = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            out.add(new BurninBackend.GpuRef(i, "GPU-" + i, "serial-" + i, ServerPresets.HGX_H100.gpuBusIds().get(i),
                    "NVIDIA H100 80GB HBM3"));
        }
        return out;
    }

    private static List<LinkReader.PairTopology> topology() {
        List<LinkReader.PairTopology> t = new ArrayList<>();
        for (int a = 0; a < 4; a++) {
            for (int b = a + 1; b < 4; b++) {
                t.add(new LinkReader.PairTopology(a, b, a == 0 && b == 3 ? "SYSTEM" : "NVLINK",
                        a == 0 && b == 3 ? "not_supported" : "ok"));
            }
        }
        return t;
    }

    @Test
    void everyPairIsMeasuredExceptTheOneWithoutPeerAccessAndKeepsNvmlsTopology() {
        try (CudaPeerMeasurer m = new CudaPeerMeasurer(CudaSession.open(cuda.binding()),
                new PeerCopyMatrix(new PeerCopyMatrix.Config(1 << 20, 1, 2)))) {
            List<Double> progress = new ArrayList<>();
            PeerMeasurer.Measurement r = m.measure(gpus(), topology(), Duration.ofSeconds(5), () -> false, progress::add);
            assertThat(r.pairs()).hasSize(6);
            PairBandwidth p03 = r.pairs().stream().filter(p -> p.gpuA() == 0 && p.gpuB() == 3).findFirst().orElseThrow();
            assertThat(p03.abGBps()).isNull();
            assertThat(p03.path()).isEqualTo("SYSTEM");
            PairBandwidth p12 = r.pairs().stream().filter(p -> p.gpuA() == 1 && p.gpuB() == 2).findFirst().orElseThrow();
            assertThat(p12.pciBusIdA()).isEqualTo("00000000:2A:00.0");
            assertThat(p12.path()).isEqualTo("NVLINK");
            // The fake's events always measure 1 ms: 1 MiB per ms.
            assertThat(p12.abGBps()).isEqualTo(1.0);
            assertThat(r.host()).hasSize(4).allSatisfy(h -> assertThat(h.h2dGBps()).isPositive());
            assertThat(progress).isNotEmpty();
        }
    }

    @Test
    void aGpuCudaDoesNotSeeIsNamedWithWhatToCheck() {
        List<BurninBackend.GpuRef> gpus = new ArrayList<>(gpus());
        gpus.set(2, new BurninBackend.GpuRef(2, "GPU-2", "s", "00000000:C1:00.0", "NVIDIA H100 80GB HBM3"));
        try (CudaPeerMeasurer m = new CudaPeerMeasurer(CudaSession.open(cuda.binding()), new PeerCopyMatrix())) {
            assertThatThrownBy(() -> m.measure(gpus, topology(), Duration.ofSeconds(1), () -> false, f -> { }))
                    .hasMessageContaining("CUDA does not see GPU 2 (00000000:C1:00.0")
                    .hasMessageContaining("CUDA_VISIBLE_DEVICES");
        }
    }
}
