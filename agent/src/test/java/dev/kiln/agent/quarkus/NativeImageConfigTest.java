package dev.kiln.agent.quarkus;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.jna.Library;
import com.sun.jna.PointerType;
import com.sun.jna.Structure;
import dev.kiln.nvml.raw.NvmlLibrary;
import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.ProtocolVersion;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code native} profile's GraalVM configuration (META-INF/native-image/dev.kiln/kiln-agent) cannot be
 * built here (no GraalVM on these machines), so this keeps it from rotting: every JNA structure, pointer
 * type and library interface of nvml-bindings, and every wire record and enum Jackson reads or writes, is
 * registered; the files are valid JSON; the resources the agent loads are included. Run {@link #main} to
 * print the reflection entries after adding a class.
 */
class NativeImageConfigTest {
    static final String DIR = "META-INF/native-image/dev.kiln/kiln-agent/";

    private static JsonNode read(String name) throws IOException {
        try (InputStream in = NativeImageConfigTest.class.getClassLoader().getResourceAsStream(DIR + name)) {
            assertThat(in).as(DIR + name).isNotNull();
            return KilnJson.mapper().readTree(in);
        }
    }

    private static Set<String> names(JsonNode array) {
        Set<String> out = new TreeSet<>();
        array.forEach(n -> out.add(n.get("name").asText()));
        return out;
    }

    /** Class names under {@code pkg} in the jar or directory that holds {@code anchor}. */
    static List<Class<?>> classes(Class<?> anchor, String pkg) throws IOException, URISyntaxException {
        Path source = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
        String prefix = pkg.replace('.', '/') + "/";
        List<String> files = new ArrayList<>();
        if (Files.isDirectory(source)) {
            try (Stream<Path> walk = Files.walk(source.resolve(prefix))) {
                walk.filter(p -> p.toString().endsWith(".class"))
                        .forEach(p -> files.add(source.relativize(p).toString().replace('\\', '/')));
            }
        } else {
            try (JarFile jar = new JarFile(source.toFile())) {
                for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) {
                    String n = e.nextElement().getName();
                    if (n.startsWith(prefix) && n.endsWith(".class")) {
                        files.add(n);
                    }
                }
            }
        }
        List<Class<?>> out = new ArrayList<>();
        for (String f : files) {
            if (f.endsWith("module-info.class") || f.endsWith("package-info.class")) {
                continue;
            }
            try {
                out.add(Class.forName(f.substring(0, f.length() - 6).replace('/', '.'), false,
                        NativeImageConfigTest.class.getClassLoader()));
            } catch (ClassNotFoundException | LinkageError e) {
                throw new AssertionError("cannot load " + f, e);
            }
        }
        return out;
    }

    /** What reflect-config.json must name: JNA types, and the records and enums of the wire protocol. */
    static Set<String> expectedReflection() throws Exception {
        Set<String> out = new TreeSet<>();
        for (String pkg : List.of("dev.kiln.nvml.raw", "dev.kiln.cuda.raw", "dev.kiln.cuda.blas.raw")) {
            for (Class<?> c : classes(NvmlLibrary.class, pkg)) {
                if (Structure.class.isAssignableFrom(c) || PointerType.class.isAssignableFrom(c)
                        || (c.isInterface() && Library.class.isAssignableFrom(c))) {
                    out.add(c.getName());
                }
            }
        }
        for (Class<?> c : classes(ProtocolVersion.class, "dev.kiln.protocol")) {
            if (c.isRecord() || c.isEnum()) {
                out.add(c.getName());
            }
        }
        return out;
    }

    static Set<String> expectedProxies() throws Exception {
        Set<String> out = new TreeSet<>();
        for (String pkg : List.of("dev.kiln.nvml.raw", "dev.kiln.cuda.raw", "dev.kiln.cuda.blas.raw")) {
            for (Class<?> c : classes(NvmlLibrary.class, pkg)) {
                if (c.isInterface() && Library.class.isAssignableFrom(c)) {
                    out.add(c.getName());
                }
            }
        }
        return out;
    }

    @Test
    void everyJnaTypeAndWireRecordIsRegistered() throws Exception {
        Set<String> registered = names(read("reflect-config.json"));
        Set<String> missing = new TreeSet<>(expectedReflection());
        missing.removeAll(registered);
        assertThat(missing).as("add these to %sreflect-config.json (NativeImageConfigTest.main prints entries)", DIR)
                .isEmpty();
        for (String name : registered) {
            assertThat(Class.forName(name, false, getClass().getClassLoader())).as(name).isNotNull();
        }
        assertThat(registered).contains("dev.kiln.nvml.raw.NvmlPciInfo", "dev.kiln.nvml.raw.DeviceHandle",
                "dev.kiln.protocol.GpuInventory$Pci", "dev.kiln.agent.burnin.WorkerLine");
    }

    @Test
    void everyJnaLibraryInterfaceHasAProxyAndJnaItsJniEntries() throws Exception {
        Set<String> proxied = new TreeSet<>();
        read("proxy-config.json").forEach(p -> proxied.add(p.get("interfaces").get(0).asText()));
        assertThat(proxied).containsAll(expectedProxies());
        assertThat(names(read("jni-config.json"))).contains("com.sun.jna.Native", "com.sun.jna.Structure",
                "com.sun.jna.Pointer", "com.sun.jna.PointerType", "com.sun.jna.Native$ffi_callback");
    }

    @Test
    void resourcesTheAgentLoadsAreIncluded() throws Exception {
        String patterns = read("resource-config.json").toString();
        assertThat(patterns).contains("libjnidispatch", "ptx", "spec/builtin", "kiln-build.properties");
        String props;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(DIR + "native-image.properties")) {
            assertThat(in).isNotNull();
            props = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        assertThat(props).contains("Args", "--initialize-at-run-time=");
    }

    /** Prints reflect-config.json entries for the expected classes (paste and keep the hand-added ones). */
    public static void main(String[] args) throws Exception {
        for (String c : expectedReflection()) {
            System.out.println("  {\"name\": \"" + c + "\", \"allDeclaredConstructors\": true, \"allPublicMethods\": true,"
                    + " \"allDeclaredFields\": true},");
        }
    }
}
