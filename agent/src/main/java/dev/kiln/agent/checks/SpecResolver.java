package dev.kiln.agent.checks;

import dev.kiln.protocol.spec.BuiltinSpecs;
import dev.kiln.protocol.spec.NodeSpec;
import dev.kiln.protocol.spec.SpecFile;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds a spec by built-in name ({@code hgx-h100}) or file path; errors say which names exist. */
public final class SpecResolver {
    private SpecResolver() {
    }

    /**
     * A built-in spec by name only. This is what the HTTP API uses: a remote caller must never make
     * the agent (often root) open a path of its choosing; clients send other specs inline.
     */
    public static NodeSpec builtin(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("no spec given: send one inline ('spec') or name a built-in spec "
                    + BuiltinSpecs.names());
        }
        return BuiltinSpecs.find(name).orElseThrow(() -> new IllegalArgumentException("no built-in spec named '"
                + name + "'; built-in specs: " + BuiltinSpecs.names() + "; send other specs inline ('spec')"));
    }

    public static NodeSpec resolve(String nameOrPath) {
        if (nameOrPath == null || nameOrPath.isBlank()) {
            throw new IllegalArgumentException("no spec given; name a built-in spec " + BuiltinSpecs.names()
                    + " or a spec file");
        }
        var builtin = BuiltinSpecs.find(nameOrPath);
        if (builtin.isPresent()) {
            return builtin.get();
        }
        Path path = Path.of(nameOrPath);
        if (Files.isRegularFile(path)) {
            return SpecFile.load(path);
        }
        throw new IllegalArgumentException("no built-in spec or spec file named '" + nameOrPath + "'; built-in specs: "
                + BuiltinSpecs.names());
    }
}
