package dev.kiln.packaging;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The packages built in phase package, exercised by the scripts beside this module's pom (so a person runs
 * exactly what the build ran): {@code install-test.sh} installs both .debs into a throwaway root, runs the
 * agent as the unit would, queries it, removes and purges; {@code check-packages.sh --no-lintian} runs
 * {@code systemd-analyze verify} and {@code security} on the packaged unit (exposure at most 3.0).
 * A script that cannot run here (no dpkg, not root, systemd older than 252) exits 77: the test is skipped
 * with its reason. Lintian (~15 s, a Debian package of its own) runs only by hand: docs/packaging.md.
 */
class PackagesTest {
    private static final Path MODULE = Path.of("").toAbsolutePath();
    private static final Path PACKAGES = MODULE.resolve("target");

    @Test
    void installStartQueryRemovePurge() throws Exception {
        run("install-test.sh", 300);
    }

    @Test
    void unitVerifiesAndIsHardened() throws Exception {
        run("check-packages.sh", 120, "--no-lintian");
    }

    private static void run(String script, int timeoutSeconds, String... options) throws IOException, InterruptedException {
        Path log = Files.createTempFile("kiln-" + script, ".log");
        try {
            var command = new java.util.ArrayList<>(List.of("bash", MODULE.resolve(script).toString()));
            command.addAll(List.of(options));
            command.add(PACKAGES.toString());
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new AssertionError(script + " ran past " + timeoutSeconds + " s:\n" + read(log));
            }
            String output = read(log);
            System.out.println(output);
            assumeTrue(p.exitValue() != 77, () -> script + ": " + lastLine(output));
            assertThat(p.exitValue()).as("%s exit code; its output:%n%s", script, output).isZero();
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static String read(Path log) throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    private static String lastLine(String output) {
        String[] lines = output.strip().split("\n");
        return lines[lines.length - 1];
    }
}
