package dev.kiln.cli.report;

import dev.kiln.protocol.burnin.TelemetrySample;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** One GPU's burn-in telemetry, in time order (the constructor sorts it). */
public record GpuSeries(int gpuIndex, List<TelemetryPoint> points) {
    public GpuSeries {
        points = points == null ? List.of()
                : points.stream().sorted(Comparator.comparing(TelemetryPoint::time)).toList();
    }

    /**
     * The agent's samples ({@code GET /v1/jobs/{id}} or the job's event stream) as one series per GPU, by GPU index;
     * milliwatts become watts.
     */
    public static List<GpuSeries> fromSamples(List<TelemetrySample> samples) {
        Map<Integer, List<TelemetryPoint>> byGpu = new TreeMap<>();
        for (TelemetrySample s : samples) {
            if (s.time() == null) {
                continue;
            }
            byGpu.computeIfAbsent(s.gpuIndex(), g -> new ArrayList<>()).add(new TelemetryPoint(s.time(),
                    s.temperatureCelsius() == null ? null : s.temperatureCelsius().doubleValue(),
                    s.powerMilliwatts() == null ? null : s.powerMilliwatts() / 1000.0, s.smClockMhz()));
        }
        List<GpuSeries> out = new ArrayList<>();
        byGpu.forEach((gpu, points) -> out.add(new GpuSeries(gpu, points)));
        return out;
    }
}
