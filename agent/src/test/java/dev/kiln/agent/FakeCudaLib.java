package dev.kiln.agent;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Builds nvml-bindings' C fake of libcuda for agent tests; skips the test (with the reason) without gcc. */
public final class FakeCudaLib {
    private FakeCudaLib() {
    }

    /** Compiles the fake into {@code dir/name} and returns its path. */
    public static Path build(Path dir, String name) throws Exception {
        Path src = Path.of(System.getProperty("basedir", ".")).resolve("../nvml-bindings/src/test/c/fake_cuda.c")
                .toAbsolutePath().normalize();
        assumeTrue(Files.isRegularFile(src), "no " + src);
        Path gcc = null;
        for (String d : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            for (String cc : List.of("gcc", "cc")) {
                Path c = Path.of(d.isEmpty() ? "." : d, cc);
                if (gcc == null && Files.isExecutable(c)) {
                    gcc = c;
                }
            }
        }
        assumeTrue(gcc != null, "no gcc or cc on PATH: cannot build the C fake of libcuda, skipping");
        Path lib = dir.resolve(name);
        Process p = new ProcessBuilder(gcc.toString(), "-shared", "-fPIC", "-O1", "-o", lib.toString(), src.toString())
                .redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isZero();
        return lib;
    }
}
