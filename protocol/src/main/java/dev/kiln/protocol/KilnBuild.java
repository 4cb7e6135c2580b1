package dev.kiln.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** Reads the build version Maven writes into {@code kiln-build.properties}. */
final class KilnBuild {
    private KilnBuild() {
    }

    static String version() {
        try (InputStream in = KilnBuild.class.getResourceAsStream("/dev/kiln/protocol/kiln-build.properties")) {
            if (in == null) {
                return "dev";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "dev");
        } catch (IOException e) {
            return "dev";
        }
    }
}
