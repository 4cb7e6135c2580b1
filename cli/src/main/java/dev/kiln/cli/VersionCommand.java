package dev.kiln.cli;

import dev.kiln.protocol.KilnJson;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code kiln version}: the build (version, git commit, build time) and the Java runtime, for bug reports. */
@Command(name = "version", mixinStandardHelpOptions = true,
        header = "Show kiln's version, git commit, build time and Java runtime.",
        description = {"Prints what the build recorded (version, git commit, build time; 'unknown' where the build "
                + "had no git checkout) and what runs it (protocol schema, Java, OS). Paste it into bug reports. "
                + "-o json prints one JSON object for scripts."})
final class VersionCommand implements Callable<Integer> {
    enum Format { text, json }

    @Spec
    CommandSpec spec;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "text",
            description = "Output: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Format format;

    @Override
    public Integer call() throws Exception {
        BuildInfo info = BuildInfo.current();
        PrintWriter out = spec.commandLine().getOut();
        if (format == Format.json) {
            out.println(KilnJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(info));
        } else {
            out.println("kiln " + info.version());
            int width = info.rows().keySet().stream().mapToInt(String::length).max().orElse(0);
            for (Map.Entry<String, String> row : info.rows().entrySet()) {
                if (!row.getKey().equals("Version")) {
                    out.println("  " + String.format("%-" + width + "s", row.getKey()) + "  " + row.getValue());
                }
            }
        }
        out.flush();
        return ExitCodes.OK;
    }
}
