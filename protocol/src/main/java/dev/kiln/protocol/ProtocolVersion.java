package dev.kiln.protocol;

/**
 * The wire contract's version. Additive changes (a new optional field) keep the number; anything
 * that removes, renames or re-types a field bumps it. Readers ignore fields they do not know.
 */
public final class ProtocolVersion {
    private ProtocolVersion() {
    }

    public static final int SCHEMA_VERSION = 1;
    /** Kiln's own release, baked in at build time from the Maven version. */
    public static final String KILN_VERSION = KilnBuild.version();
}
