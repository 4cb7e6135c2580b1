package dev.kiln.protocol.spec;

import java.util.List;
import java.util.Set;

/**
 * A golden node spec: what one SKU of GPU server is supposed to be. Any expectation left null is
 * not checked (the check reports SKIP and says which spec field is missing). Read from YAML by
 * {@code SpecFile}, written by {@code kiln spec capture}, sent as JSON in {@code POST /v1/checks}.
 *
 * @param name           stable identifier, e.g. {@code hgx-h100}
 * @param disabledChecks check ids this SKU does not run (e.g. {@code gpu.mig})
 * @param burnin         per-GPU burn-in throughput minimums; null: Kiln's per-GPU-model defaults judge
 * @param fabric         interconnect minimums; null: Kiln's per-GPU-model defaults judge
 */
public record NodeSpec(
        String name,
        String description,
        GpuSpec gpu,
        DriverSpec driver,
        InfinibandSpec infiniband,
        HostSpec host,
        Thresholds thresholds,
        Set<String> disabledChecks,
        BurninSpec burnin,
        FabricSpec fabric) {

    public NodeSpec {
        disabledChecks = disabledChecks == null ? Set.of() : Set.copyOf(disabledChecks);
        thresholds = thresholds == null ? Thresholds.DEFAULT : thresholds;
    }

    /** A spec without a {@code fabric} section. */
    public NodeSpec(String name, String description, GpuSpec gpu, DriverSpec driver, InfinibandSpec infiniband,
                    HostSpec host, Thresholds thresholds, Set<String> disabledChecks, BurninSpec burnin) {
        this(name, description, gpu, driver, infiniband, host, thresholds, disabledChecks, burnin, null);
    }

    /**
     * @param count           GPUs NVML must enumerate
     * @param model           NVML device name, e.g. {@code NVIDIA H100 80GB HBM3}
     * @param memoryMiB       total frame buffer per GPU as NVML reports it (MiB)
     * @param busIds          expected PCI bus ids of the GPU slots, so a missing GPU is named by slot
     * @param vbios           allowed VBIOS versions
     * @param pcieGeneration  expected maximum PCIe generation of every GPU link
     * @param pcieWidth       expected maximum PCIe width
     * @param nvlinks         NVLinks per GPU, all expected active; 0 on PCIe SKUs (no NVLink expectations)
     * @param powerLimitWatts expected enforced power limit per GPU
     */
    public record GpuSpec(Integer count, String model, Long memoryMiB, List<String> busIds, List<String> vbios,
                          Integer pcieGeneration, Integer pcieWidth, Integer nvlinks, Boolean ecc,
                          Boolean persistence, Boolean mig, Integer powerLimitWatts) {
        public GpuSpec {
            busIds = busIds == null ? List.of() : List.copyOf(busIds);
            vbios = vbios == null ? List.of() : List.copyOf(vbios);
        }
    }

    /** Allowed driver versions, inclusive, compared numerically part by part ({@code 550.54.15}). */
    public record DriverSpec(String min, String max) {
    }

    /** InfiniBand/RoCE ports: how many, at what rate, in what state (normally {@code ACTIVE}). */
    public record InfinibandSpec(Integer ports, Double rateGbps, String state) {
    }

    /**
     * Host expectations: CPU sockets and minimum memory; and the host's power draw besides its GPUs.
     *
     * @param overheadWatts what the node draws at full load besides its GPUs (CPUs, NVSwitches, NICs, fans,
     *                      drives, power-supply loss), watts; {@code kiln bringup} adds it to the GPUs' enforced
     *                      power limits to estimate a node's burn-in draw against the fleet file's power budgets.
     *                      Not a check. Null: not set (a node under a power budget then cannot be planned)
     */
    public record HostSpec(Integer cpuSockets, Long memoryGiB, Integer overheadWatts) {
        /** Without a power overhead. */
        public HostSpec(Integer cpuSockets, Long memoryGiB) {
            this(cpuSockets, memoryGiB, null);
        }
    }

    /**
     * @param temperatureMarginCelsius WARN when a GPU is within this many degrees of its slowdown threshold
     * @param eccUncorrectable         FAIL when volatile uncorrectable ECC errors exceed this
     * @param xid                      how Xid events of this boot (or test window) are judged
     */
    public record Thresholds(Integer temperatureMarginCelsius, Long eccUncorrectable, XidPolicy xid) {
        public static final Thresholds DEFAULT = new Thresholds(10, 0L, XidPolicy.DEFAULT);

        public Thresholds {
            temperatureMarginCelsius = temperatureMarginCelsius == null ? 10 : temperatureMarginCelsius;
            eccUncorrectable = eccUncorrectable == null ? 0L : eccUncorrectable;
            xid = xid == null ? XidPolicy.DEFAULT : xid;
        }
    }

    /**
     * Minimum throughput each GPU must reach in burn-in (a test below it FAILs after a confirming repeat).
     * Any minimum left null falls back to Kiln's per-GPU-model default, if there is one.
     *
     * @param computeTflopsFp32   FP32 FMA TFLOP/s ({@code burnin.compute}, metric {@code tflops})
     * @param computeTflopsTensor tensor-core TFLOP/s ({@code burnin.compute}, metric {@code tensorTflops})
     * @param hbmGbps             device-memory copy bandwidth, GB/s ({@code burnin.hbm-bandwidth})
     * @param pcieGbps            pinned host-device bandwidth each way, GB/s ({@code burnin.pcie})
     */
    public record BurninSpec(Double computeTflopsFp32, Double computeTflopsTensor, Double hbmGbps, Double pcieGbps) {
    }

    /**
     * Interconnect minimums ({@code fabric.*} tests). Units are in the names: GB/s is 10^9 bytes/s, Gbit/s
     * 10^9 bits/s. Any field left null falls back to Kiln's per-GPU-model default, if there is one.
     *
     * @param p2pGBps       one-way copy bandwidth of every GPU pair with P2P ({@code fabric.p2p}); NVLink
     *                      pairs on HGX H100 are expected at >= 335
     * @param p2pBidirGBps  both directions at once, summed
     * @param p2pLatencyUs  maximum median latency of a small peer copy, microseconds
     * @param hostGBps      pinned host<->device copy bandwidth each way, per GPU
     * @param networkGbitps TCP throughput between agents, each direction ({@code fabric.network}); null: pairs
     *                      are judged against the fleet's median
     * @param rdmaGbitps    perftest ib_write_bw average bandwidth per HCA pair ({@code fabric.rdma})
     * @param ncclBusbwGBps nccl-tests all_reduce_perf average bus bandwidth ({@code fabric.nccl})
     */
    public record FabricSpec(Double p2pGBps, Double p2pBidirGBps, Double p2pLatencyUs, Double hostGBps,
                             Double networkGbitps, Double rdmaGbitps, Double ncclBusbwGBps) {
    }

    /**
     * @param fail          Xids that fail a node (hardware faults)
     * @param warn          Xids that warn
     * @param windowMinutes judge only events this recent (null: everything since this boot)
     */
    public record XidPolicy(Set<Integer> fail, Set<Integer> warn, Integer windowMinutes) {
        /** Per shared/reference/field-facts.md: 48 DBE, 64 remap failure, 74 NVLink, 79 off the bus, 92 SBE rate, 95 uncontained; 63 and 94 warn. */
        public static final XidPolicy DEFAULT = new XidPolicy(Set.of(48, 64, 74, 79, 92, 95), Set.of(63, 94), null);

        public XidPolicy {
            fail = fail == null ? Set.of() : Set.copyOf(fail);
            warn = warn == null ? Set.of() : Set.copyOf(warn);
        }
    }
}
