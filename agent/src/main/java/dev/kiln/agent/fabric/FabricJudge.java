package dev.kiln.agent.fabric;

import dev.kiln.protocol.fabric.FabricFinding;
import dev.kiln.protocol.fabric.FabricTestIds;
import dev.kiln.protocol.fabric.HostBandwidth;
import dev.kiln.protocol.fabric.NvLinkStatus;
import dev.kiln.protocol.fabric.PairBandwidth;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Judges a node's GPU links and names the likely culprit. A GPU that is slow with most of its peers is blamed
 * itself (its NVLinks, its baseboard connector or the GPU), with one finding instead of one per pair; a slow
 * pair whose GPUs are fine with everyone else is blamed as a pair (on NVSwitch systems rare: check both GPUs'
 * links to the switch trays). Host links are judged per GPU, NVLinks per link.
 */
public final class FabricJudge {
    private FabricJudge() {
    }

    /** NVLink error counters whose rise during a test fails the link outright; replay and crc_flit warn below this. */
    static final long RETRY_FAIL_COUNT = 100;

    /**
     * Findings for a node's pair matrix and host links.
     *
     * @param expectNvlink true on NVLink SKUs: every measured pair must then go over NVLink
     * @param describe     "GPU 3 (00000000:5D:00.0)" for an NVML index
     */
    public static List<FabricFinding> p2p(List<PairBandwidth> pairs, List<HostBandwidth> host, FabricThresholds t,
                                          boolean expectNvlink, Function<Integer, String> describe) {
        List<FabricFinding> out = new ArrayList<>();
        // A pair is slow when either direction or both at once is under its minimum, or it lacks the NVLink path it must have.
        Map<String, String> slow = new LinkedHashMap<>();     // "a-b" -> what was wrong
        Map<Integer, Set<Integer>> peers = new TreeMap<>();   // GPU -> every peer measured or expected
        Map<Integer, Set<Integer>> slowPeers = new TreeMap<>();
        for (PairBandwidth p : pairs) {
            peers.computeIfAbsent(p.gpuA(), k -> new LinkedHashSet<>()).add(p.gpuB());
            peers.computeIfAbsent(p.gpuB(), k -> new LinkedHashSet<>()).add(p.gpuA());
            String problem = pairProblem(p, t, expectNvlink);
            if (problem != null) {
                slow.put(p.gpuA() + "-" + p.gpuB(), problem);
                slowPeers.computeIfAbsent(p.gpuA(), k -> new LinkedHashSet<>()).add(p.gpuB());
                slowPeers.computeIfAbsent(p.gpuB(), k -> new LinkedHashSet<>()).add(p.gpuA());
            }
        }
        // GPUs slow with more than half of their peers (and at least two) are the culprits of those pairs.
        Set<Integer> blamed = new LinkedHashSet<>();
        for (Map.Entry<Integer, Set<Integer>> e : slowPeers.entrySet()) {
            int all = peers.get(e.getKey()).size();
            if (e.getValue().size() >= 2 && e.getValue().size() * 2 > all) {
                blamed.add(e.getKey());
            }
        }
        for (int g : blamed) {
            Set<Integer> with = slowPeers.get(g);
            List<PairBandwidth> its = pairs.stream().filter(p -> p.gpuA() == g || p.gpuB() == g)
                    .filter(p -> with.contains(p.gpuA() == g ? p.gpuB() : p.gpuA())).toList();
            double worst = its.stream().mapToDouble(FabricJudge::oneWay).filter(v -> v >= 0).min().orElse(0);
            double median = median(its.stream().mapToDouble(FabricJudge::oneWay).filter(v -> v >= 0).toArray());
            // A pair without the NVLink path it must have is a topology fault, which a repeat cannot undo.
            boolean measured = its.stream().noneMatch(p -> lacksNvlink(p, expectNvlink));
            out.add(new FabricFinding(FabricTestIds.P2P, FabricFinding.FAIL, "gpu",
                    List.of(describe.apply(g), "its " + with.size() + " slow peer(s): GPU " + join(with)),
                    String.format(Locale.ROOT, "%d of %d pairs slow; one way median %.1f GB/s, worst %.1f GB/s",
                            with.size(), peers.get(g).size(), median, worst),
                    expected(t.p2pGBps(), "GB/s one way"),
                    "GPU " + g + " is slow with " + (with.size() == peers.get(g).size() ? "every peer" : "most peers")
                            + ": its NVLinks (see fabric.nvlink for links down or erroring), its baseboard connector, or the GPU",
                    "check fabric.nvlink findings for GPU " + g + "; reseat the GPU/baseboard or RMA it if its links are clean",
                    measured));
        }
        for (PairBandwidth p : pairs) {
            String problem = slow.get(p.gpuA() + "-" + p.gpuB());
            if (problem == null || blamed.contains(p.gpuA()) || blamed.contains(p.gpuB())) {
                continue;
            }
            out.add(new FabricFinding(FabricTestIds.P2P, FabricFinding.FAIL, "gpu-pair",
                    List.of(describe.apply(p.gpuA()), describe.apply(p.gpuB())), problem,
                    expected(t.p2pGBps(), "GB/s one way") + (p.path() == null ? "" : "; path " + p.path()),
                    "only this pair is slow; both GPUs are fine with their other peers: the path between them ("
                            + ("NVLINK".equals(p.path()) ? "their NVSwitch ports" : "PCIe switches/root ports") + ")",
                    "rerun fabric.p2p to confirm; check both GPUs' links to the switch trays and the NVSwitch/PCIe switch between them",
                    !lacksNvlink(p, expectNvlink)));
        }
        for (HostBandwidth h : host) {
            if (t.hostGBps() == null || h.h2dGBps() == null || h.d2hGBps() == null) {
                continue;
            }
            double worst = Math.min(h.h2dGBps(), h.d2hGBps());
            if (worst < t.hostGBps().value()) {
                out.add(FabricFinding.performance(FabricTestIds.P2P, FabricFinding.FAIL, "host-link",
                        List.of(describe.apply(h.gpu()), "host (CPU root port)"),
                        String.format(Locale.ROOT, "host->device %.1f GB/s, device->host %.1f GB/s", h.h2dGBps(), h.d2hGBps()),
                        expected(t.hostGBps(), "GB/s each way"),
                        "GPU " + h.gpu() + "'s PCIe link to the host is slow: trained down (see gpu.pcie.link), a riser or retimer, or the slot",
                        "run `kiln check` for gpu.pcie.link on this node; reseat the GPU/riser, check the BIOS PCIe settings"));
            }
        }
        return out;
    }

    private static boolean lacksNvlink(PairBandwidth p, boolean expectNvlink) {
        return expectNvlink && !"NVLINK".equals(p.path());
    }

    /** What is wrong with one pair, or null. */
    static String pairProblem(PairBandwidth p, FabricThresholds t, boolean expectNvlink) {
        if (lacksNvlink(p, expectNvlink)) {
            return "no NVLink path between the GPUs (NVML path " + p.path() + ", P2P " + p.p2p() + ")";
        }
        if (p.abGBps() == null || p.baGBps() == null) {
            return null; // not measured: no P2P on this SKU between these GPUs (PCIe across sockets)
        }
        List<String> wrong = new ArrayList<>();
        if (t.p2pGBps() != null) {
            double min = t.p2pGBps().value();
            if (p.abGBps() < min) {
                wrong.add(String.format(Locale.ROOT, "GPU %d->%d %.1f GB/s", p.gpuA(), p.gpuB(), p.abGBps()));
            }
            if (p.baGBps() < min) {
                wrong.add(String.format(Locale.ROOT, "GPU %d->%d %.1f GB/s", p.gpuB(), p.gpuA(), p.baGBps()));
            }
        }
        if (t.p2pBidirGBps() != null && p.bidirGBps() != null && p.bidirGBps() < t.p2pBidirGBps().value()) {
            wrong.add(String.format(Locale.ROOT, "bidirectional %.1f GB/s (min %.0f)", p.bidirGBps(),
                    t.p2pBidirGBps().value()));
        }
        if (t.p2pLatencyUs() != null && p.latencyUs() != null && p.latencyUs() > t.p2pLatencyUs().value()) {
            wrong.add(String.format(Locale.ROOT, "latency %.1f us (max %.0f)", p.latencyUs(), t.p2pLatencyUs().value()));
        }
        return wrong.isEmpty() ? null : String.join(", ", wrong);
    }

    /**
     * Findings for NVLinks: links down on a GPU that should have {@code expectedLinks} active (0: not judged),
     * and error counters that rose during the test.
     */
    public static List<FabricFinding> nvlinks(List<NvLinkStatus> links, Integer expectedLinks,
                                              Function<Integer, String> describe) {
        List<FabricFinding> out = new ArrayList<>();
        Map<Integer, List<NvLinkStatus>> byGpu = new TreeMap<>();
        for (NvLinkStatus l : links) {
            byGpu.computeIfAbsent(l.gpu(), k -> new ArrayList<>()).add(l);
        }
        for (Map.Entry<Integer, List<NvLinkStatus>> e : byGpu.entrySet()) {
            int gpu = e.getKey();
            long active = e.getValue().stream().filter(NvLinkStatus::active).count();
            // Far ends of the GPU's links, so a down link's likely far end can be named from the wiring pattern.
            for (NvLinkStatus l : e.getValue()) {
                if (!l.active() && expectedLinks != null && expectedLinks > 0) {
                    String farEnd = l.remotePciBusId() != null ? "far end " + l.remotePciBusId()
                            : "far end not reported while the link is down";
                    out.add(new FabricFinding(FabricTestIds.NVLINK, FabricFinding.FAIL, "nvlink",
                            List.of(describe.apply(gpu) + " NVLink " + l.link(), farEnd),
                            "link down (" + active + " of " + expectedLinks + " links active)",
                            "all " + expectedLinks + " NVLinks active",
                            "NVLink " + l.link() + " of GPU " + gpu + " is down: the GPU's link, the baseboard/NVSwitch tray connector, or the switch port",
                            "reset the GPU (nvidia-smi -r) and rerun; if it stays down, reseat the baseboard/NVSwitch tray or RMA"));
                }
                for (Map.Entry<String, Long> c : new TreeMap<>(l.errorDeltas()).entrySet()) {
                    if (c.getValue() <= 0) {
                        continue;
                    }
                    boolean retry = c.getKey().equals("replay") || c.getKey().equals("crc_flit");
                    String severity = retry && c.getValue() < RETRY_FAIL_COUNT ? FabricFinding.WARN : FabricFinding.FAIL;
                    out.add(new FabricFinding(FabricTestIds.NVLINK, severity, "nvlink",
                            List.of(describe.apply(gpu) + " NVLink " + l.link(),
                                    l.remotePciBusId() == null ? "far end unknown" : "far end " + l.remotePciBusId()),
                            c.getKey() + " errors rose by " + c.getValue() + " during the test",
                            retry ? "fewer than " + RETRY_FAIL_COUNT + " " + c.getKey() + " errors (retries), none at best"
                                    : "no " + c.getKey() + " errors",
                            "NVLink " + l.link() + " of GPU " + gpu + " corrupts data in flight: a marginal link, connector or switch port",
                            "rerun fabric.nvlink; if the counter keeps rising, reseat the baseboard/NVSwitch tray or RMA the GPU"));
                }
            }
        }
        return out;
    }

    private static double oneWay(PairBandwidth p) {
        if (p.abGBps() == null || p.baGBps() == null) {
            return -1;
        }
        return Math.min(p.abGBps(), p.baGBps());
    }

    private static double median(double[] v) {
        if (v.length == 0) {
            return 0;
        }
        double[] s = v.clone();
        java.util.Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static String expected(FabricThresholds.Minimum m, String unit) {
        return m == null ? "not judged (no minimum in the spec or Kiln's defaults)"
                : String.format(Locale.ROOT, ">= %s %s (%s)", trim(m.value()), unit, m.source());
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    private static String join(Set<Integer> s) {
        return String.join(", ", s.stream().map(String::valueOf).toList());
    }
}
