package dev.kiln.agent.metrics;

import dev.kiln.agent.core.NodeAgent;
import dev.kiln.agent.metrics.TextExposition.Family;
import dev.kiln.agent.metrics.TextExposition.Type;
import dev.kiln.protocol.GpuInventory;
import dev.kiln.protocol.InventoryDocument;
import dev.kiln.protocol.burnin.BurninRequest;
import dev.kiln.protocol.burnin.GpuTestResult;
import dev.kiln.protocol.burnin.JobState;
import dev.kiln.protocol.burnin.JobStatus;
import dev.kiln.protocol.check.CheckReport;
import dev.kiln.protocol.check.CheckResult;
import dev.kiln.protocol.check.CheckStatus;
import dev.kiln.protocol.event.GpuEvent;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code GET /metrics}: one node's state in the Prometheus text format. GPU readings use the names,
 * types, units and labels of NVIDIA's dcgm-exporter ({@code DCGM_FI_DEV_*} with {@code gpu}, {@code UUID},
 * {@code pci_bus_id}, {@code device}, {@code modelName}, {@code Hostname}, {@code DCGM_FI_DRIVER_VERSION}),
 * so dashboards built for it work unchanged; Kiln's own state is {@code kiln_*}. See docs/metrics.md.
 *
 * <p>A scrape is cheap by construction: it reads the agent's memoized inventory (GPUs 1 s, host 30 s),
 * the events already drained, the last check report and the job table. It never runs a check or a
 * burn-in, so a Prometheus scraping every few seconds costs at most one NVML walk per second.
 */
public final class PrometheusMetrics {
    /** The text format's content type (version 0.0.4). */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    /** Jobs shown in {@code kiln_job_*}: the most recent ones, plus any still running. */
    static final int JOBS_SHOWN = 10;
    private static final double MIB = 1024.0 * 1024.0;
    /** The event types {@code kiln_events_total} always lists (at 0 until one happens), as in {@code GpuEvent}. */
    static final List<String> EVENT_TYPES = List.of("xid", "ecc_double_bit", "ecc_single_bit_storm", "remap",
            "remap_failure", "gpu_unavailable", "recovery_action", "other");

    private PrometheusMetrics() {
    }

    /**
     * Everything one scrape shows, read from memory.
     *
     * @param lastCheck      the last {@code POST /v1/checks} report in this process, or null
     * @param eventsThisBoot GPU events of the node's current boot (the Xid gauge's source)
     * @param eventCounts    events recorded by this agent process, per type
     */
    public record Source(InventoryDocument inventory, CheckReport lastCheck, List<JobStatus> jobs,
                         boolean eventsWatched, List<GpuEvent> eventsThisBoot, Map<String, Long> eventCounts) {
    }

    /** Reads a scrape's worth of state from {@code agent}; memoized readings only. */
    public static Source read(NodeAgent agent) {
        InventoryDocument inventory = agent.inventory(false);
        List<GpuEvent> boot = agent.recentEvents().thisBoot();
        return new Source(inventory, agent.lastCheckReport().orElse(null), agent.jobs().list(),
                agent.eventsWatched(), boot, agent.events().recordedCounts());
    }

    /** {@link #read} then {@link #render}. */
    public static String scrape(NodeAgent agent) {
        return render(read(agent));
    }

    public static String render(Source s) {
        return exposition(s).render();
    }

    /** The exposition before rendering (tests check {@link TextExposition#duplicatesDropped()}). */
    static TextExposition exposition(Source s) {
        TextExposition out = new TextExposition();
        dcgm(out, s);
        kiln(out, s);
        return out;
    }

    // --- dcgm-exporter compatible GPU metrics ------------------------------------------------

    private static void dcgm(TextExposition out, Source s) {
        InventoryDocument inv = s.inventory();
        String hostname = inv.host() != null && inv.host().hostname() != null ? inv.host().hostname()
                : inv.node().hostname();
        String driver = inv.nvml() == null ? null : inv.nvml().driverVersion();
        // Declared in dcgm-exporter's default-counters.csv order, so a diff against its output reads easily.
        Family smClock = out.family("DCGM_FI_DEV_SM_CLOCK", Type.GAUGE, "SM clock frequency (in MHz).");
        Family memClock = out.family("DCGM_FI_DEV_MEM_CLOCK", Type.GAUGE, "Memory clock frequency (in MHz).");
        Family gpuTemp = out.family("DCGM_FI_DEV_GPU_TEMP", Type.GAUGE, "GPU temperature (in C).");
        Family power = out.family("DCGM_FI_DEV_POWER_USAGE", Type.GAUGE, "Power draw (in W).");
        Family energy = out.family("DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", Type.COUNTER,
                "Total energy consumption since boot (in mJ).");
        Family replay = out.family("DCGM_FI_DEV_PCIE_REPLAY_COUNTER", Type.COUNTER, "Total number of PCIe retries.");
        Family gpuUtil = out.family("DCGM_FI_DEV_GPU_UTIL", Type.GAUGE, "GPU utilization (in %).");
        Family memUtil = out.family("DCGM_FI_DEV_MEM_COPY_UTIL", Type.GAUGE, "Memory utilization (in %).");
        Family xid = out.family("DCGM_FI_DEV_XID_ERRORS", Type.GAUGE, "Value of the last XID error encountered.");
        Family fbFree = out.family("DCGM_FI_DEV_FB_FREE", Type.GAUGE, "Framebuffer memory free (in MiB).");
        Family fbUsed = out.family("DCGM_FI_DEV_FB_USED", Type.GAUGE, "Framebuffer memory used (in MiB).");
        Family fbTotal = out.family("DCGM_FI_DEV_FB_TOTAL", Type.GAUGE, "Framebuffer memory total (in MiB).");
        Family sbeVol = out.family("DCGM_FI_DEV_ECC_SBE_VOL_TOTAL", Type.COUNTER,
                "Total number of single-bit volatile ECC errors.");
        Family dbeVol = out.family("DCGM_FI_DEV_ECC_DBE_VOL_TOTAL", Type.COUNTER,
                "Total number of double-bit volatile ECC errors.");
        Family sbeAgg = out.family("DCGM_FI_DEV_ECC_SBE_AGG_TOTAL", Type.COUNTER,
                "Total number of single-bit persistent ECC errors.");
        Family dbeAgg = out.family("DCGM_FI_DEV_ECC_DBE_AGG_TOTAL", Type.COUNTER,
                "Total number of double-bit persistent ECC errors.");
        Family remapUnc = out.family("DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS", Type.COUNTER,
                "Number of remapped rows for uncorrectable errors");
        Family remapCor = out.family("DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS", Type.COUNTER,
                "Number of remapped rows for correctable errors");
        Family remapFailure = out.family("DCGM_FI_DEV_ROW_REMAP_FAILURE", Type.GAUGE,
                "Whether remapping of rows has failed");
        Family remapPending = out.family("DCGM_FI_DEV_ROW_REMAP_PENDING", Type.GAUGE,
                "Whether remapping of rows is pending (a GPU reset applies it)");
        Family powerLimit = out.family("DCGM_FI_DEV_POWER_MGMT_LIMIT", Type.GAUGE, "Current power limit (in W).");
        Family linkGen = out.family("DCGM_FI_DEV_PCIE_LINK_GEN", Type.GAUGE, "PCIe link generation in use.");
        Family linkWidth = out.family("DCGM_FI_DEV_PCIE_LINK_WIDTH", Type.GAUGE, "PCIe link width in use (lanes).");

        Map<String, Long> lastXid = lastXidPerGpu(s.eventsThisBoot());
        for (GpuInventory g : inv.gpus()) {
            String[] l = dcgmLabels(g, hostname, driver);
            smClock.add(g.clockSmMhz(), l);
            memClock.add(g.clockMemoryMhz(), l);
            gpuTemp.add(g.temperatureCelsius(), l);
            power.add(g.powerUsageMilliwatts() == null ? null : g.powerUsageMilliwatts() / 1000.0, l);
            energy.add(g.energyConsumedMillijoules(), l);
            replay.add(g.pcie() == null ? null : g.pcie().replayCounter(), l);
            gpuUtil.add(g.utilizationGpuPercent(), l);
            memUtil.add(g.utilizationMemoryPercent(), l);
            if (s.eventsWatched()) {
                // As DCGM: the code of the latest Xid, 0 when none; "latest" here means of this boot.
                Long code = lastXid.get(gpuKey(g.uuid(), g.index()));
                xid.add(code == null ? 0L : code, l);
            }
            fbFree.add(mib(g.memoryFreeBytes()), l);
            fbUsed.add(mib(g.memoryUsedBytes()), l);
            fbTotal.add(mib(g.memoryTotalBytes()), l);
            GpuInventory.Ecc ecc = g.ecc();
            if (ecc != null && ecc.enabled()) {
                sbeVol.add(ecc.volatileCorrected(), l);
                dbeVol.add(ecc.volatileUncorrected(), l);
                sbeAgg.add(ecc.aggregateCorrected(), l);
                dbeAgg.add(ecc.aggregateUncorrected(), l);
            }
            GpuInventory.RemappedRows rows = g.remappedRows();
            if (rows != null) {
                remapUnc.add(rows.uncorrectable(), l);
                remapCor.add(rows.correctable(), l);
                remapFailure.add(rows.failureOccurred() ? 1 : 0, l);
                remapPending.add(rows.pending() ? 1 : 0, l);
            }
            powerLimit.add(g.powerLimitMilliwatts() == null ? null : g.powerLimitMilliwatts() / 1000.0, l);
            if (g.pcie() != null) {
                linkGen.add(g.pcie().currentGeneration(), l);
                linkWidth.add(g.pcie().currentWidth(), l);
            }
        }
    }

    private static String[] dcgmLabels(GpuInventory g, String hostname, String driver) {
        String index = Integer.toString(g.index());
        return new String[]{"gpu", index, "UUID", g.uuid(), "pci_bus_id", g.pci() == null ? null : g.pci().busId(),
                "device", "nvidia" + index, "modelName", g.name(), "Hostname", hostname,
                "DCGM_FI_DRIVER_VERSION", driver};
    }

    private static Long mib(Long bytes) {
        return bytes == null ? null : (long) Math.floor(bytes / MIB);
    }

    /** A GPU is its UUID where known (indices shift when a GPU goes missing), else its index; as the event log keys it. */
    private static String gpuKey(String uuid, int index) {
        return uuid != null ? uuid : "index:" + index;
    }

    static Map<String, Long> lastXidPerGpu(List<GpuEvent> events) {
        Map<String, GpuEvent> latest = new HashMap<>();
        for (GpuEvent e : events) {
            if ("xid".equals(e.type()) && e.code() != null) {
                latest.merge(gpuKey(e.uuid(), e.gpuIndex()), e,
                        (a, b) -> b.time().isBefore(a.time()) ? a : b);
            }
        }
        Map<String, Long> codes = new HashMap<>();
        latest.forEach((k, e) -> codes.put(k, e.code()));
        return codes;
    }

    // --- Kiln's own state --------------------------------------------------------------------

    private static void kiln(TextExposition out, Source s) {
        InventoryDocument inv = s.inventory();
        out.family("kiln_agent_info", Type.GAUGE, "The kiln-agent answering: its version, mode (real or simulated) "
                        + "and simulator preset; always 1.")
                .add(1, "version", inv.node().kilnVersion(), "mode", inv.node().mode(),
                        "preset", inv.node().simulatorPreset() == null ? "" : inv.node().simulatorPreset());
        boolean nvmlUp = inv.nvml() != null && inv.nvml().available();
        out.family("kiln_nvml_up", Type.GAUGE, "1 when NVML loaded and answers, 0 when not (see GET /v1/inventory "
                + "for the reason).").add(nvmlUp ? 1 : 0);
        out.family("kiln_gpus", Type.GAUGE, "GPUs NVML reports on this node.").add(inv.gpus().size());
        Family up = out.family("kiln_gpu_up", Type.GAUGE,
                "1 when the GPU answers NVML, 0 when it is lost, needs a reset or cannot be reached.");
        for (GpuInventory g : inv.gpus()) {
            up.add(GpuInventory.STATE_OK.equals(g.state()) ? 1 : 0, "gpu", Integer.toString(g.index()),
                    "UUID", g.uuid(), "pci_bus_id", g.pci() == null ? null : g.pci().busId());
        }
        checks(out, s.lastCheck());
        jobs(out, s.jobs());
        out.family("kiln_events_watched", Type.GAUGE, "1 while NVML GPU events (Xid, ECC, row remap) are watched.")
                .add(s.eventsWatched() ? 1 : 0);
        Family events = out.family("kiln_events_total", Type.COUNTER,
                "GPU events this agent process recorded, by type (xid, ecc_double_bit, remap, ...).");
        Map<String, Long> counts = new TreeMap<>();
        EVENT_TYPES.forEach(t -> counts.put(t, 0L));
        counts.putAll(s.eventCounts());
        counts.forEach((type, n) -> events.add(n, "type", type));
    }

    /** 0 pass, 1 skip, 2 warn, 3 fail, 4 error: higher is worse, so {@code >= 3} alerts on failures. */
    static int statusCode(String status) {
        if (status == null) {
            return 4;
        }
        return switch (status.toUpperCase(java.util.Locale.ROOT)) {
            case "PASS" -> 0;
            case "SKIP" -> 1;
            case "WARN" -> 2;
            case "FAIL" -> 3;
            default -> 4;
        };
    }

    private static final String STATUS_CODES = "0 pass, 1 skip, 2 warn, 3 fail, 4 error";

    private static void checks(TextExposition out, CheckReport report) {
        Family status = out.family("kiln_check_status", Type.GAUGE, "Result of each check in the last POST /v1/checks "
                + "of this agent process, worst per check and GPU (gpu=\"\" for node-level results): " + STATUS_CODES + ".");
        Family verdict = out.family("kiln_check_verdict", Type.GAUGE,
                "Verdict of the last POST /v1/checks of this agent process: " + STATUS_CODES + ".");
        Family when = out.family("kiln_check_last_run_timestamp_seconds", Type.GAUGE,
                "When the last POST /v1/checks of this agent process started (Unix time).");
        if (report == null) {
            return;
        }
        Map<String, Integer> worst = new LinkedHashMap<>();
        for (CheckResult r : report.results()) {
            String gpu = r.gpu() == null || r.gpu().index() == null ? "" : r.gpu().index().toString();
            worst.merge(r.id() + "\u0000" + gpu, statusCode(r.status() == null ? null : r.status().name()), Math::max);
        }
        worst.forEach((key, code) -> {
            int split = key.indexOf('\u0000');
            status.add(code, "check", key.substring(0, split), "gpu", key.substring(split + 1));
        });
        verdict.add(statusCode(report.verdict() == null ? CheckStatus.ERROR.name() : report.verdict().name()),
                "spec", report.spec() == null ? "" : report.spec());
        if (report.startedAt() != null) {
            when.add(seconds(report.startedAt()));
        }
    }

    /** 0 queued, 1 running, 2 passed, 3 failed, 4 cancelled, 5 interrupted, 6 error (the JobState order). */
    private static final String JOB_CODES = "0 queued, 1 running, 2 passed, 3 failed, 4 cancelled, 5 interrupted, 6 error";

    private static void jobs(TextExposition out, List<JobStatus> jobs) {
        Family state = out.family("kiln_job_state", Type.GAUGE, "State of this node's recent jobs (the last "
                + JOBS_SHOWN + " and any running): " + JOB_CODES + ".");
        Family progress = out.family("kiln_job_progress_ratio", Type.GAUGE,
                "Progress of this node's recent jobs, 0 to 1.");
        Family running = out.family("kiln_job_running", Type.GAUGE, "1 while a burn-in or fabric job runs on this node.");
        List<JobStatus> recent = new ArrayList<>(jobs);
        recent.sort(Comparator.comparing(JobStatus::createdAt, Comparator.nullsFirst(Comparator.naturalOrder()))
                .reversed());
        int shown = 0;
        boolean anyRunning = false;
        for (JobStatus j : recent) {
            boolean live = j.state() != null && !j.state().terminal();
            anyRunning |= live;
            if (shown >= JOBS_SHOWN && !live) {
                continue;
            }
            shown++;
            String type = j.request() == null || j.request().type() == null ? BurninRequest.TYPE : j.request().type();
            state.add(j.state() == null ? JobState.ERROR.ordinal() : j.state().ordinal(), "job", j.id(), "type", type);
            progress.add(Math.max(0.0, Math.min(1.0, j.progress())), "job", j.id(), "type", type);
        }
        running.add(anyRunning ? 1 : 0);

        Family last = out.family("kiln_burnin_last_verdict", Type.GAUGE, "Verdict of each test on each GPU in the "
                + "last burn-in that ended on this node: " + STATUS_CODES + ".");
        Family lastWhen = out.family("kiln_burnin_last_finished_timestamp_seconds", Type.GAUGE,
                "When the last burn-in that ended on this node ended (Unix time).");
        JobStatus lastBurnin = recent.stream()
                .filter(j -> j.state() != null && j.state().terminal() && j.finishedAt() != null)
                .filter(j -> j.request() == null || !j.request().fabric())
                .max(Comparator.comparing(JobStatus::finishedAt)).orElse(null);
        if (lastBurnin == null) {
            return;
        }
        Map<String, Integer> worst = new LinkedHashMap<>();
        for (GpuTestResult r : lastBurnin.results()) {
            worst.merge(r.gpuIndex() + "\u0000" + r.test(), statusCode(r.verdict()), Math::max);
        }
        worst.forEach((key, code) -> {
            int split = key.indexOf('\u0000');
            last.add(code, "gpu", key.substring(0, split), "test", key.substring(split + 1));
        });
        lastWhen.add(seconds(lastBurnin.finishedAt()));
    }

    private static double seconds(Instant t) {
        return t.getEpochSecond() + t.getNano() / 1e9;
    }
}
