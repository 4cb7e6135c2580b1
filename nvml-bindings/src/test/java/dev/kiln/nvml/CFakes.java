package dev.kiln.nvml;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Builds the C fakes of the native libraries ({@code src/test/c/fake_*.c}: NVML, libcuda, libcublasLt) into shared
 * objects for the tests, with the C compiler on the PATH.
 */
public final class CFakes {
    private CFakes() {
    }

    /** The first of {@code names} that is an executable file on the PATH. */
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

    /** gcc, else cc; the tests that need one skip without it. */
    public static Optional<Path> compiler() {
        return findOnPath("gcc", "cc");
    }

    /**
     * Compiles {@code src/test/c/<source>} into {@code dir/fileName} with extra {@code flags} (e.g. a
     * {@code -DFAKE_WITHOUT_...} switch); asserts the compiler succeeded, with its output in the message.
     */
    public static Path compile(Path compiler, String source, Path dir, String fileName, String... flags)
            throws IOException, InterruptedException {
        Path src = Path.of(System.getProperty("basedir", "")).resolve("src/test/c").resolve(source).toAbsolutePath();
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
}
