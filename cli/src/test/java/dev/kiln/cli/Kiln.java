package dev.kiln.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kiln.protocol.KilnJson;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs {@code kiln} in-process the way bin/kiln does, capturing stdout, stderr, the exit code and how long it took
 * (for log lines, never asserted). Public for the tests of the subpackages.
 */
public final class Kiln {
    private Kiln() {
    }

    public record Run(int exitCode, String out, String err, long millis) {
        public JsonNode json() {
            try {
                return KilnJson.mapper().readTree(out);
            } catch (IOException e) {
                throw new UncheckedIOException("stdout is not JSON: " + out + "\nstderr: " + err, e);
            }
        }

        public List<JsonNode> jsonLines() {
            List<JsonNode> nodes = new ArrayList<>();
            for (String line : out.split("\n")) {
                if (!line.isBlank()) {
                    try {
                        nodes.add(KilnJson.mapper().readTree(line));
                    } catch (IOException e) {
                        throw new UncheckedIOException("not a JSON line: " + line, e);
                    }
                }
            }
            return nodes;
        }

        /** For assertion messages. */
        public String describe() {
            return "exit " + exitCode + " after " + millis + " ms\n--- stdout ---\n" + out + "\n--- stderr ---\n" + err;
        }
    }

    public static Run run(String... args) {
        CommandLine cl = KilnCli.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        long t0 = System.nanoTime();
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString(), (System.nanoTime() - t0) / 1_000_000);
    }
}
