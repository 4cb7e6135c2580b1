package dev.kiln.protocol.spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Specs that ship with Kiln, one per simulator preset ({@code kiln-agent --simulate hgx-h100}), stored as
 * spec files under {@code dev/kiln/protocol/spec/builtin/}. Their values match the presets exactly, so a
 * healthy simulated node passes every check (the agent's tests hold them to that).
 */
public final class BuiltinSpecs {
    private static final List<String> NAMES = List.of("hgx-h100", "hgx-h200", "hgx-b200", "pcie-l40s");

    private BuiltinSpecs() {
    }

    public static List<String> names() {
        return NAMES;
    }

    public static Optional<NodeSpec> find(String name) {
        return Optional.ofNullable(Loaded.SPECS.get(name));
    }

    /** The built-in spec, or an {@link IllegalArgumentException} that lists the names. */
    public static NodeSpec get(String name) {
        return find(name).orElseThrow(() -> unknown(name));
    }

    /** The spec file's text, comments included ({@code kiln spec show}). */
    public static String yaml(String name) {
        String text = Loaded.TEXT.get(name);
        if (text == null) {
            throw unknown(name);
        }
        return text;
    }

    private static IllegalArgumentException unknown(String name) {
        return new IllegalArgumentException("unknown built-in spec '" + name + "'; choose one of "
                + String.join(", ", NAMES) + ", or give a spec file");
    }

    /** Read once, on first use; a broken resource is a build error, caught by the tests. */
    private static final class Loaded {
        static final Map<String, String> TEXT = new LinkedHashMap<>();
        static final Map<String, NodeSpec> SPECS = new LinkedHashMap<>();

        static {
            for (String name : NAMES) {
                String text = resource(name);
                TEXT.put(name, text);
                NodeSpec spec = SpecFile.parse("builtin:" + name + ".yaml", text);
                if (!name.equals(spec.name())) {
                    throw new IllegalStateException("built-in spec file " + name + ".yaml is named '" + spec.name() + "'");
                }
                SPECS.put(name, spec);
            }
        }

        private static String resource(String name) {
            String path = "builtin/" + name + ".yaml";
            try (InputStream in = BuiltinSpecs.class.getResourceAsStream(path)) {
                if (in == null) {
                    throw new IllegalStateException("built-in spec " + path + " is not on the classpath");
                }
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** The built-in name closest to a misspelt one ({@code hgx-h10} -> {@code hgx-h100}), if any is close. */
    public static Optional<String> suggest(String name) {
        return Suggestions.closest(name, names());
    }
}
