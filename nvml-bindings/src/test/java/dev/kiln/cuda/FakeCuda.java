package dev.kiln.cuda;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import dev.kiln.cuda.raw.CudaBinding;
import dev.kiln.cuda.raw.CudaLoader;
import dev.kiln.nvml.CFakes;

import java.io.IOException;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Builds {@code src/test/c/fake_cuda.c} with gcc and loads it through {@link CudaLoader#load(String)}. */
public final class FakeCuda {
    private FakeCuda() {
    }

    /** The fake's test-only exports. */
    public interface Control extends Library {
        void fakeCudaReset();

        void fakeCudaFailAlloc(int rc);

        void fakeCudaFailLaunch(int at, int rc);

        void fakeCudaSetCompareResult(long diffs, long nans);

        void fakeCudaSetVerifyErrors(long n);

        int fakeCudaLaunches();

        int fakeCudaLiveResources();

        int fakeCudaRetained();

        void fakeCudaLastLaunch(int[] dims, byte[] kernel, int len);

        Pointer fakeCudaLastStream();

        int fakeCudaLastParams(byte[] out, int len);

        /** 1..8 devices (HGX bus ids 0000:18:00.0, 0000:2A:00.0, ...); back to 1 on reset. */
        void fakeCudaSetDeviceCount(int n);

        /** What cuDeviceCanAccessPeer(dev, peer) answers (default: yes for distinct devices); reset allows all. */
        void fakeCudaSetPeerAccess(int dev, int peer, int ok);

        /** Every cuMemcpyPeerAsync from device {@code src} to device {@code dst} answers {@code rc}. */
        void fakeCudaFailPeerCopy(int src, int dst, int rc);

        /** Successful peer copies from device {@code src} to device {@code dst} since the last reset. */
        long fakeCudaPeerCopies(int src, int dst);

        long fakeCudaPeerBytes(int src, int dst);

        /** Peer copies between two devices when neither had peer access to the other. */
        long fakeCudaPeerCopiesUnmapped();

        long fakeCudaStreamWaits();

        /** Enabled peer mappings (also counted in {@link #fakeCudaLiveResources()}). */
        int fakeCudaPeerMappings();

        int fakeCudaPeerEnabled(int from, int to);
    }

    /** A built and loaded fake. */
    public record Built(Path library, CudaBinding binding, Control control) {
    }

    /** Compiles the fake into {@code dir/fileName}; asserts the compiler succeeded. */
    public static Path compile(Path compiler, Path dir, String fileName, String... flags)
            throws IOException, InterruptedException {
        return CFakes.compile(compiler, "fake_cuda.c", dir, fileName, flags);
    }

    public static Built build(Path compiler, Path dir) throws IOException, InterruptedException {
        Path lib = compile(compiler, dir, "libcuda-fake.so");
        CudaLoader.Result r = CudaLoader.load(lib.toString());
        assertThat(r).as("loading %s", lib).isInstanceOf(CudaLoader.Loaded.class);
        return new Built(lib, ((CudaLoader.Loaded) r).binding(), Native.load(lib.toString(), Control.class));
    }
}
