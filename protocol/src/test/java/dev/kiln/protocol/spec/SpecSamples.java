package dev.kiln.protocol.spec;

import java.util.List;
import java.util.Set;

/** The documented full example (docs/spec-file.md) and what it parses to. */
final class SpecSamples {
    private SpecSamples() {
    }

    static final String SOURCE = "spec.yaml";

    static final String FULL = """
            # The golden spec of our HGX H100 racks (docs/spec-file.md)
            spec: hgx-h100
            description: HGX H100 8-GPU SXM5 80GB, NDR 400G
            gpu:
              count: 8
              model: NVIDIA H100 80GB HBM3
              memoryMiB: 81559
              busIds: [00000000:18:00.0, 00000000:2A:00.0, 00000000:3A:00.0, 00000000:5D:00.0,
                       00000000:9A:00.0, 00000000:AB:00.0, 00000000:BA:00.0, 00000000:DB:00.0]
              vbios: [96.00.74.00.1C]             # allowed versions
              pcie: {generation: 5, width: 16}
              nvlinks: 18                         # per GPU; 0 on PCIe SKUs
              ecc: true
              persistence: true
              mig: false
              powerLimitWatts: 700
            driver: {min: "550.54.15", max: "580.999.999"}
            infiniband: {ports: 8, rateGbps: 400, state: ACTIVE}
            host: {cpuSockets: 2, memoryGiB: 2000}
            thresholds:
              temperatureMarginCelsius: 10
              eccUncorrectable: 0
              xid: {fail: [48, 64, 74, 79, 92, 95], warn: [63, 94], windowMinutes: 60}
            burnin:                               # per-GPU minimums; a test below one FAILs
              computeTflopsFp32: 42.5
              computeTflopsTensor: 510
              hbmGbps: 2465
              pcieGbps: 46.75
            checks:
              disabled: [gpu.processes]
            """;

    static final List<String> HGX_BUS_IDS = List.of(
            "00000000:18:00.0", "00000000:2A:00.0", "00000000:3A:00.0", "00000000:5D:00.0",
            "00000000:9A:00.0", "00000000:AB:00.0", "00000000:BA:00.0", "00000000:DB:00.0");

    static final NodeSpec FULL_SPEC = new NodeSpec("hgx-h100", "HGX H100 8-GPU SXM5 80GB, NDR 400G",
            new NodeSpec.GpuSpec(8, "NVIDIA H100 80GB HBM3", 81559L, HGX_BUS_IDS, List.of("96.00.74.00.1C"),
                    5, 16, 18, true, true, false, 700),
            new NodeSpec.DriverSpec("550.54.15", "580.999.999"),
            new NodeSpec.InfinibandSpec(8, 400.0, "ACTIVE"),
            new NodeSpec.HostSpec(2, 2000L),
            new NodeSpec.Thresholds(10, 0L, new NodeSpec.XidPolicy(Set.of(48, 64, 74, 79, 92, 95), Set.of(63, 94), 60)),
            Set.of("gpu.processes"),
            new NodeSpec.BurninSpec(42.5, 510.0, 2465.0, 46.75));

    /** Only a name: every expectation left out. */
    static final NodeSpec MINIMAL = new NodeSpec("bare", null, null, null, null, null, null, null, null);

    /** 1-based line of the first line of {@code text} that contains {@code fragment}. */
    static int lineOf(String text, String fragment) {
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].contains(fragment)) {
                return i + 1;
            }
        }
        throw new IllegalArgumentException("'" + fragment + "' not in the test text");
    }
}
