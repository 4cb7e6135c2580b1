package dev.kiln.agent.fabric.net;

import dev.kiln.protocol.fabric.FabricFinding;
import dev.kiln.protocol.fabric.FabricPeer;
import dev.kiln.protocol.fabric.FabricTestIds;
import dev.kiln.protocol.fabric.ToolRun;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * perftest's {@code ib_write_bw} between one HCA of this node and one of a peer: the peer's agent starts the server
 * ({@link #serverCommand}, when it opens a fabric session), this node runs the client ({@link #clientCommand}) and
 * parses its report:
 * <pre>
 *  #bytes     #iterations    BW peak[Gb/sec]    BW average[Gb/sec]   MsgRate[Mpps]
 *  65536      3742104          0.00               392.34              0.748331
 * </pre>
 * into {@code bwPeakGbps}, {@code bwAvgGbps} and {@code msgRateMpps}. With {@code -D} (a timed run) perftest
 * does not measure the peak and prints 0.00: {@code bwPeakGbps} is then left out rather than reported as 0.
 * A report in MB/sec (no {@code --report_gbits}; perftest's MB is 2^20 bytes) is converted to Gbit/s.
 * The average is judged against an optional minimum. Missing perftest gives SKIP; a nonzero exit, ERROR with the
 * output's tail; output without the result row, ERROR.
 */
public final class IbWriteBw {
    public static final String TOOL = "ib_write_bw";
    /** Extra time beyond the test's duration for connection setup and teardown. */
    static final Duration SETUP_ALLOWANCE = Duration.ofSeconds(30);

    private static final Pattern HEADER = Pattern.compile(
            "^\\s*#bytes\\s+#iterations\\s+BW peak\\[(Gb|MB)/sec]\\s+BW average\\[(Gb|MB)/sec]\\s+MsgRate\\[Mpps]\\s*$");
    private static final Pattern ROW = Pattern.compile(
            "^\\s*(\\d+)\\s+(\\d+)\\s+([0-9.]+)\\s+([0-9.]+)\\s+([0-9.]+)\\s*$");

    private final ToolRunner runner;

    public IbWriteBw(ToolRunner runner) {
        this.runner = Objects.requireNonNull(runner, "runner");
    }

    /** {@code ib_write_bw -d <dev> -p <port> -D <seconds> --report_gbits -F}: waits for one client, then exits. */
    public static List<String> serverCommand(String device, int port, int seconds) {
        return List.of(TOOL, "-d", device, "-p", Integer.toString(port), "-D", Integer.toString(seconds),
                "--report_gbits", "-F");
    }

    /** The server command plus the server's address. */
    public static List<String> clientCommand(String device, int port, int seconds, String serverAddress) {
        List<String> c = new ArrayList<>(serverCommand(device, port, seconds));
        c.add(serverAddress);
        return List.copyOf(c);
    }

    /** Why ib_write_bw cannot run here, or empty when it is installed. */
    public Optional<String> missing() {
        return runner.find(TOOL).isPresent() ? Optional.empty() : Optional.of(TOOL + " not found in "
                + runner.searched() + ": install perftest (apt install perftest / dnf install perftest, or MLNX_OFED)"
                + " on both nodes");
    }

    /**
     * Starts the server side for a peer's client. It exits after one test; kill it ({@link ToolRunner.Running#killTree})
     * when the session expires unused.
     *
     * @throws java.nio.file.NoSuchFileException when perftest is missing ({@link #missing()} says so first)
     */
    public ToolRunner.Running startServer(String device, int port, int seconds) throws IOException {
        return runner.start(serverCommand(device, port, seconds));
    }

    /**
     * Runs the client against the peer's server and judges it.
     *
     * @param node         this node, for the finding
     * @param device       this node's HCA
     * @param peerNode     the peer, for the finding
     * @param peerDevice   the peer's HCA (its session says which)
     * @param peerAddress  where the peer's server listens
     * @param port         the server's port (the peer's session's {@code ibWritePort})
     * @param seconds      test duration ({@code -D})
     * @param minGbps      minimum average, Gbit/s (null: not judged)
     * @param minSource    where that minimum came from ("spec hgx-h100")
     */
    public ToolOutcome runClient(String node, String device, String peerNode, String peerDevice, String peerAddress,
                                 int port, int seconds, Double minGbps, String minSource, BooleanSupplier cancelled) {
        List<String> command = clientCommand(device, port, seconds, peerAddress);
        Optional<String> missing = missing();
        if (missing.isPresent()) {
            return ToolOutcome.skip(TOOL, command, missing.get());
        }
        ToolRunner.Result r;
        try {
            r = runner.run(command, Duration.ofSeconds(seconds).plus(SETUP_ALLOWANCE), cancelled);
        } catch (IOException e) {
            return ToolOutcome.error(TOOL, command, "cannot start " + TOOL + ": " + e.getMessage(), "");
        }
        String ends = node + " " + device + " -> " + peerNode + " " + (peerDevice == null ? "" : peerDevice + " ")
                + "(" + peerAddress + ":" + port + ")";
        return judge(command, r, minGbps, minSource, List.of(node + " " + device,
                peerNode + (peerDevice == null ? "" : " " + peerDevice)), ends);
    }

    /**
     * {@link #runClient(String, String, String, String, String, int, int, Double, String, BooleanSupplier)} against
     * the server a peer's fabric session started ({@link FabricPeer#ibDevice()}, {@link FabricPeer#ibWritePort()});
     * SKIP when it started none.
     */
    public ToolOutcome runClient(String node, String device, FabricPeer peer, int seconds, Double minGbps,
                                 String minSource, BooleanSupplier cancelled) {
        if (peer.ibWritePort() == null) {
            return ToolOutcome.skip(TOOL, List.of(), "peer " + peer + " started no ib_write_bw server for this"
                    + " session (its session notes say why: perftest missing there, or no HCA)");
        }
        return runClient(node, device, peer.node(), peer.ibDevice(), peer.address(), peer.ibWritePort(), seconds,
                minGbps, minSource, cancelled);
    }

    /** Turns a finished client run into a verdict. */
    static ToolOutcome judge(List<String> command, ToolRunner.Result r, Double minGbps, String minSource,
                             List<String> findingEnds, String what) {
        String killed = ToolOutcome.killedReason(TOOL, r);
        if (killed != null) {
            return ToolOutcome.error(TOOL, command, killed, r.output());
        }
        if (r.exitCode() != 0) {
            return ToolOutcome.error(TOOL, command, TOOL + " exited with status " + r.exitCode() + " (" + what
                    + "): " + lastMeaningfulLine(r.output()), r.output());
        }
        Optional<Map<String, Double>> parsed = parse(r.output());
        if (parsed.isEmpty()) {
            return ToolOutcome.error(TOOL, command, "could not parse " + TOOL + "'s output: no result row under"
                    + " '#bytes #iterations BW peak BW average MsgRate' (" + what + ")", r.output());
        }
        Map<String, Double> m = parsed.get();
        double avg = m.get("bwAvgGbps");
        String tail = ToolOutcome.tail(r.output());
        if (minGbps != null && avg < minGbps) {
            String observed = String.format(Locale.ROOT, "RDMA write %.2f Gbit/s average", avg);
            String expected = String.format(Locale.ROOT, "at least %.0f Gbit/s (%s)", minGbps,
                    minSource == null ? "minimum" : minSource);
            FabricFinding f = FabricFinding.performance(FabricTestIds.RDMA, FabricFinding.FAIL, "port", findingEnds,
                    observed, expected,
                    "RDMA bandwidth between these HCAs is low: a port trained below its rate (see the port's rate in"
                            + " the inventory), a degraded cable/transceiver, PCIe of either HCA, or fabric congestion",
                    "check both ports' rate and error counters (fabric.rdma port deltas); test each HCA against another"
                            + " peer to see which end is slow; reseat or replace the cable/transceiver");
            return new ToolOutcome(new ToolRun(TOOL, command, "FAIL", observed + ", below " + expected + " (" + what
                    + ")", m, tail), List.of(f));
        }
        return new ToolOutcome(new ToolRun(TOOL, command, "PASS", null, m, tail), List.of());
    }

    /**
     * The last result row under perftest's bandwidth header, as {@code bwPeakGbps} (absent when perftest printed
     * 0.00 for a timed run), {@code bwAvgGbps}, {@code msgRateMpps}; empty when there is none.
     */
    public static Optional<Map<String, Double>> parse(String output) {
        if (output == null) {
            return Optional.empty();
        }
        String[] lines = output.split("\\R");
        Map<String, Double> found = null;
        for (int i = 0; i < lines.length; i++) {
            Matcher h = HEADER.matcher(lines[i]);
            if (!h.matches()) {
                continue;
            }
            double peakFactor = factor(h.group(1));
            double avgFactor = factor(h.group(2));
            for (int j = i + 1; j < lines.length; j++) {
                Matcher row = ROW.matcher(lines[j]);
                if (row.matches()) {
                    Map<String, Double> m = new LinkedHashMap<>();
                    double peak = Double.parseDouble(row.group(3)) * peakFactor;
                    double avg = Double.parseDouble(row.group(4)) * avgFactor;
                    if (peak > 0) {
                        m.put("bwPeakGbps", peak);
                    }
                    m.put("bwAvgGbps", avg);
                    m.put("msgRateMpps", Double.parseDouble(row.group(5)));
                    found = m;
                } else if (!lines[j].isBlank() && !lines[j].trim().startsWith("---")) {
                    break;
                }
            }
        }
        return Optional.ofNullable(found);
    }

    /** Gb/sec as is; perftest's MB/sec is 2^20 bytes a second. */
    private static double factor(String unit) {
        return unit.equals("Gb") ? 1.0 : 1048576.0 * 8 / 1e9;
    }

    static String lastMeaningfulLine(String output) {
        String[] lines = output == null ? new String[0] : output.split("\\R");
        for (int i = lines.length - 1; i >= 0; i--) {
            String l = lines[i].trim();
            if (!l.isEmpty() && !l.startsWith("---")) {
                return l.length() > 200 ? l.substring(0, 200) + "..." : l;
            }
        }
        return "no output";
    }
}
