package dev.kiln.protocol;

import java.time.Instant;
import java.util.List;

/** Hand-built wire documents: one with every field set, one with every nullable field null. */
final class SampleDocuments {
    static final Instant COLLECTED = Instant.parse("2025-03-14T09:26:53.589Z");

    private SampleDocuments() {
    }

    static GpuInventory fullGpu(int index) {
        return new GpuInventory(index, GpuInventory.STATE_OK, null, "NVIDIA H100 80GB HBM3",
                "GPU-6f1d6c1e-0b8a-3c1a-9d2e-5f0e8a7b1c0" + index, "165492300012" + index, "692-2G520-0200-000",
                "96.00.74.00.1C", "G520.0200.00.05",
                new GpuInventory.Pci("00000000:18:00.0", 0, 0x18, 0, "0x233010DE", "0x16C110DE"),
                index, "hopper", "9.0",
                85_520_809_984L, 546_308_096L, 84_974_501_888L, 546_308_096L,
                33, 87, 92, 95, 85,
                72_000, 700_000, 700_000, 700_000, 123_456_789L,
                345, 2619, 1980, 2619,
                List.of("gpu_idle", "sw_power_cap"),
                0, 0,
                new GpuInventory.Ecc(true, true, 0L, 0L, 1L, 0L),
                new GpuInventory.RemappedRows(0, 0, false, false),
                new GpuInventory.Pcie(5, 16, 5, 16, 5, 0),
                List.of(new GpuInventory.NvLink(0, true, "00000000:05:00.0"),
                        new GpuInventory.NvLink(1, false, "00000000:06:00.0")),
                true,
                new GpuInventory.Mig(false, false),
                List.of(new GpuInventory.Process(4242L, 1_073_741_824L)),
                "none");
    }

    /** A GPU that fell off the bus: every reading null, identity kept. */
    static GpuInventory lostGpu(int index) {
        return new GpuInventory(index, GpuInventory.STATE_LOST, "reset the GPU or reboot the node", null,
                "GPU-lost", "1654923000999", null, null, null, null, null, null, null,
                null, null, null, null, null, null, null, null, null, null, null, null, null, null,
                null, null, null, null, List.of(), null, null, null, null,
                new GpuInventory.Pcie(null, null, null, null, null, null), List.of(), null, null, null, null);
    }

    static InventoryDocument full() {
        return new InventoryDocument(1, InventoryDocument.KIND, COLLECTED,
                new NodeIdentity("node-001", "gpu-a01", NodeInfo.MODE_SIMULATED, "hgx-h100", "0.1.0",
                        "1b3c5d7e-aaaa-bbbb-cccc-0123456789ab"),
                new HostInventory("gpu-a01", "Supermicro", "SYS-821GE-TNHR", "S123456789", "Ubuntu 22.04.4 LTS",
                        "5.15.0-105-generic",
                        new HostInventory.Cpu("Intel(R) Xeon(R) Platinum 8480+", 2, 112, 224),
                        2_199_023_255_552L,
                        List.of(new HostInventory.Disk("nvme0n1", "SAMSUNG MZQL23T8HCLS-00A07", "S64HNE0T1",
                                3_840_755_982_336L)),
                        List.of(new HostInventory.Nic("eno1", "b8:3f:d2:10:00:01", 25_000_000_000L,
                                List.of("10.0.0.1"), 1500, true))),
                new NvmlStatus(true, null, "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1", "550.54.15",
                        "12.550.54.15", "12.4", List.of("nvmlDeviceGetMemoryInfo_v2")),
                List.of(fullGpu(0), fullGpu(1)),
                List.of(new IbPort("mlx5_0", 1, "ACTIVE", 4, "LinkUp", 5, 400.0, "400 Gb/sec (4X NDR)", "InfiniBand",
                        "28.39.1002", "a088:c203:0000:0001")),
                List.of(new ErrorEntry("gpu", 1, "powerUsage", "ERROR_NO_PERMISSION", "no permission")));
    }

    /** No NVML, nothing known: every nullable field null, every list empty. */
    static InventoryDocument sparse() {
        return new InventoryDocument(1, InventoryDocument.KIND, COLLECTED,
                new NodeIdentity("n1", null, NodeInfo.MODE_REAL, null, "0.1.0", null),
                new HostInventory(null, null, null, null, null, null,
                        new HostInventory.Cpu(null, null, null, null), null,
                        List.of(new HostInventory.Disk(null, null, null, null)),
                        List.of(new HostInventory.Nic("lo", null, null, List.of(), null, null))),
                new NvmlStatus(false, "NVML library not found: libnvidia-ml.so.1", null, null, null, null, List.of()),
                List.of(lostGpu(0)),
                List.of(new IbPort("mlx5_0", 1, null, null, null, null, null, null, null, null, null)),
                List.of(new ErrorEntry("nvml", null, null, "NVML_UNAVAILABLE", "NVML library not found")));
    }

    static NodeInfo nodeInfo() {
        return new NodeInfo(1, "node-001", "gpu-a01", "0.1.0", COLLECTED, 42, NodeInfo.MODE_SIMULATED, "hgx-h100",
                new NvmlStatus(true, null, "simulator hgx-h100 (node-001)", "550.54.15", "12.550.54.15", "12.4",
                        List.of()), 8);
    }
}
