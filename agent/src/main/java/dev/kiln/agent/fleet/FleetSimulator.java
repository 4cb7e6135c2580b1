package dev.kiln.agent.fleet;

import dev.kiln.nvml.sim.FaultPlan;
import dev.kiln.nvml.sim.ServerPreset;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Serves N independent simulated agents on loopback, each with its own simulated server, faults
 * and HTTP listener, and writes the fleet file the CLI reads. Plain Vert.x; no Quarkus.
 * Used by {@code kiln-agent simulate-fleet}, {@code kiln demo}, CLI tests and benchmarks.
 */
public final class FleetSimulator {
    private FleetSimulator() {
    }

    /**
     * @param nodes        how many nodes (names node-001, node-002, ...)
     * @param preset       the server every node simulates
     * @param faults       faults, targeted by node name or position (from 1)
     * @param nodesPerRack nodes per rack in the fleet file (racks rack-01, rack-02, ...)
     * @param basePort     first port (node i gets basePort + i - 1); 0 lets the OS pick free ports
     * @param spread       give each node its own 127.1.x.y address, all on one port
     * @param fleetFile    where to write the fleet file (null: do not write one)
     * @param tokenFile    where to write the shared bearer token (created if absent, reused if present)
     */
    public record Options(int nodes, ServerPreset preset, FaultPlan faults, int nodesPerRack, int basePort,
                          boolean spread, Path fleetFile, Path tokenFile) {
        public Options {
            Objects.requireNonNull(preset, "preset");
            faults = faults == null ? FaultPlan.NONE : faults;
            if (nodes < 1) {
                throw new IllegalArgumentException("--nodes must be at least 1, got " + nodes);
            }
            if (nodesPerRack < 1) {
                throw new IllegalArgumentException("--nodes-per-rack must be at least 1, got " + nodesPerRack);
            }
            if (basePort < 0 || basePort > 65535) {
                throw new IllegalArgumentException("--base-port must be 0..65535, got " + basePort);
            }
        }
    }

    /** One simulated node as it is served. */
    public record SimNode(String name, String rack, int position, String host, int port) {
        public String address() {
            return host + ":" + port;
        }
    }

    /** Starts every node and returns once all listen (or throws, having stopped those that started). */
    public static RunningFleet start(Options options) {
        return RunningFleet.start(options, null, null);
    }

    /**
     * As {@link #start(Options)}, every node serving HTTPS with {@code tls} (one certificate for all, so it
     * must name 127.0.0.1, or each spread address); the fleet file then has {@code https://} addresses and,
     * when {@code caFile} is given, {@code caFile:} under {@code defaults}.
     */
    public static RunningFleet start(Options options, dev.kiln.agent.tls.ServerTls tls, Path caFile) {
        return RunningFleet.start(options, tls, caFile);
    }

    /** Convenience for tests and the demo. */
    public static Options options(int nodes, ServerPreset preset, FaultPlan faults, Path dir) {
        return new Options(nodes, preset, faults, 4, 0, false,
                dir == null ? null : dir.resolve("fleet.yaml"), dir == null ? null : dir.resolve("kiln-token"));
    }

    static List<String> names(int n) {
        return java.util.stream.IntStream.rangeClosed(1, n).mapToObj(FleetSimulator::nodeName).toList();
    }

    public static String nodeName(int position) {
        return String.format("node-%03d", position);
    }
}
