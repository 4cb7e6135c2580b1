package dev.kiln.cli;

import dev.kiln.cli.output.OutputFormat;
import picocli.CommandLine.Option;

/** {@code -o table|json|jsonl}, shared by every command that prints per-node results. */
public final class OutputOptions {
    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table",
            description = "Output: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}). JSON goes to stdout, "
                    + "the summary to stderr.")
    OutputFormat format = OutputFormat.table;

    public OutputFormat format() {
        return format;
    }
}
