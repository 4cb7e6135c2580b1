package dev.kiln.protocol.spec;

import java.io.Reader;
import java.io.StringReader;
import java.nio.file.Path;
import java.util.List;

/**
 * Every problem of a spec file at once ({@code kiln spec lint}): the errors {@link SpecFile#parse} would
 * stop at, and warnings about a spec that parses but probably does not say what its author meant
 * (an expectation left out, so its check will SKIP; NVLinks expected of a PCIe card; hardware Xids
 * that no policy judges; a tolerated uncorrectable ECC error). Problems are in line order.
 */
public final class SpecLint {
    private SpecLint() {
    }

    public static List<SpecProblem> lint(String source, Reader reader) {
        return new SpecParser(source, true).parse(reader).problems();
    }

    /** Lints a file; a file that cannot be read is one error at line 0. */
    public static List<SpecProblem> lint(Path path) {
        String text;
        try {
            text = SpecFile.read(path);
        } catch (SpecFileException e) {
            return e.problems();
        }
        return lint(path.toString(), new StringReader(text));
    }

    /** True when {@code problems} hold an error (the spec cannot be used). */
    public static boolean hasErrors(List<SpecProblem> problems) {
        return problems.stream().anyMatch(SpecProblem::isError);
    }
}
