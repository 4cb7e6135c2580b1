package dev.kiln.cli.report;

import dev.kiln.protocol.fabric.PairBandwidth;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * A made-up rollout for demos, tests and the headless-browser check ({@code tools/report/render-check.sh}): racks
 * of 20 HGX H100 nodes (8 GPUs) contacted rack by rack, each through inventory, checks, a 4-hour burn-in with
 * telemetry every minute, and a fabric test, then signed off. Faults at fixed places: burn-in memory errors, a
 * hot GPU, a slow NVLink GPU, a PCIe link that needs a reseat, a GPU off the bus (two RMAs), a retried check with a
 * long wait, an accepted node with warnings, a node accepted with its burn-in waived (no telemetry), the last rack
 * still in burn-in and three nodes never contacted. The same arguments always give the same model.
 */
public final class SyntheticReport {
    public static final Instant START = Instant.parse("2025-06-02T06:00:00Z");
    private static final String[] BUS = {"18", "2A", "3A", "5D", "9A", "AB", "BA", "DB"};
    private static final int GPUS = 8;
    private static final int PER_RACK = 20;

    private SyntheticReport() {
    }

    /** {@code nodes} nodes (racks of 20) generated from {@code seed}; "now" is 10 h 30 min after the start. */
    public static ReportModel fleet(int nodes, long seed) {
        Random rnd = new Random(seed);
        int racks = (nodes + PER_RACK - 1) / PER_RACK;
        Instant now = START.plus(Duration.ofMinutes(Math.max(630, 40L * (racks - 1) + 270)));
        List<NodeReport> out = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            int rack = i / PER_RACK;
            out.add(node(i, rack, racks, rnd, now));
        }
        return ReportModel.of(new FleetInfo("synthetic-h100-" + nodes, now, List.of("run-" + seed)), out);
    }

    private static NodeReport node(int i, int rack, int racks, Random rnd, Instant now) {
        String name = String.format(Locale.ROOT, "gpu-node-%03d", i + 1);
        String rackName = String.format(Locale.ROOT, "rack-%02d", rack + 1);
        boolean lastRack = rack == racks - 1;
        if (lastRack && i % PER_RACK >= PER_RACK - 3 && racks > 1) {
            return new NodeReport(name, rackName, Verdict.NOT_STARTED, null, null, null,
                    List.of(new Finding(Severity.ERROR, null, "agent.reachable", name,
                            "no answer on port 9443 since the rollout started", "check cabling and BMC power-on")),
                    null, null, null);
        }
        Instant fc = START.plus(Duration.ofSeconds(rack * 2400L + (i % PER_RACK) * 90L + rnd.nextInt(300)));
        List<Stage> stages = new ArrayList<>();
        List<Finding> findings = new ArrayList<>();
        List<RmaGpu> rma = new ArrayList<>();
        List<GpuSeries> telemetry = new ArrayList<>();
        List<PairBandwidth> fabric = List.of();
        Fault fault = Fault.of(i);

        Instant t = fc.plusSeconds(rnd.nextInt(120));
        Instant end = t.plusSeconds(60 + rnd.nextInt(120));
        stages.add(new Stage("inventory", StageState.PASSED, t, end, "8 GPUs, 2 CPUs, 8 HCAs; matches hgx-h100"));
        t = end.plusSeconds(rnd.nextInt(600));
        end = t.plusSeconds(120 + rnd.nextInt(180));
        if (fault == Fault.RETRIED_CHECK) {
            stages.add(new Stage("checks", StageState.FAILED, t, end, "23 PASS, 1 FAIL"));
            findings.add(new Finding(Severity.WARN, "checks", "ib.port.state", "mlx5_3/1",
                    "port down on the first run; up after the cable was reseated", null));
            t = end.plus(Duration.ofMinutes(170));
            end = t.plusSeconds(150);
            stages.add(new Stage("checks (retry)", StageState.PASSED, t, end, "24 PASS"));
        } else if (fault == Fault.PCIE_RESEAT) {
            stages.add(new Stage("checks", StageState.FAILED, t, end, "23 PASS, 1 FAIL"));
            findings.add(new Finding(Severity.FAIL, "checks", "gpu.pcie.link",
                    "GPU 5 (serial " + serial(i, 5) + ")", "PCIe link Gen4 x8 (observed Gen4 x8, expected Gen5 x16)",
                    "reseat GPU 5 in its baseboard slot, then re-run kiln check"));
            return new NodeReport(name, rackName, Verdict.QUARANTINED, fc, null, stages, findings, rma, telemetry,
                    fabric);
        } else {
            stages.add(new Stage("checks", StageState.PASSED, t, end, "24 PASS"));
        }

        // burn-in
        t = end.plusSeconds(300 + rnd.nextInt(2100));
        if (fault == Fault.WAIVED) {
            stages.add(new Stage("burnin", StageState.SKIPPED, t, t, "waived: vendor burn-in report accepted"));
            end = t;
        } else {
            Duration length = Duration.ofMinutes(235 + rnd.nextInt(15));
            Instant planned = t.plus(length);
            boolean running = planned.isAfter(now);
            end = running ? now : planned;
            telemetry = telemetry(i, t, end, fault, rnd);
            if (running) {
                stages.add(new Stage("burnin", StageState.RUNNING, t, null, "compute, memory, HBM, PCIe on 8 GPUs"));
                stages.add(new Stage("fabric", StageState.PENDING, null, null, null));
                return new NodeReport(name, rackName, Verdict.IN_PROGRESS, fc, null, stages, findings, rma,
                        telemetry, fabric);
            }
            switch (fault) {
                case MEMORY -> {
                    stages.add(new Stage("burnin", StageState.FAILED, t, end, "7 GPUs PASS, GPU 3 FAIL"));
                    findings.add(new Finding(Severity.FAIL, "burnin", "burnin.memory",
                            "GPU 3 (serial " + serial(i, 3) + ")",
                            "12 mismatches, first at 0x7f3a00001000: expected 0xffffffff, got 0xfffffeff",
                            "RMA GPU 3"));
                    findings.add(new Finding(Severity.FAIL, "burnin", "gpu.ecc.uncorrectable",
                            "GPU 3 (serial " + serial(i, 3) + ")", "2 uncorrectable ECC errors, 1 row remap pending",
                            "RMA GPU 3"));
                    rma.add(gpu(i, 3, "burnin.memory: 12 mismatches in the walking-ones pattern",
                            "2 uncorrectable ECC errors during burn-in"));
                }
                case HOT -> {
                    stages.add(new Stage("burnin", StageState.FAILED, t, end, "7 GPUs PASS, GPU 6 FAIL"));
                    findings.add(new Finding(Severity.FAIL, "burnin", "burnin.compute",
                            "GPU 6 (serial " + serial(i, 6) + ")",
                            "HW slowdown at 92 \u00b0C; 38 % below the expected 650 TFLOPS",
                            "check the heatsink and airflow, then RMA GPU 6 if it repeats"));
                    rma.add(gpu(i, 6, "thermal slowdown at 92 \u00b0C under compute load, 38 % below expected"));
                }
                case OFF_BUS -> {
                    stages.add(new Stage("burnin", StageState.ERROR, t, end, "GPU 1 fell off the bus (Xid 79)"));
                    findings.add(new Finding(Severity.ERROR, "burnin", "burnin.compute",
                            "GPU 1 (serial " + serial(i, 1) + ")", "GPU has fallen off the bus (Xid 79)",
                            "RMA GPU 1"));
                    findings.add(new Finding(Severity.FAIL, "burnin", "gpu.row.remap",
                            "GPU 4 (serial " + serial(i, 4) + ")", "row remapping failed on 1 bank",
                            "RMA GPU 4"));
                    rma.add(gpu(i, 1, "Xid 79: fell off the bus during burnin.compute"));
                    rma.add(gpu(i, 4, "row remapping failure", "uncorrectable ECC count 1"));
                }
                case WARN -> {
                    stages.add(new Stage("burnin", StageState.PASSED, t, end, "8 GPUs PASS"));
                    findings.add(new Finding(Severity.WARN, "burnin", "burnin.thermal",
                            "GPU 0 (serial " + serial(i, 0) + ")", "SW thermal slowdown for 41 s at 87 \u00b0C",
                            "watch this GPU's temperature after the next maintenance"));
                }
                default -> stages.add(new Stage("burnin", StageState.PASSED, t, end, "8 GPUs PASS"));
            }
            if (fault == Fault.MEMORY || fault == Fault.HOT || fault == Fault.OFF_BUS) {
                stages.add(new Stage("fabric", StageState.SKIPPED, null, null, "not run after a failed burn-in"));
                return new NodeReport(name, rackName, Verdict.QUARANTINED, fc, null, stages, findings, rma,
                        telemetry, fabric);
            }
        }

        // fabric
        t = end.plusSeconds(60 + rnd.nextInt(540));
        end = t.plusSeconds(900 + rnd.nextInt(900));
        if (end.isAfter(now)) {
            stages.add(new Stage("fabric", StageState.RUNNING, t, null, null));
            return new NodeReport(name, rackName, Verdict.IN_PROGRESS, fc, null, stages, findings, rma, telemetry,
                    fabric);
        }
        fabric = fabric(i, rnd, fault == Fault.SLOW_NVLINK ? 2 : -1);
        if (fault == Fault.SLOW_NVLINK) {
            stages.add(new Stage("fabric", StageState.FAILED, t, end, "GPU 2 slow with every peer"));
            findings.add(new Finding(Severity.FAIL, "fabric", "fabric.p2p", "gpu: GPU 2 (00000000:3A:00.0)",
                    "GPU 2 is slow with every peer: its NVLinks or the GPU (observed 118 GB/s, expected >= 335 GB/s "
                            + "(hgx-h100))", "reseat GPU 2; RMA it if the matrix repeats"));
            rma.add(gpu(i, 2, "fabric.p2p: 118 GB/s to every peer, minimum 335 GB/s"));
            return new NodeReport(name, rackName, Verdict.QUARANTINED, fc, null, stages, findings, rma, telemetry,
                    fabric);
        }
        stages.add(new Stage("fabric", StageState.PASSED, t, end, "56 pairs at or above 335 GB/s"));
        Instant accepted = end.plusSeconds(300 + rnd.nextInt(2400));
        if (accepted.isAfter(now)) {
            return new NodeReport(name, rackName, Verdict.IN_PROGRESS, fc, null, stages, findings, rma, telemetry,
                    fabric);
        }
        return new NodeReport(name, rackName, Verdict.ACCEPTED, fc, accepted, stages, findings, rma, telemetry,
                fabric);
    }

    private enum Fault {
        NONE, MEMORY, HOT, SLOW_NVLINK, PCIE_RESEAT, OFF_BUS, RETRIED_CHECK, WARN, WAIVED;

        static Fault of(int i) {
            return switch (i) {
                case 16 -> MEMORY;
                case 44 -> HOT;
                case 87 -> SLOW_NVLINK;
                case 122 -> PCIE_RESEAT;
                case 149 -> OFF_BUS;
                case 32 -> RETRIED_CHECK;
                case 60 -> WARN;
                case 98, 3 -> WAIVED;
                default -> NONE;
            };
        }
    }

    private static List<GpuSeries> telemetry(int node, Instant from, Instant to, Fault fault, Random rnd) {
        List<GpuSeries> out = new ArrayList<>();
        long total = Duration.between(from, to).getSeconds();
        for (int g = 0; g < GPUS; g++) {
            boolean hot = fault == Fault.HOT && g == 6;
            boolean lost = fault == Fault.OFF_BUS && g == 1;
            double steady = 66 + (g % 4) * 2.5 + rnd.nextDouble() * 4 + (hot ? 20 : 0);
            List<TelemetryPoint> pts = new ArrayList<>();
            for (long s = 0; s <= total; s += 60) {
                double phase = s / 14_400.0;
                double power = phase < 0.45 ? 690 : phase < 0.75 ? 430 : phase < 0.9 ? 560 : 350;
                double tempTarget = steady - (690 - power) / 40.0;
                double temp = 31 + (tempTarget - 31) * (1 - Math.exp(-s / 420.0)) + rnd.nextGaussian() * 0.6;
                double watts = s < 60 ? 120 : power + rnd.nextGaussian() * 8;
                int clock = 1980;
                if (hot && temp > 88) {
                    watts *= 0.62;
                    clock = 1410;
                }
                if (fault == Fault.WARN && g == 0 && s >= 3000 && s < 3060) {
                    temp = 87;
                    clock = 1755;
                }
                Instant at = from.plusSeconds(s);
                if (lost && s > total * 0.3) {
                    pts.add(new TelemetryPoint(at, null, null, null));
                } else {
                    pts.add(new TelemetryPoint(at, round1(temp), round1(watts), clock));
                }
            }
            out.add(new GpuSeries(g, pts));
        }
        return out;
    }

    private static List<PairBandwidth> fabric(int node, Random rnd, int slowGpu) {
        List<PairBandwidth> pairs = new ArrayList<>();
        for (int a = 0; a < GPUS; a++) {
            for (int b = a + 1; b < GPUS; b++) {
                boolean slow = a == slowGpu || b == slowGpu;
                double ab = slow ? 116 + rnd.nextDouble() * 4 : 366 + rnd.nextDouble() * 8;
                double ba = slow ? 116 + rnd.nextDouble() * 4 : 366 + rnd.nextDouble() * 8;
                pairs.add(new PairBandwidth(a, b, bus(a), bus(b), "NVLINK", "ok", round1(ab), round1(ba),
                        round1(ab + ba), round1(2.0 + rnd.nextDouble() * 0.4), 335.0, "hgx-h100"));
            }
        }
        return pairs;
    }

    private static RmaGpu gpu(int node, int g, String... reasons) {
        return new RmaGpu(g, serial(node, g), uuid(node, g), bus(g), List.of(reasons));
    }

    static String serial(int node, int g) {
        return String.format(Locale.ROOT, "1654922%06d", node * 10 + g);
    }

    private static String uuid(int node, int g) {
        return String.format(Locale.ROOT, "GPU-%08x-%04x-4%03x-8%03x-%012x", 0x5a1e0000 + node, g, node % 4096, g,
                (long) node * 1_000_003L + g);
    }

    private static String bus(int g) {
        return "00000000:" + BUS[g % BUS.length] + ":00.0";
    }

    private static double round1(double v) {
        return Math.round(v * 10) / 10.0;
    }

    /**
     * {@code SyntheticReport OUT_DIR [NODES [SEED]]}: writes {@code report.html}, {@code report.json},
     * {@code report-junit.xml}, {@code report.csv} and {@code report-rma.csv} for a synthetic fleet (default 200
     * nodes, seed 7).
     */
    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: SyntheticReport OUT_DIR [NODES [SEED]]");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        int nodes = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        long seed = args.length > 2 ? Long.parseLong(args[2]) : 7;
        Files.createDirectories(dir);
        ReportModel model = fleet(nodes, seed);
        HtmlReport.write(model, dir.resolve("report.html"));
        JsonReport.write(model, false, dir.resolve("report.json"));
        JunitReport.write(model, dir.resolve("report-junit.xml"));
        CsvReport.write(model, dir.resolve("report.csv"));
        System.out.println(dir.resolve("report.html"));
    }
}
