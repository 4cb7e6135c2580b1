package dev.kiln.agent.fabric;

import dev.kiln.nvml.GpuDevice;
import dev.kiln.nvml.GpuTopology;
import dev.kiln.nvml.NvLink;
import dev.kiln.nvml.NvmlSession;
import dev.kiln.protocol.fabric.NvLinkStatus;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads a node's GPU links through the typed NVML API (so simulated and real GPUs go through the same
 * code): every NVLink's state, version, far end and error counters, and the topology of every GPU pair.
 */
public final class LinkReader {
    private final NvmlSession session;

    public LinkReader(NvmlSession session) {
        this.session = session;
    }

    /** One link's reading; counters are lifetime totals (use {@link #deltas}). */
    public record LinkReading(int gpu, String uuid, String pciBusId, int link, boolean active, Integer version,
                              String remotePciBusId, Map<String, Long> counters) {
    }

    /** NVML's view of one GPU pair: the path ({@code NVLINK} or the PCIe common ancestor) and P2P read status. */
    public record PairTopology(int gpuA, int gpuB, String path, String p2p) {
    }

    /** Every NVLink of the GPUs with these NVML indices (all GPUs when empty). */
    public List<LinkReading> links(List<Integer> gpus) {
        List<LinkReading> out = new ArrayList<>();
        for (GpuDevice d : devices(gpus)) {
            String uuid = d.uuid().orElse(null);
            String bus = d.pciInfo().map(dev.kiln.nvml.PciInfo::busId).orElse(null);
            for (NvLink l : d.nvlinks()) {
                Map<String, Long> counters = new LinkedHashMap<>();
                d.nvlinkErrorCounters(l.link()).forEach((c, v) -> counters.put(c.wireName(), v));
                Integer version = l.active() ? d.nvlinkVersion(l.link()).orElse(null) : null;
                out.add(new LinkReading(d.index(), uuid, bus, l.link(), l.active(), version,
                        l.remotePciBusId().orElse(null), counters));
            }
        }
        return out;
    }

    /** The topology of every pair of the given GPUs (a < b). */
    public List<PairTopology> pairs(List<Integer> gpus) {
        List<GpuDevice> ds = devices(gpus);
        List<PairTopology> out = new ArrayList<>();
        for (int i = 0; i < ds.size(); i++) {
            for (int j = i + 1; j < ds.size(); j++) {
                GpuDevice a = ds.get(i);
                GpuDevice b = ds.get(j);
                Optional<GpuTopology.P2pStatus> nvlink = a.p2pStatus(b, GpuTopology.P2pCapability.NVLINK);
                Optional<GpuTopology.P2pStatus> read = a.p2pStatus(b, GpuTopology.P2pCapability.READ);
                String path = nvlink.filter(s -> s == GpuTopology.P2pStatus.OK).isPresent() ? "NVLINK"
                        : a.commonAncestor(b).map(Enum::name).orElse("UNKNOWN");
                out.add(new PairTopology(a.index(), b.index(), path,
                        read.map(GpuTopology.P2pStatus::wireName).orElse("unknown")));
            }
        }
        return out;
    }

    private List<GpuDevice> devices(List<Integer> gpus) {
        List<GpuDevice> out = new ArrayList<>();
        int n = session.deviceCount();
        for (int i = 0; i < n; i++) {
            if (gpus.isEmpty() || gpus.contains(i)) {
                out.add(session.device(i));
            }
        }
        return out;
    }

    /**
     * The links as judged: state and far end from {@code after}, counters as after minus before (a counter
     * that went down, a driver reload, counts from zero: its after value).
     */
    public static List<NvLinkStatus> deltas(List<LinkReading> before, List<LinkReading> after) {
        Map<String, LinkReading> first = new LinkedHashMap<>();
        for (LinkReading r : before) {
            first.put(r.gpu() + "/" + r.link(), r);
        }
        List<NvLinkStatus> out = new ArrayList<>();
        for (LinkReading r : after) {
            LinkReading b = first.get(r.gpu() + "/" + r.link());
            Map<String, Long> d = new LinkedHashMap<>();
            r.counters().forEach((name, v) -> {
                Long was = b == null ? null : b.counters().get(name);
                if (was != null) {
                    d.put(name, v >= was ? v - was : v);
                }
            });
            String remote = r.remotePciBusId() != null ? r.remotePciBusId() : b == null ? null : b.remotePciBusId();
            out.add(new NvLinkStatus(r.gpu(), r.uuid(), r.pciBusId(), r.link(), r.active(), r.version(), remote, d));
        }
        return out;
    }
}
