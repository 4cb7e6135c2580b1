package dev.kiln.cli.fleet;

import dev.kiln.protocol.burnin.BurninRequest;
import dev.kiln.protocol.spec.BuiltinSpecs;
import dev.kiln.protocol.spec.NodeSpec;
import dev.kiln.protocol.spec.SpecFile;
import dev.kiln.protocol.spec.SpecFileException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * A golden spec as a fleet file's {@code spec:} or {@code --spec} names it, resolved on this machine:
 * a built-in name ({@code hgx-h100}) or a spec file. kiln sends the resolved spec inline, so the file the
 * technician edited is the one the nodes are checked against, whatever the agents have on disk.
 *
 * @param value  what was written ({@code hgx-h100}, {@code specs/h100-rack3.yaml})
 * @param source {@code built-in} or the spec file's absolute path
 */
public record SpecRef(String value, String source, NodeSpec spec) {
    public static final String BUILT_IN = "built-in";

    public SpecRef {
        Objects.requireNonNull(value, "value");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(spec, "spec");
    }

    /** The spec's own name ({@code spec:} in the file). */
    public String name() {
        return spec.name();
    }

    public boolean builtIn() {
        return BUILT_IN.equals(source);
    }

    /**
     * {@code request} judged by {@code ref}: a built-in by name (every agent has it), a spec file inline (the agent
     * does not have it, and its {@code burnin:} and {@code fabric:} minimums must apply); null leaves the choice to
     * the agent's default spec.
     */
    public static BurninRequest judged(BurninRequest request, SpecRef ref) {
        if (ref == null) {
            return request;
        }
        return ref.builtIn() ? request.withSpecName(ref.value()) : request.withSpec(ref.spec());
    }

    /** Neither a built-in spec nor a readable file; the message lists the built-ins. */
    public static final class NotFound extends IllegalArgumentException {
        public NotFound(String message) {
            super(message);
        }
    }

    /**
     * A built-in name first (as the agent resolves names), else a spec file, relative paths against
     * {@code baseDir}.
     *
     * @throws NotFound         when it is neither
     * @throws SpecFileException when the file is not a valid spec (the message names the file's line and field)
     */
    public static SpecRef resolve(String value, Path baseDir) {
        String v = value.trim();
        Optional<NodeSpec> builtin = BuiltinSpecs.find(v);
        if (builtin.isPresent()) {
            return new SpecRef(v, BUILT_IN, builtin.get());
        }
        Path file = file(v, baseDir);
        if (Files.isDirectory(file)) {
            throw new NotFound("'" + v + "' is a directory, not a spec file; built-in specs: " + builtIns());
        }
        if (!Files.exists(file)) {
            String hint = suggestBuiltIn(v).map(s -> "; did you mean '" + s + "'?").orElse("");
            throw new NotFound("'" + v + "' is neither a built-in spec nor a spec file (no file " + file + ")"
                    + hint + "; built-in specs: " + builtIns() + " ('kiln spec list')");
        }
        return new SpecRef(v, file.toString(), SpecFile.load(file));
    }

    /** Where {@code value} points as a file: absolute as is, else under {@code baseDir}. */
    public static Path file(String value, Path baseDir) {
        Path p = Path.of(value);
        return (p.isAbsolute() ? p : baseDir.resolve(p)).toAbsolutePath().normalize();
    }

    static String builtIns() {
        return String.join(", ", BuiltinSpecs.names());
    }

    /** The built-in name close to a misspelt {@code value}, if one is that close. */
    static Optional<String> suggestBuiltIn(String value) {
        return BuiltinSpecs.suggest(value.toLowerCase(Locale.ROOT));
    }

    @Override
    public String toString() {
        return builtIn() ? name() + " (built-in)" : name() + " (" + source + ")";
    }
}
