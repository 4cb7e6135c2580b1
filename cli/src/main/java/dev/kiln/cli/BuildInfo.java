package dev.kiln.cli;

import dev.kiln.protocol.ProtocolVersion;

import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * What {@code kiln version} reports: the version, git commit and build time the Maven build wrote into
 * {@code dev/kiln/cli/build-info.properties}, and the Java runtime running now. A value the build did not
 * know (no .git, an IDE build without resource filtering) is {@value #UNKNOWN}, never a {@code ${...}}.
 */
public record BuildInfo(String version, String commit, String commitFull, Boolean dirty, String describe,
                        String buildTime, int protocolSchema, String java, String javaVendor, String os) {
    public static final String UNKNOWN = "unknown";
    static final String RESOURCE = "/dev/kiln/cli/build-info.properties";

    public static BuildInfo current() {
        Properties p = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream(RESOURCE)) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // every field reads "unknown"
        }
        String dirty = known(p.getProperty("dirty"));
        String version = known(p.getProperty("version"));
        return new BuildInfo(UNKNOWN.equals(version) ? ProtocolVersion.KILN_VERSION : version,
                known(p.getProperty("commit")), known(p.getProperty("commitFull")),
                UNKNOWN.equals(dirty) ? null : Boolean.valueOf(dirty), known(p.getProperty("describe")),
                known(p.getProperty("buildTime")), ProtocolVersion.SCHEMA_VERSION,
                Runtime.version().toString(), System.getProperty("java.vendor", UNKNOWN),
                System.getProperty("os.name", UNKNOWN) + " " + System.getProperty("os.arch", ""));
    }

    private static String known(String v) {
        return v == null || v.isBlank() || v.contains("${") ? UNKNOWN : v.trim();
    }

    /** The commit as people write it: {@code 1a2b3c4}, {@code 1a2b3c4-dirty}, or {@value #UNKNOWN}. */
    public String commitText() {
        return UNKNOWN.equals(commit) ? UNKNOWN : commit + (Boolean.TRUE.equals(dirty) ? "-dirty" : "");
    }

    /** Label/value pairs in display order. */
    public Map<String, String> rows() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("Version", version);
        m.put("Commit", commitText());
        m.put("Built", buildTime);
        m.put("Protocol schema", "v" + protocolSchema);
        m.put("Java", java + " (" + javaVendor + ")");
        m.put("OS", os.trim());
        return m;
    }
}
