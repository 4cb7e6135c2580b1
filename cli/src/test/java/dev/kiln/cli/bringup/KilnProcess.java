package dev.kiln.cli.bringup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** {@code kiln} as its own JVM (the shaded jar's main, on the test class path), stdout and stderr in files. */
record KilnProcess(String name, Process process, Path out, Path err) {
    static KilnProcess start(Path dir, String name, String... args) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = new ArrayList<>(List.of(java.toString(), "-cp", System.getProperty("java.class.path"),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "--enable-native-access=ALL-UNNAMED",
                "-Djava.util.logging.manager=java.util.logging.LogManager", "dev.kiln.cli.KilnMain"));
        cmd.addAll(List.of(args));
        Path out = dir.resolve(name + ".out");
        Path err = dir.resolve(name + ".err");
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        return new KilnProcess(name, p, out, err);
    }

    int await(long seconds) throws Exception {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(name + " did not end in " + seconds + " s:\n" + describe());
        }
        return process.exitValue();
    }

    String stdout() throws IOException {
        return Files.readString(out);
    }

    String describe() throws IOException {
        return "--- " + name + " stdout ---\n" + stdout() + "\n--- " + name + " stderr ---\n" + Files.readString(err);
    }
}
