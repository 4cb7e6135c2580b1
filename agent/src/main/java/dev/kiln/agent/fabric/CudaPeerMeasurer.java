package dev.kiln.agent.fabric;

import dev.kiln.agent.burnin.BurninBackend;
import dev.kiln.cuda.CudaDevice;
import dev.kiln.cuda.CudaSession;
import dev.kiln.cuda.burnin.Outcome;
import dev.kiln.cuda.fabric.PeerCopyMatrix;
import dev.kiln.protocol.fabric.HostBandwidth;
import dev.kiln.protocol.fabric.PairBandwidth;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.DoubleConsumer;

/**
 * {@code fabric.p2p} on real GPUs: {@link PeerCopyMatrix} through the CUDA driver API. NVML indices are matched to
 * CUDA devices by PCI bus id (CUDA's default order is fastest-first, not NVML's), never by position.
 */
public final class CudaPeerMeasurer implements PeerMeasurer, AutoCloseable {
    private final CudaSession cuda;
    private final PeerCopyMatrix matrix;

    public CudaPeerMeasurer(CudaSession cuda, PeerCopyMatrix matrix) {
        this.cuda = cuda;
        this.matrix = matrix;
    }

    @Override
    public Measurement measure(List<BurninBackend.GpuRef> gpus, List<LinkReader.PairTopology> topology,
                               Duration budget, BooleanSupplier cancelled, DoubleConsumer progress) {
        Map<String, CudaDevice> byBus = new HashMap<>();
        for (CudaDevice d : cuda.devices()) {
            byBus.put(CudaDevice.normalizeBusId(d.pciBusId()), d);
        }
        gpus = gpus.stream().sorted(java.util.Comparator.comparingInt(BurninBackend.GpuRef::index)).toList();
        List<CudaDevice> devices = new ArrayList<>();
        for (BurninBackend.GpuRef g : gpus) {
            CudaDevice d = g.pciBusId() == null ? null : byBus.get(CudaDevice.normalizeBusId(g.pciBusId()));
            if (d == null) {
                throw new IllegalStateException("CUDA does not see GPU " + g.index() + " (" + g.pciBusId()
                        + "; CUDA sees " + byBus.keySet() + "): is CUDA_VISIBLE_DEVICES set for the agent?");
            }
            devices.add(d);
        }
        PeerCopyMatrix.Result r = matrix.run(devices, budget, cancelled, p -> progress.accept(p.fraction()));
        if (r.outcome() == Outcome.ERROR) {
            throw new IllegalStateException(r.error() == null ? "peer copies failed"
                    : r.error().message() + " (" + r.error().function() + ")");
        }
        Map<String, LinkReader.PairTopology> topo = new HashMap<>();
        topology.forEach(t -> topo.put(t.gpuA() + "-" + t.gpuB(), t));
        List<PairBandwidth> pairs = new ArrayList<>();
        for (PeerCopyMatrix.Pair p : r.pairs()) {
            // PeerCopyMatrix pairs are a < b in list order; the list is in NVML index order, so a is the lower index.
            BurninBackend.GpuRef lo = gpus.get(p.a());
            BurninBackend.GpuRef hi = gpus.get(p.b());
            LinkReader.PairTopology t = topo.get(lo.index() + "-" + hi.index());
            pairs.add(new PairBandwidth(lo.index(), hi.index(), lo.pciBusId(), hi.pciBusId(),
                    t == null ? null : t.path(), t == null ? (p.peerAccess() ? "ok" : "not_supported") : t.p2p(),
                    round(p.abGBps()), round(p.baGBps()),
                    round(p.bidirGBps()), round(p.latencyUs()), null, null));
        }
        List<HostBandwidth> host = new ArrayList<>();
        for (PeerCopyMatrix.Host h : r.host()) {
            BurninBackend.GpuRef g = gpus.get(h.device());
            host.add(new HostBandwidth(g.index(), g.pciBusId(), round(h.h2dGBps()), round(h.d2hGBps()), null, null));
        }
        return new Measurement(pairs, host);
    }

    private static Double round(Double v) {
        return v == null ? null : Math.round(v * 10) / 10.0;
    }

    @Override
    public void close() {
        cuda.close();
    }
}
