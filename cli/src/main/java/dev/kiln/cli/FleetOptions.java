package dev.kiln.cli;

import dev.kiln.cli.fleet.Fleet;
import dev.kiln.cli.fleet.FleetFile;
import dev.kiln.cli.fleet.FleetNode;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Which fleet, and which of its nodes: {@code --fleet FILE [--rack R]... [--node N]...}. */
public final class FleetOptions {
    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    @Option(names = "--fleet", paramLabel = "FILE", defaultValue = "fleet.yaml",
            description = "Fleet file listing racks, nodes and the token file (default: ./${DEFAULT-VALUE}).")
    Path fleetFile = Path.of("fleet.yaml");

    @Option(names = "--rack", paramLabel = "RACK", split = ",",
            description = "Only nodes of this rack; repeatable, or comma-separated.")
    List<String> racks = new ArrayList<>();

    @Option(names = "--node", paramLabel = "NODE", split = ",",
            description = "Only this node; repeatable, or comma-separated. With --rack: nodes of those racks "
                    + "plus these nodes.")
    List<String> nodes = new ArrayList<>();

    @Option(names = "--insecure",
            description = "Do not verify agents' TLS certificates or host names. Anyone on the path can then pose as an "
                    + "agent and read the bearer token; for a first try only. Warns on every run.")
    boolean insecure;

    public Fleet load() {
        Fleet fleet = FleetFile.load(fleetFile);
        if (!insecure) {
            return fleet;
        }
        java.io.PrintWriter err = mixee.commandLine().getErr();
        err.println("kiln: warning: --insecure: agents' TLS certificates and host names are not verified; anyone "
                + "between here and the agents can pose as one and read the bearer token"
                + (fleet.usesTls() ? "" : " (no node in " + fleet.source() + " uses TLS: tokens go in clear anyway)"));
        err.flush();
        return fleet.insecure();
    }

    /**
     * The selected nodes in fleet-file order: everything without filters, else the union of the named
     * racks and nodes. An unknown name is a usage error (exit 2), never silently ignored.
     */
    public List<FleetNode> select(Fleet fleet) {
        if (racks.isEmpty() && nodes.isEmpty()) {
            return fleet.nodes();
        }
        Set<String> wantRacks = new LinkedHashSet<>(racks);
        Set<String> wantNodes = new LinkedHashSet<>(nodes);
        Set<String> knownRacks = new LinkedHashSet<>(fleet.racks());
        List<String> unknownRacks = wantRacks.stream().filter(r -> !knownRacks.contains(r)).toList();
        if (!unknownRacks.isEmpty()) {
            throw new CommandLine.ParameterException(mixee.commandLine(), "unknown rack" + plural(unknownRacks)
                    + " " + quoted(unknownRacks) + ": not in " + fleet.source() + " (racks: "
                    + abbreviate(fleet.racks()) + ")");
        }
        Set<String> knownNodes = new LinkedHashSet<>();
        List<FleetNode> out = new ArrayList<>();
        for (FleetNode n : fleet.nodes()) {
            knownNodes.add(n.name());
            if (wantRacks.contains(n.rack()) || wantNodes.contains(n.name())) {
                out.add(n);
            }
        }
        List<String> unknownNodes = wantNodes.stream().filter(n -> !knownNodes.contains(n)).toList();
        if (!unknownNodes.isEmpty()) {
            throw new CommandLine.ParameterException(mixee.commandLine(), "unknown node" + plural(unknownNodes)
                    + " " + quoted(unknownNodes) + ": not in " + fleet.source() + " (" + fleet.nodes().size()
                    + " nodes: " + abbreviate(fleet.nodes().stream().map(FleetNode::name).toList()) + ")");
        }
        return out;
    }

    private static String plural(List<?> l) {
        return l.size() == 1 ? "" : "s";
    }

    private static String quoted(List<String> names) {
        return String.join(", ", names.stream().map(n -> "'" + n + "'").toList());
    }

    static String abbreviate(List<String> names) {
        if (names.size() <= 6) {
            return String.join(", ", names);
        }
        return String.join(", ", names.subList(0, 3)) + ", ..., " + names.get(names.size() - 1);
    }
}
