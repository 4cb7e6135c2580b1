package dev.kiln.agent.cli;

import dev.kiln.agent.fleet.FleetSimulator;
import dev.kiln.agent.fleet.RunningFleet;
import dev.kiln.nvml.sim.FaultFile;
import dev.kiln.nvml.sim.FaultPlan;
import dev.kiln.nvml.sim.ServerPresets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** Serves N simulated agents on loopback until stopped. */
@Command(name = "simulate-fleet", mixinStandardHelpOptions = true,
        header = "Serve a fleet of simulated agents on loopback and write its fleet file.",
        description = {"Each node has its own simulated GPUs, faults, identity and HTTP port, and answers the same API "
                + "as a real agent. Runs until interrupted (Ctrl-C / SIGTERM)."})
final class SimulateFleetCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--nodes", defaultValue = "16", description = "Number of nodes (default: ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--preset", defaultValue = "hgx-h100",
            description = "Server preset: hgx-h100, hgx-h200, hgx-b200, pcie-l40s (default: ${DEFAULT-VALUE}).")
    String preset;

    @Option(names = "--faults", paramLabel = "FILE", description = "Faults file; 'node:' targets a node by name or position.")
    Path faults;

    @Option(names = "--fleet-file", defaultValue = "fleet.yaml", description = "Fleet file to write (default: ${DEFAULT-VALUE}).")
    Path fleetFile;

    @Option(names = "--token-file", defaultValue = "kiln-token",
            description = "Token file to use, created if absent (default: ${DEFAULT-VALUE}).")
    Path tokenFile;

    @Option(names = "--nodes-per-rack", defaultValue = "4", description = "Nodes per rack (default: ${DEFAULT-VALUE}).")
    int nodesPerRack;

    @Option(names = "--base-port", defaultValue = "0",
            description = "First port; 0 lets the OS choose free ports (default: ${DEFAULT-VALUE}).")
    int basePort;

    @Option(names = "--spread", description = "Give each node its own 127.1.x.y address on one port (for 10,000+ nodes).")
    boolean spread;

    @Option(names = "--tls-cert", paramLabel = "FILE",
            description = {"Serve every node over HTTPS with this PEM certificate (it must name 127.0.0.1, e.g.",
                    "'kiln pki issue sim --ip 127.0.0.1'); needs --tls-key. The fleet file gets https:// addresses."})
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "The PEM private key of --tls-cert.")
    Path tlsKey;

    @Option(names = "--tls-client-ca", paramLabel = "FILE", description = "Require client certificates signed by this CA (mutual TLS).")
    Path tlsClientCa;

    @Option(names = "--ca-file", paramLabel = "FILE", description = "CA the CLI verifies the nodes with, written as 'caFile' to the fleet file.")
    Path caFile;

    @Override
    public Integer call() throws InterruptedException {
        FaultPlan plan = faults == null ? FaultPlan.NONE : FaultFile.load(faults);
        if ((tlsCert == null) != (tlsKey == null) || (tlsCert == null && tlsClientCa != null)) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "--tls-cert and --tls-key go together, and --tls-client-ca needs them");
        }
        long t0 = System.nanoTime();
        RunningFleet fleet = FleetSimulator.start(new FleetSimulator.Options(nodes, ServerPresets.get(preset), plan,
                nodesPerRack, basePort, spread, fleetFile, tokenFile),
                tlsCert == null ? null : new dev.kiln.agent.tls.ServerTls(tlsCert, tlsKey, tlsClientCa), caFile);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            fleet.close();
            stopped.countDown();
        }, "kiln-fleet-shutdown"));
        var err = spec.commandLine().getErr();
        err.printf("kiln-agent: %d simulated %s nodes listening on loopback (%d ms); %d fault(s) injected%n",
                fleet.nodes().size(), preset, (System.nanoTime() - t0) / 1_000_000, plan.rules().size());
        err.printf("kiln-agent: fleet file %s, token file %s%n", fleetFile.toAbsolutePath(), fleet.tokenFile().toAbsolutePath());
        err.printf("kiln-agent: try 'bin/kiln status --fleet %s'; Ctrl-C stops the fleet%n", fleetFile);
        err.flush();
        stopped.await();
        return 0;
    }
}
