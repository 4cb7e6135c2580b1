package dev.kiln.agent.fabric.net;

import dev.kiln.protocol.fabric.FabricFinding;
import dev.kiln.protocol.fabric.FabricTestIds;
import dev.kiln.protocol.fabric.NetworkResult;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Judges one node's agent-to-agent TCP results, pair by pair. A pair's figure is its slower direction. With an
 * absolute minimum ({@link Thresholds#minGbps()}) every pair must reach it; without one, a pair is slow when it is
 * below {@link Thresholds#relativeFloor()} of the median of all the node's pairs (which needs two pairs at least:
 * one pair has nothing to be compared with). A p99 round trip over {@link Thresholds#maxP99Us()} warns.
 *
 * <p>Whether a slow pair means a bad node or a bad pair is the fleet's question (every node runs against at least
 * two peers; the CLI compares them); this class only says which of this node's pairs are slow. Pure function.
 */
public final class NetworkJudge {
    private NetworkJudge() {
    }

    /**
     * @param minGbps       absolute minimum per pair and direction, Gbit/s (null: relative judging)
     * @param relativeFloor fraction of the median pair a pair must reach when there is no absolute minimum
     * @param maxP99Us      p99 round trip above this warns, microseconds (null: not judged)
     * @param source        where the thresholds came from, for the finding's {@code expected} ("spec hgx-h100")
     */
    public record Thresholds(Double minGbps, double relativeFloor, Double maxP99Us, String source) {
        public static final Thresholds DEFAULT = new Thresholds(null, 0.5, null, "Kiln defaults");

        public Thresholds {
            if (!(relativeFloor > 0 && relativeFloor <= 1)) {
                throw new IllegalArgumentException("relativeFloor must be in (0, 1], got " + relativeFloor);
            }
            source = source == null ? "Kiln defaults" : source;
        }
    }

    public static List<FabricFinding> judge(List<NetworkResult> results, Thresholds t) {
        Thresholds th = t == null ? Thresholds.DEFAULT : t;
        List<FabricFinding> out = new ArrayList<>();
        double[] worsts = results.stream().mapToDouble(NetworkJudge::worst).toArray();
        double median = median(worsts);
        for (NetworkResult r : results) {
            double worst = worst(r);
            String expected = null;
            if (th.minGbps() != null) {
                if (worst < th.minGbps()) {
                    expected = String.format(Locale.ROOT, "at least %s Gbit/s each way (%s)", num(th.minGbps()),
                            th.source());
                }
            } else if (results.size() >= 2 && worst < th.relativeFloor() * median) {
                expected = String.format(Locale.ROOT,
                        "at least %s Gbit/s each way: %.0f %% of the median %s Gbit/s of %s's %d pairs (%s)",
                        num(th.relativeFloor() * median), th.relativeFloor() * 100, num(median), r.node(),
                        results.size(), th.source());
            }
            if (expected != null) {
                out.add(FabricFinding.performance(FabricTestIds.NETWORK, FabricFinding.FAIL, "node-pair",
                        List.of(r.node(), r.peer()), observed(r), expected,
                        "TCP between " + r.node() + " and " + r.peer() + " is slow ("
                                + (r.sendGbps() <= r.receiveGbps() ? r.node() + " -> " + r.peer()
                                : r.peer() + " -> " + r.node()) + " the slower way): either node's NIC or the path"
                                + " between them; the fleet view tells a bad node (slow with every peer) from a bad pair",
                        "compare " + r.node() + "'s and " + r.peer() + "'s other pairs; on the node slow with every peer"
                                + " check the NIC's negotiated speed (ethtool), its cable/optic and switch port counters;"
                                + " if only this pair is slow, check the switch path between them"));
            }
            if (th.maxP99Us() != null && r.rttP99Us() > th.maxP99Us()) {
                out.add(FabricFinding.performance(FabricTestIds.NETWORK, FabricFinding.WARN, "node-pair",
                        List.of(r.node(), r.peer()),
                        String.format(Locale.ROOT, "round trip p99 %.0f us (p50 %.0f us)", r.rttP99Us(), r.rttP50Us()),
                        String.format(Locale.ROOT, "p99 at most %s us (%s)", num(th.maxP99Us()), th.source()),
                        "round trips between " + r.node() + " and " + r.peer() + " have a long tail: packet loss"
                                + " (retransmits), congestion, or an overloaded node",
                        "check both NICs' drop and error counters (ethtool -S, ip -s link) and the switch ports;"
                                + " rerun when the nodes are idle"));
            }
        }
        return out;
    }

    /** The pair's slower direction, Gbit/s. */
    static double worst(NetworkResult r) {
        return Math.min(r.sendGbps(), r.receiveGbps());
    }

    static String observed(NetworkResult r) {
        return String.format(Locale.ROOT, "%s -> %s %.2f Gbit/s, %s -> %s %.2f Gbit/s (%d stream%s)", r.node(),
                r.peer(), r.sendGbps(), r.peer(), r.node(), r.receiveGbps(), r.streams(), r.streams() == 1 ? "" : "s");
    }

    static double median(double[] v) {
        if (v.length == 0) {
            return 0;
        }
        double[] s = v.clone();
        Arrays.sort(s);
        int m = s.length / 2;
        return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
    }

    private static String num(double d) {
        return d >= 100 ? String.format(Locale.ROOT, "%.0f", d)
                : d >= 10 ? String.format(Locale.ROOT, "%.1f", d) : String.format(Locale.ROOT, "%.2f", d);
    }
}
