package dev.kiln.agent.fabric;

import dev.kiln.protocol.spec.NodeSpec;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The minimums a node's links are judged by: the spec's {@code fabric} section field by field, else Kiln's
 * default for the GPU model (matched on the NVML name), else none (the figure is reported, not judged).
 * Defaults: NVLink 4 pairs (H100, H200) at least 335 GB/s one way (the and NVIDIA's p2pBandwidthLatencyTest
 * figures of about 370 less 10%), NVLink 5 (B200) 670; PCIe-only L40S judged on PCIe Gen4 figures.
 */
public record FabricThresholds(Minimum p2pGBps, Minimum p2pBidirGBps, Minimum p2pLatencyUs, Minimum hostGBps,
                               Minimum networkGbitps, Minimum rdmaGbitps, Minimum ncclBusbwGBps) {

    /** One minimum (or maximum, for latency) and where it came from ({@code spec hgx-h100}, {@code Kiln's default for H100}). */
    public record Minimum(double value, String source) {
    }

    static final Map<String, NodeSpec.FabricSpec> DEFAULTS = new LinkedHashMap<>();

    static {
        DEFAULTS.put("H100", new NodeSpec.FabricSpec(335.0, 600.0, 15.0, 46.75, null, 360.0, 350.0));
        DEFAULTS.put("H200", new NodeSpec.FabricSpec(335.0, 600.0, 15.0, 46.75, null, 360.0, 350.0));
        DEFAULTS.put("B200", new NodeSpec.FabricSpec(670.0, 1200.0, 15.0, 46.75, null, 360.0, 650.0));
        DEFAULTS.put("L40S", new NodeSpec.FabricSpec(18.0, 30.0, 25.0, 21.25, null, 180.0, null));
    }

    public static final FabricThresholds NONE = new FabricThresholds(null, null, null, null, null, null, null);

    /**
     * @param spec     the spec's fabric section (null: none)
     * @param specName the spec's name, for the source
     * @param gpuName  the NVML name of the node's GPUs (null: no GPU defaults)
     */
    public static FabricThresholds resolve(NodeSpec.FabricSpec spec, String specName, String gpuName) {
        NodeSpec.FabricSpec dflt = null;
        String model = null;
        if (gpuName != null) {
            for (Map.Entry<String, NodeSpec.FabricSpec> e : DEFAULTS.entrySet()) {
                if (gpuName.contains(e.getKey())) {
                    dflt = e.getValue();
                    model = e.getKey();
                    break;
                }
            }
        }
        String specSource = "spec " + specName;
        String dfltSource = "Kiln's default for " + model;
        NodeSpec.FabricSpec s = spec;
        NodeSpec.FabricSpec d = dflt;
        return new FabricThresholds(
                pick(s == null ? null : s.p2pGBps(), specSource, d == null ? null : d.p2pGBps(), dfltSource),
                pick(s == null ? null : s.p2pBidirGBps(), specSource, d == null ? null : d.p2pBidirGBps(), dfltSource),
                pick(s == null ? null : s.p2pLatencyUs(), specSource, d == null ? null : d.p2pLatencyUs(), dfltSource),
                pick(s == null ? null : s.hostGBps(), specSource, d == null ? null : d.hostGBps(), dfltSource),
                pick(s == null ? null : s.networkGbitps(), specSource, d == null ? null : d.networkGbitps(), dfltSource),
                pick(s == null ? null : s.rdmaGbitps(), specSource, d == null ? null : d.rdmaGbitps(), dfltSource),
                pick(s == null ? null : s.ncclBusbwGBps(), specSource, d == null ? null : d.ncclBusbwGBps(), dfltSource));
    }

    private static Minimum pick(Double fromSpec, String specSource, Double fromDefault, String defaultSource) {
        if (fromSpec != null) {
            return new Minimum(fromSpec, specSource);
        }
        return fromDefault == null ? null : new Minimum(fromDefault, defaultSource);
    }
}
