package dev.kiln.agent.cli;

import dev.kiln.protocol.ProtocolVersion;
import picocli.CommandLine;

final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        return new String[]{"kiln-agent " + ProtocolVersion.KILN_VERSION + " (schema v" + ProtocolVersion.SCHEMA_VERSION + ")"};
    }
}
