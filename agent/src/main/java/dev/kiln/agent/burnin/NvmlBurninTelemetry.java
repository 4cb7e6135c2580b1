package dev.kiln.agent.burnin;

import dev.kiln.nvml.ClockEventReason;
import dev.kiln.nvml.ClockInfo;
import dev.kiln.nvml.EccInfo;
import dev.kiln.nvml.EventSubscription;
import dev.kiln.nvml.GpuDevice;
import dev.kiln.nvml.NvmlEvent;
import dev.kiln.nvml.NvmlEventType;
import dev.kiln.nvml.NvmlSession;
import dev.kiln.nvml.PowerInfo;
import dev.kiln.nvml.RemappedRows;
import dev.kiln.protocol.burnin.TelemetrySample;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * NVML telemetry of the GPUs of one burn-in: a {@link TelemetrySample} per call, with the ECC, remapped-row and
 * PCIe-replay counters as deltas since this object was made (the job's start), Xids from an NVML event subscription
 * (those since the previous sample of that GPU), and the total-energy counter for per-test energy.
 *
 * <p>Counters a GPU or driver does not report stay {@code null} in the sample (never 0): "not read" is not "none".
 * Thread-safe: the sampler thread and the per-GPU test threads call it at once.
 */
final class NvmlBurninTelemetry implements AutoCloseable {
    private final NvmlSession session;
    private final Map<Integer, GpuDevice> devices = new HashMap<>();
    private final Map<Integer, Baseline> baselines = new HashMap<>();
    private final Map<Integer, List<Integer>> pendingXids = new HashMap<>();   // guarded by itself
    private final EventSubscription xids;

    /** Counter values when the job started; null where the GPU does not report the counter. */
    private record Baseline(Long eccUncorrectable, Long remappedRows, Long pcieReplays) {
    }

    NvmlBurninTelemetry(NvmlSession session, List<Integer> indices) {
        this.session = session;
        for (int i : indices) {
            GpuDevice d = session.device(i);
            devices.put(i, d);
            baselines.put(i, new Baseline(eccUncorrectable(d), remappedRows(d), pcieReplays(d)));
            pendingXids.put(i, new ArrayList<>());
        }
        EventSubscription sub;
        try {
            sub = session.subscribeEvents(Set.of(NvmlEventType.XID_CRITICAL_ERROR));
        } catch (RuntimeException e) {
            sub = null;   // no Xids then; the counters and the test results still judge the GPU
        }
        this.xids = sub;
    }

    private GpuDevice device(int index) {
        GpuDevice d = devices.get(index);
        if (d == null) {
            throw new IllegalArgumentException("GPU " + index + " is not part of this burn-in");
        }
        return d;
    }

    /** Volatile uncorrectable ECC errors (since the driver loaded), else the aggregate count; null when neither. */
    static Long eccUncorrectable(GpuDevice d) {
        Optional<EccInfo> ecc = d.ecc();
        if (ecc.isEmpty() || !ecc.get().enabled()) {
            return null;
        }
        return ecc.get().volatileUncorrected().or(() -> ecc.get().aggregateUncorrected()).orElse(null);
    }

    /** Rows remapped for any reason (correctable and uncorrectable); null when the GPU does not remap rows. */
    static Long remappedRows(GpuDevice d) {
        Optional<RemappedRows> r = d.remappedRows();
        return r.map(x -> (long) x.correctable() + x.uncorrectable()).orElse(null);
    }

    static Long pcieReplays(GpuDevice d) {
        return d.pcie().replayCounter().map(Integer::longValue).orElse(null);
    }

    private static Long delta(Long now, Long base) {
        if (now == null) {
            return null;
        }
        return base == null ? null : Math.max(0, now - base);
    }

    /** Moves every Xid event that arrived into the per-GPU queues. */
    private void drainXids() {
        if (xids == null || !xids.active()) {
            return;
        }
        while (true) {
            Optional<NvmlEvent> e;
            try {
                e = xids.poll(0);
            } catch (RuntimeException ex) {
                return;
            }
            if (e.isEmpty()) {
                return;
            }
            Optional<Long> code = e.get().xid();
            List<Integer> q = pendingXids.get(e.get().gpuIndex());
            if (code.isPresent() && q != null) {
                synchronized (pendingXids) {
                    q.add(code.get().intValue());
                }
            }
        }
    }

    TelemetrySample sample(int index) {
        GpuDevice d = device(index);
        drainXids();
        Baseline b = baselines.get(index);
        // Read everything first: if a reading throws (common right after an Xid), the queued Xids
        // stay queued for the next sample instead of being dropped with this one.
        ClockInfo clocks = d.clocks();
        PowerInfo power = d.power();
        List<String> reasons = clocks.eventReasons().stream().map(ClockEventReason::id).toList();
        Integer temperature = d.temperatureCelsius().orElse(null);
        Integer memoryTemperature = d.memoryTemperatureCelsius().orElse(null);
        Long ecc = delta(eccUncorrectable(d), b.eccUncorrectable());
        Long remapped = delta(remappedRows(d), b.remappedRows());
        Long replays = delta(pcieReplays(d), b.pcieReplays());
        List<Integer> newXids;
        synchronized (pendingXids) {
            List<Integer> q = pendingXids.get(index);
            newXids = List.copyOf(q);
            q.clear();
        }
        return new TelemetrySample(Instant.now(), index, temperature, memoryTemperature,
                power.usageMilliwatts().orElse(null), clocks.smMhz().orElse(null), reasons, ecc, remapped, replays,
                newXids);
    }

    /** NVML's total-energy counter (millijoules since the driver loaded), if the GPU has one. */
    Optional<Long> energyMillijoules(int index) {
        return device(index).power().totalEnergyMillijoules();
    }

    /** The GPU temperature now, if readable. */
    Optional<Integer> temperatureCelsius(int index) {
        return device(index).temperatureCelsius();
    }

    NvmlSession session() {
        return session;
    }

    @Override
    public void close() {
        if (xids != null) {
            xids.close();
        }
    }
}
