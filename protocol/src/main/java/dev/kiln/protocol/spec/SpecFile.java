package dev.kiln.protocol.spec;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads and writes golden spec files (YAML, or JSON, which is YAML too); the format is in
 * {@code docs/spec-file.md}:
 * <pre>
 * spec: hgx-h100
 * gpu:
 *   count: 8
 *   model: NVIDIA H100 80GB HBM3
 *   pcie: {generation: 5, width: 16}
 * driver: {min: 550.54.15, max: 580.999.999}
 * </pre>
 * Every error names the source, the line and the field and says what is expected
 * ({@code h100.yaml:7: field 'gpu.pcie.generation' must be an integer 1..6, got 'five'}). Unknown and
 * repeated fields are errors. A field left out (or {@code null}) is not checked: its check reports SKIP.
 */
public final class SpecFile {
    private SpecFile() {
    }

    /** Reads a spec file; {@link SpecFileException} for a file that is missing, unreadable or not a valid spec. */
    public static NodeSpec load(Path path) {
        return parse(path.toString(), read(path));
    }

    /** Parses spec text; {@code source} names it in errors. Throws the first error; warnings are ignored. */
    public static NodeSpec parse(String source, Reader reader) {
        SpecParser.Result r = new SpecParser(source, true).parse(reader);
        return orThrow(r);
    }

    public static NodeSpec parse(String source, String text) {
        return parse(source, new StringReader(text));
    }

    /**
     * The spec in the file format, fields in the documented order, expectations that are null left out,
     * thresholds and {@code checks.disabled} always written. {@code parse(toYaml(s))} equals {@code s} for
     * every spec {@code parse} returns.
     */
    public static String toYaml(NodeSpec spec) {
        return SpecWriter.yaml(SpecWriter.toTree(spec));
    }

    /** A spec inside a JSON document (already re-serialised, so there are no lines to name). */
    static NodeSpec fromJson(String source, String json) {
        return orThrow(new SpecParser(source, false).parse(new StringReader(json)));
    }

    private static NodeSpec orThrow(SpecParser.Result r) {
        if (r.hasErrors()) {
            SpecProblem first = r.problems().stream().filter(SpecProblem::isError).findFirst().orElseThrow();
            throw new SpecFileException(first, r.problems());
        }
        return r.spec();
    }

    /** The file's text, or a {@link SpecFileException} saying why it cannot be read. */
    static String read(Path path) {
        try {
            return Files.readString(path, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw unreadable(path, "the spec file does not exist");
        } catch (AccessDeniedException e) {
            throw unreadable(path, "cannot read the spec file: permission denied");
        } catch (CharacterCodingException e) {
            throw unreadable(path, "the spec file is not UTF-8 text");
        } catch (IOException e) {
            throw unreadable(path, "cannot read the spec file: " + e.getMessage());
        }
    }

    private static SpecFileException unreadable(Path path, String message) {
        SpecProblem p = new SpecProblem(path.toString(), 0, null, SpecProblem.Severity.ERROR, message);
        return new SpecFileException(p, List.of(p));
    }
}
