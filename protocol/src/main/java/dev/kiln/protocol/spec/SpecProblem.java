package dev.kiln.protocol.spec;

/**
 * One problem found in a spec file.
 *
 * @param source   the file (or other source) name, as given to the parser
 * @param line     1-based line, 0 when unknown (a JSON body, a file that could not be read)
 * @param field    dotted field path ({@code gpu.pcie.generation}, {@code gpu.busIds[2]}); null when the
 *                 problem is not about one field (YAML syntax, an empty file)
 * @param message  one sentence naming the field and what is expected
 */
public record SpecProblem(String source, int line, String field, Severity severity, String message) {

    public enum Severity {
        /** The spec cannot be used. */
        ERROR,
        /** The spec can be used, but probably does not say what its author meant. */
        WARNING
    }

    public boolean isError() {
        return severity == Severity.ERROR;
    }

    /** {@code h100.yaml:7: field 'gpu.pcie.generation' must be ...}; warnings read {@code h100.yaml:3: warning: ...}. */
    public String format() {
        StringBuilder b = new StringBuilder(source);
        if (line > 0) {
            b.append(':').append(line);
        }
        b.append(": ");
        if (severity == Severity.WARNING) {
            b.append("warning: ");
        }
        return b.append(message).toString();
    }

    @Override
    public String toString() {
        return format();
    }
}
