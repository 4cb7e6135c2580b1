package dev.kiln.agent.checks;

import dev.kiln.protocol.HostInventory;
import dev.kiln.protocol.IbPort;
import dev.kiln.protocol.check.CheckResult;
import dev.kiln.protocol.check.CheckStatus;
import dev.kiln.protocol.event.GpuEvent;
import dev.kiln.protocol.spec.DriverVersions;
import dev.kiln.protocol.spec.NodeSpec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Node-level checks: driver, recent Xids, InfiniBand ports, host CPU and memory. */
final class NodeChecks {
    private NodeChecks() {
    }

    static final class DriverVersion implements Check {
        public String id() {
            return "driver.version";
        }

        public String description() {
            return "the NVIDIA driver is within the spec's version range and exports every NVML symbol Kiln uses";
        }

        public List<CheckResult> run(CheckContext ctx) {
            NodeSpec.DriverSpec spec = ctx.spec().driver();
            if (!ctx.inventory().nvml().available()) {
                return List.of(Results.error(id(), "NVML unavailable: " + ctx.inventory().nvml().reason()));
            }
            String v = ctx.inventory().nvml().driverVersion();
            if (v == null) {
                return List.of(Results.error(id(), "driver version not readable"));
            }
            if (!DriverVersions.isValid(v)) {
                return List.of(Results.error(id(), "driver version '" + v + "' is not dotted numbers; cannot compare"));
            }
            List<CheckResult> out = new ArrayList<>();
            if (spec == null || spec.min() == null && spec.max() == null) {
                out.add(Results.skip(id(), "spec '" + ctx.spec().name() + "' does not set driver.min or driver.max"));
            } else {
                String range = (spec.min() == null ? "" : ">= " + spec.min()) + (spec.min() != null && spec.max() != null
                        ? ", " : "") + (spec.max() == null ? "" : "<= " + spec.max());
                boolean low = spec.min() != null && DriverVersions.compare(v, spec.min()) < 0;
                boolean high = spec.max() != null && DriverVersions.compare(v, spec.max()) > 0;
                out.add(low || high
                        ? Results.node(id(), CheckStatus.FAIL, null, v, range, "driver " + v + " is outside " + range,
                        "install a driver in " + range + " (the fleet's validated range)")
                        : Results.node(id(), CheckStatus.PASS, null, v, range, "driver " + v, null));
            }
            List<String> missing = ctx.inventory().nvml().missingSymbols();
            if (!missing.isEmpty()) {
                out.add(Results.node(id(), CheckStatus.WARN, "nvml-symbols", "lacks " + missing, "all symbols",
                        "driver " + v + " does not export " + missing.size() + " NVML function(s) Kiln uses; "
                                + "their readings are missing", "upgrade the driver"));
            }
            return out;
        }
    }

    static final class XidRecent implements Check {
        public String id() {
            return "gpu.xid.recent";
        }

        public String description() {
            return "no hardware Xid (or other GPU fault event) in this boot or the spec's window";
        }

        public List<CheckResult> run(CheckContext ctx) {
            RecentEvents events = ctx.events();
            if (!events.watching()) {
                return List.of(Results.error(id(), "GPU events are not being watched: " + events.reason()));
            }
            NodeSpec.XidPolicy policy = ctx.spec().thresholds().xid();
            List<GpuEvent> recent = policy.windowMinutes() == null ? events.thisBoot()
                    : events.since(ctx.now().minus(Duration.ofMinutes(policy.windowMinutes())));
            String window = (policy.windowMinutes() == null ? "this boot" : "the last " + policy.windowMinutes() + " min")
                    + events.coverage().map(c -> " (" + c + ")").orElse("");
            Map<Integer, List<GpuEvent>> byGpu = new TreeMap<>();
            for (GpuEvent e : recent) {
                CheckStatus s = severity(e, policy);
                if (s != CheckStatus.PASS) {
                    byGpu.computeIfAbsent(e.gpuIndex(), k -> new ArrayList<>()).add(e);
                }
            }
            if (byGpu.isEmpty()) {
                return List.of(Results.node(id(), CheckStatus.PASS, null, "none in " + window, "none",
                        "no GPU fault events in " + window + " (" + recent.size() + " informational)", null));
            }
            List<CheckResult> out = new ArrayList<>();
            for (Map.Entry<Integer, List<GpuEvent>> entry : byGpu.entrySet()) {
                List<GpuEvent> list = entry.getValue();
                CheckStatus worst = CheckStatus.PASS;
                for (GpuEvent e : list) {
                    worst = CheckStatus.worse(worst, severity(e, policy));
                }
                GpuEvent last = list.get(list.size() - 1);
                String observed = list.stream().map(XidRecent::label).distinct().toList().toString();
                boolean nodeWide = entry.getKey() < 0; // NVML reported it without naming a GPU
                out.add(new CheckResult(id(), worst, nodeWide ? null : gpuRef(ctx, entry.getKey(), last),
                        nodeWide ? "node" : null, observed, "none in " + window,
                        (nodeWide ? "a GPU" : "GPU " + entry.getKey()) + ": " + list.size() + " fault event(s) in " + window
                                + ", last: " + last.description(), action(list), 0));
            }
            return out;
        }

        /** The event's GPU as the inventory names it (serial included), falling back to what the event carried. */
        private static dev.kiln.protocol.check.GpuRef gpuRef(CheckContext ctx, int index, GpuEvent e) {
            for (dev.kiln.protocol.GpuInventory g : ctx.inventory().gpus()) {
                boolean sameUuid = e.uuid() != null && e.uuid().equals(g.uuid());
                if (sameUuid || e.uuid() == null && g.index() == index) {
                    return Results.ref(g);
                }
            }
            return new dev.kiln.protocol.check.GpuRef(index, e.uuid(), null, e.pciBusId());
        }

        static CheckStatus severity(GpuEvent e, NodeSpec.XidPolicy policy) {
            if ("xid".equals(e.type()) && e.code() != null) {
                int code = e.code().intValue();
                return policy.fail().contains(code) ? CheckStatus.FAIL
                        : policy.warn().contains(code) ? CheckStatus.WARN : CheckStatus.PASS;
            }
            return switch (e.severity() == null ? "info" : e.severity()) {
                case "fail" -> CheckStatus.FAIL;
                case "warn" -> CheckStatus.WARN;
                default -> CheckStatus.PASS;
            };
        }

        private static String label(GpuEvent e) {
            return "xid".equals(e.type()) ? "Xid " + e.code() : e.type();
        }

        private static String action(List<GpuEvent> events) {
            for (GpuEvent e : events) {
                if ("xid".equals(e.type()) && e.code() != null) {
                    switch (e.code().intValue()) {
                        case 79:
                            return "GPU fell off the bus: reset or reboot, then reseat; RMA if it recurs";
                        case 48, 95:
                            return "uncorrectable ECC: reset the GPU; RMA if it recurs";
                        case 64:
                            return "row remap failed: reset/reboot promptly, then RMA";
                        case 74:
                            return "NVLink error: check the link and its far end (gpu.nvlink.links); reseat";
                        case 92:
                            return "high single-bit ECC rate: watch it; RMA if it continues";
                        default:
                            break;
                    }
                }
            }
            return "see the events (GET /v1/events) and the Xid catalog; reset the GPU if the driver recommends it";
        }
    }

    static final class IbPortState implements Check {
        public String id() {
            return "ib.port.state";
        }

        public String description() {
            return "the spec's number of InfiniBand/RoCE ports exist and are in the expected state (ACTIVE)";
        }

        public List<CheckResult> run(CheckContext ctx) {
            NodeSpec.InfinibandSpec spec = ctx.spec().infiniband();
            if (spec == null || spec.ports() == null && spec.state() == null) {
                return List.of(Results.skip(id(), "spec '" + ctx.spec().name() + "' does not set infiniband"));
            }
            List<IbPort> ports = ctx.inventory().infiniband();
            List<CheckResult> out = new ArrayList<>();
            if (spec.ports() != null && ports.size() < spec.ports()) {
                out.add(Results.node(id(), CheckStatus.FAIL, "infiniband", ports.size() + " ports", spec.ports() + " ports",
                        ports.size() + " InfiniBand ports found, expected " + spec.ports(),
                        "check that every HCA is seated and its driver loaded (ibstat, lspci -d 15b3:)"));
            }
            String want = spec.state() == null ? "ACTIVE" : spec.state();
            for (IbPort p : ports) {
                String subject = p.device() + "/" + p.port();
                boolean ok = want.equalsIgnoreCase(p.state());
                out.add(Results.node(id(), ok ? CheckStatus.PASS : CheckStatus.FAIL, subject,
                        p.state() + " (" + p.physicalState() + ")", want,
                        ok ? subject + " " + p.state() : subject + " is " + p.state() + " (" + p.physicalState() + "), expected " + want,
                        ok ? null : "check the cable and switch port of " + subject + " (ibstat " + p.device() + "); replace the cable or transceiver"));
            }
            if (out.isEmpty()) {
                out.add(Results.skip(id(), "no InfiniBand ports and none expected"));
            }
            return out;
        }
    }

    static final class IbPortRate implements Check {
        public String id() {
            return "ib.port.rate";
        }

        public String description() {
            return "every InfiniBand/RoCE port runs at the spec's rate";
        }

        public List<CheckResult> run(CheckContext ctx) {
            NodeSpec.InfinibandSpec spec = ctx.spec().infiniband();
            if (spec == null || spec.rateGbps() == null) {
                return List.of(Results.skip(id(), "spec '" + ctx.spec().name() + "' does not set infiniband.rateGbps"));
            }
            List<CheckResult> out = new ArrayList<>();
            for (IbPort p : ctx.inventory().infiniband()) {
                String subject = p.device() + "/" + p.port();
                if (p.rateGbps() == null) {
                    out.add(new CheckResult(id(), CheckStatus.ERROR, null, subject, p.rate(), null,
                            "rate of " + subject + " not readable", null, 0));
                    continue;
                }
                boolean ok = p.rateGbps() >= spec.rateGbps();
                out.add(Results.node(id(), ok ? CheckStatus.PASS : CheckStatus.FAIL, subject, p.rate(),
                        fmt(spec.rateGbps()) + " Gb/sec",
                        ok ? subject + " " + p.rate() : subject + " runs at " + p.rate() + ", expected " + fmt(spec.rateGbps()) + " Gb/sec",
                        ok ? null : "check the cable/transceiver and the switch port speed of " + subject));
            }
            if (out.isEmpty()) {
                out.add(Results.skip(id(), "no InfiniBand ports (ib.port.state reports missing ones)"));
            }
            return out;
        }

        private static String fmt(double d) {
            return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
        }
    }

    static final class HostMemory implements Check {
        public String id() {
            return "host.memory";
        }

        public String description() {
            return "the host has at least the spec's memory";
        }

        public List<CheckResult> run(CheckContext ctx) {
            NodeSpec.HostSpec spec = ctx.spec().host();
            if (spec == null || spec.memoryGiB() == null) {
                return List.of(Results.skip(id(), "spec '" + ctx.spec().name() + "' does not set host.memoryGiB"));
            }
            Long bytes = ctx.inventory().host().memoryTotalBytes();
            if (bytes == null) {
                return List.of(Results.error(id(), "host memory not readable"));
            }
            long gib = bytes / (1024L * 1024 * 1024);
            boolean ok = gib >= spec.memoryGiB();
            return List.of(Results.node(id(), ok ? CheckStatus.PASS : CheckStatus.FAIL, null, gib + " GiB",
                    ">= " + spec.memoryGiB() + " GiB", ok ? gib + " GiB" : "host has " + gib + " GiB, expected at least "
                            + spec.memoryGiB() + " GiB",
                    ok ? null : "find the missing or failed DIMM (dmidecode -t memory, BMC event log) and reseat or replace it"));
        }
    }

    static final class HostCpu implements Check {
        public String id() {
            return "host.cpu";
        }

        public String description() {
            return "the host has the spec's number of CPU sockets";
        }

        public List<CheckResult> run(CheckContext ctx) {
            NodeSpec.HostSpec spec = ctx.spec().host();
            if (spec == null || spec.cpuSockets() == null) {
                return List.of(Results.skip(id(), "spec '" + ctx.spec().name() + "' does not set host.cpuSockets"));
            }
            HostInventory.Cpu cpu = ctx.inventory().host().cpu();
            if (cpu == null || cpu.sockets() == null) {
                return List.of(Results.error(id(), "CPU sockets not readable"));
            }
            boolean ok = cpu.sockets().equals(spec.cpuSockets());
            return List.of(Results.node(id(), ok ? CheckStatus.PASS : CheckStatus.FAIL, null,
                    cpu.sockets() + " x " + cpu.model(), spec.cpuSockets() + " sockets",
                    ok ? cpu.sockets() + " sockets" : cpu.sockets() + " CPU sockets, expected " + spec.cpuSockets(),
                    ok ? null : "check that every CPU is seated and enabled in the BIOS"));
        }
    }
}
