package dev.kiln.nvml.sim;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Built-in whole-server presets: {@code hgx-h100}, {@code hgx-h200}, {@code hgx-b200}, {@code pcie-l40s}. */
public final class ServerPresets {
    private ServerPresets() {
    }

    private static final long MIB = 1024L * 1024L;

    /** Bus ids of the eight GPU baseboard slots of an HGX system, as nvidia-smi lists them. */
    private static final List<String> HGX_BUS_IDS = List.of(
            "00000000:18:00.0", "00000000:2A:00.0", "00000000:3A:00.0", "00000000:5D:00.0",
            "00000000:9A:00.0", "00000000:AB:00.0", "00000000:BA:00.0", "00000000:DB:00.0");
    private static final List<String> HGX_NVSWITCHES = List.of(
            "00000000:05:00.0", "00000000:06:00.0", "00000000:07:00.0", "00000000:08:00.0");

    private static final ServerPreset.HostModel HGX_HOST = new ServerPreset.HostModel(
            "Supermicro", "SYS-821GE-TNHR", "Intel(R) Xeon(R) Platinum 8480+", 2, 56, 2,
            2048L * 1024 * MIB, 8, 400, "mlx5_", "Ubuntu 22.04.4 LTS", "5.15.0-105-generic");

    public static final ServerPreset HGX_H100 = new ServerPreset("hgx-h100",
            "8x NVIDIA H100 SXM5 80GB, NVLink 4 (18 links per GPU), 8x 400G NDR",
            new GpuModel("NVIDIA H100 80GB HBM3", 9, 9, 0, 81559 * MIB, 521 * MIB, 700_000, 87, 92, 95, 85,
                    1980, 2619, 345, 5, 16, "96.00.74.00.1C", "G520.0200.00.05", "692-2G520-0200-000",
                    0x233010DE, 0x16C110DE, 72_000, 33, true),
            HGX_BUS_IDS, 18, HGX_NVSWITCHES, "550.54.15", "12.550.54.15", 12040, HGX_HOST);

    public static final ServerPreset HGX_H200 = new ServerPreset("hgx-h200",
            "8x NVIDIA H200 SXM5 141GB, NVLink 4 (18 links per GPU), 8x 400G NDR",
            new GpuModel("NVIDIA H200", 9, 9, 0, 143771 * MIB, 581 * MIB, 700_000, 87, 92, 95, 85,
                    1980, 3201, 345, 5, 16, "96.00.A5.00.01", "G525.0200.00.05", "692-2G525-0200-000",
                    0x233510DE, 0x18A610DE, 76_000, 32, true),
            HGX_BUS_IDS, 18, HGX_NVSWITCHES, "570.124.06", "12.570.124.06", 12080, HGX_HOST);

    public static final ServerPreset HGX_B200 = new ServerPreset("hgx-b200",
            "8x NVIDIA B200 SXM6 180GB, NVLink 5 (18 links per GPU), 8x 400G NDR",
            new GpuModel("NVIDIA B200", 10, 10, 0, 183359 * MIB, 640 * MIB, 1_000_000, 87, 92, 95, 85,
                    1965, 3996, 345, 5, 16, "97.00.6B.00.02", "G526.0200.00.04", "692-2G526-0200-000",
                    0x290110DE, 0x199910DE, 140_000, 31, true),
            HGX_BUS_IDS, 18, HGX_NVSWITCHES, "580.65.06", "13.580.65.06", 13000,
            new ServerPreset.HostModel("NVIDIA", "DGX B200", "Intel(R) Xeon(R) Platinum 8570", 2, 56, 2,
                    4096L * 1024 * MIB, 8, 400, "mlx5_", "Ubuntu 24.04.2 LTS", "6.8.0-60-generic"));

    public static final ServerPreset PCIE_L40S = new ServerPreset("pcie-l40s",
            "4x NVIDIA L40S 48GB PCIe Gen4, no NVLink, 2x 200G",
            new GpuModel("NVIDIA L40S", 8, 8, 9, 46068 * MIB, 487 * MIB, 350_000, 89, 94, 95, 87,
                    2520, 9001, 210, 4, 16, "95.02.66.00.02", "G133.0242.00.03", "900-2G133-0080-000",
                    0x26B910DE, 0x185110DE, 33_000, 30, true),
            List.of("00000000:17:00.0", "00000000:31:00.0", "00000000:B1:00.0", "00000000:CA:00.0"),
            0, List.of(), "550.54.15", "12.550.54.15", 12040,
            new ServerPreset.HostModel("Dell Inc.", "PowerEdge R760xa", "AMD EPYC 9454 48-Core Processor", 2, 48, 2,
                    768L * 1024 * MIB, 2, 200, "mlx5_", "Rocky Linux 9.4 (Blue Onyx)", "5.14.0-427.13.1.el9_4.x86_64"));

    private static final Map<String, ServerPreset> BY_ID = new LinkedHashMap<>();

    static {
        for (ServerPreset p : List.of(HGX_H100, HGX_H200, HGX_B200, PCIE_L40S)) {
            BY_ID.put(p.id(), p);
        }
    }

    public static Optional<ServerPreset> find(String id) {
        return Optional.ofNullable(BY_ID.get(id));
    }

    /** The preset, or an error that lists the valid ids. */
    public static ServerPreset get(String id) {
        return find(id).orElseThrow(() -> new IllegalArgumentException(
                "unknown simulator preset '" + id + "'; choose one of " + String.join(", ", BY_ID.keySet())));
    }

    public static List<String> ids() {
        return List.copyOf(BY_ID.keySet());
    }
}
