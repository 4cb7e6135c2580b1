package dev.kiln.cuda;

import dev.kiln.nvml.CFakes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The committed PTX under src/main/resources/dev/kiln/cuda/ptx is what tools/build-ptx.sh makes from
 * src/main/cuda/*.cu, lowered to {@code .version 7.8} for R520+ drivers, and ptxas accepts it for sm_80 and sm_90.
 */
class PtxFreshnessTest {
    private static final Path BASE = Path.of(System.getProperty("basedir", "")).toAbsolutePath();
    private static final Path CUDA_SRC = BASE.resolve("src/main/cuda");
    private static final Path PTX_DIR = BASE.resolve("src/main/resources/dev/kiln/cuda/ptx");
    private static final Path SCRIPT = BASE.resolve("../tools/build-ptx.sh").normalize();

    private static List<String> names(Path dir, String ext) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(ext))
                    .map(n -> n.substring(0, n.length() - ext.length())).sorted().toList();
        }
    }

    static Optional<Path> nvcc() {
        String env = System.getenv("NVCC");
        if (env != null && Files.isExecutable(Path.of(env))) {
            return Optional.of(Path.of(env));
        }
        Optional<Path> onPath = CFakes.findOnPath("nvcc");
        if (onPath.isPresent()) {
            return onPath;
        }
        return Stream.of("/usr/local/bin/nvcc", "/usr/local/cuda/bin/nvcc").map(Path::of)
                .filter(Files::isExecutable).findFirst();
    }

    @Test
    void everyKernelSourceHasCommittedPortablePtx() throws IOException {
        assertThat(names(PTX_DIR, ".ptx")).isEqualTo(names(CUDA_SRC, ".cu"))
                .contains("compute", "tensor", "compare", "memtest", "bandwidth");
        for (String n : names(PTX_DIR, ".ptx")) {
            String ptx = Files.readString(PTX_DIR.resolve(n + ".ptx"));
            assertThat(ptx).as(n).contains("\n.version 7.8\n").contains("\n.target sm_80\n")
                    .doesNotContain("Compiler Build ID");
            assertThat(CudaModule.ptxResource(n)).as("classpath copy of %s", n).isEqualTo(ptx);
        }
    }

    @Test
    void committedPtxMatchesTheSourcesAndAssembles(@TempDir Path out) throws Exception {
        Optional<Path> nvcc = nvcc();
        assumeTrue(nvcc.isPresent(), "nvcc not found (NVCC, PATH, /usr/local/bin, /usr/local/cuda/bin): "
                + "cannot regenerate PTX to compare with the committed files, skipping");
        run(List.of("bash", SCRIPT.toString(), out.toString()), nvcc.get());
        for (String n : names(CUDA_SRC, ".cu")) {
            assertThat(Files.readString(out.resolve(n + ".ptx")))
                    .as("%s.ptx is stale: run tools/build-ptx.sh and commit the result", n)
                    .isEqualTo(Files.readString(PTX_DIR.resolve(n + ".ptx")));
        }
        Path ptxas = nvcc.get().resolveSibling("ptxas");
        if (!Files.isExecutable(ptxas)) {
            return;
        }
        List<Process> jobs = new ArrayList<>();
        List<String> what = new ArrayList<>();
        for (String n : names(PTX_DIR, ".ptx")) {
            for (String arch : List.of("sm_80", "sm_90")) {
                jobs.add(new ProcessBuilder(ptxas.toString(), "-arch=" + arch, "-o", out.resolve(n + "." + arch + ".cubin")
                        .toString(), PTX_DIR.resolve(n + ".ptx").toString()).redirectErrorStream(true).start());
                what.add("ptxas -arch=" + arch + " " + n + ".ptx");
            }
        }
        for (int i = 0; i < jobs.size(); i++) {
            Process p = jobs.get(i);
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).as(what.get(i)).isTrue();
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.exitValue()).as("%s:%n%s", what.get(i), log).isZero();
        }
    }

    private static void run(List<String> cmd, Path nvcc) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("NVCC", nvcc.toString());
        Process p = pb.start();
        boolean done = p.waitFor(300, TimeUnit.SECONDS);
        String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!done) {
            p.destroyForcibly();
        }
        assertThat(done && p.exitValue() == 0).as("%s failed:%n%s", String.join(" ", cmd), log).isTrue();
    }
}
