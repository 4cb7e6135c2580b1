package dev.kiln.cuda;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import dev.kiln.cuda.raw.CudaBinding;
import dev.kiln.cuda.raw.CudaLoader;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

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

    public static Optional<Path> findOnPath(String... names) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String name : names) {
            for (String dir : path.split(java.io.File.pathSeparator)) {
                if (!dir.isEmpty()) {
                    Path candidate = Path.of(dir, name);
                    if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                        return Optional.of(candidate);
                    }
                }
            }
        }
        return Optional.empty();
    }

    public static Optional<Path> compiler() {
        return findOnPath("gcc", "cc");
    }

    /** Compiles the fake into {@code dir/fileName}; asserts the compiler succeeded. */
    public static Path compile(Path compiler, Path dir, String fileName, String... flags)
            throws IOException, InterruptedException {
        Path src = Path.of(System.getProperty("basedir", "")).resolve("src/test/c/fake_cuda.c").toAbsolutePath();
        assertThat(src).as("C fake source").isRegularFile();
        Path out = dir.resolve(fileName);
        List<String> cmd = new ArrayList<>(List.of(compiler.toString(), "-shared", "-fPIC", "-O1", "-Wall",
                "-o", out.toString()));
        cmd.addAll(List.of(flags));
        cmd.add(src.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        boolean done = p.waitFor(60, TimeUnit.SECONDS);
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!done) {
            p.destroyForcibly();
        }
        assertThat(done && p.exitValue() == 0).as("%s failed:%n%s", String.join(" ", cmd), log).isTrue();
        return out;
    }

    public static Built build(Path compiler, Path dir) throws IOException, InterruptedException {
        Path lib = compile(compiler, dir, "libcuda-fake.so");
        CudaLoader.Result r = CudaLoader.load(lib.toString());
        assertThat(r).as("loading %s", lib).isInstanceOf(CudaLoader.Loaded.class);
        return new Built(lib, ((CudaLoader.Loaded) r).binding(), Native.load(lib.toString(), Control.class));
    }
}
