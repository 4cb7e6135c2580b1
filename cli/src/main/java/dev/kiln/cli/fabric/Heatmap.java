package dev.kiln.cli.fabric;

import dev.kiln.protocol.fabric.HostBandwidth;
import dev.kiln.protocol.fabric.PairBandwidth;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A node's GPU-to-GPU copy bandwidth ({@code fabric.p2p}) as a text heatmap: one row per source GPU, one column
 * per destination, each cell the one-way GB/s from the row's GPU to the column's, then the host->device and
 * device->host figures of the row's GPU. Cells are judged against the pair's expected minimum (else, when the
 * agent gave none, against the matrix's median): with colour, green at or above it, yellow below it, red below
 * half of it; without colour (not a terminal, or {@code NO_COLOR} set) a {@code !} follows every cell below its
 * minimum, and {@code ~} follows a cell low against the median where there is no minimum. Eight GPUs fit in
 * about 80 columns.
 */
public final class Heatmap {
    static final String GREEN = "\033[32m";
    static final String YELLOW = "\033[33m";
    static final String RED = "\033[31m";
    static final String DIM = "\033[2m";
    static final String RESET = "\033[0m";
    /** Width of a cell: a space, five characters of figure, a marker. */
    static final int CELL = 7;
    /** Without a minimum, a cell below this fraction of the matrix's median is marked. */
    static final double UNJUDGED_LOW = 0.8;

    private Heatmap() {
    }

    /** Whether to colour output: a terminal and no {@code NO_COLOR} (https://no-color.org). */
    public static boolean colour(boolean terminal, Map<String, String> env) {
        String noColor = env.get("NO_COLOR");
        return terminal && (noColor == null || noColor.isEmpty());
    }

    /**
     * The heatmap's lines (no trailing newline on any), or an empty list when there is nothing to draw.
     *
     * @param title first line, e.g. {@code node-007  fabric.p2p FAIL}
     */
    public static List<String> render(String title, List<PairBandwidth> pairs, List<HostBandwidth> host,
                                      boolean colour) {
        TreeSet<Integer> gpus = new TreeSet<>();
        Map<Long, Cell> cells = new TreeMap<>();
        for (PairBandwidth p : pairs) {
            gpus.add(p.gpuA());
            gpus.add(p.gpuB());
            cells.put(key(p.gpuA(), p.gpuB()), new Cell(p.abGBps(), p.expectedGBps(), p.p2p()));
            cells.put(key(p.gpuB(), p.gpuA()), new Cell(p.baGBps(), p.expectedGBps(), p.p2p()));
        }
        Map<Integer, HostBandwidth> hostByGpu = new TreeMap<>();
        for (HostBandwidth h : host) {
            gpus.add(h.gpu());
            hostByGpu.put(h.gpu(), h);
        }
        if (gpus.isEmpty()) {
            return List.of();
        }
        Double median = median(cells.values().stream().map(Cell::gbps).filter(Objects::nonNull).toList());
        boolean anyExpected = cells.values().stream().anyMatch(c -> c.expected != null)
                || host.stream().anyMatch(h -> h.expectedGBps() != null);
        boolean anyUnjudged = cells.values().stream().anyMatch(c -> c.gbps != null && c.expected == null)
                || host.stream().anyMatch(h -> h.expectedGBps() == null);
        Double hostMedian = median(host.stream().flatMap(h -> java.util.stream.Stream.of(h.h2dGBps(), h.d2hGBps()))
                .filter(Objects::nonNull).toList());

        List<String> lines = new ArrayList<>();
        lines.add(title);
        StringBuilder head = new StringBuilder("GB/s    ");
        for (int g : gpus) {
            head.append(pad("GPU" + g, CELL - 1)).append(' ');
        }
        if (!hostByGpu.isEmpty()) {
            head.append(" |").append(pad("H2D", CELL - 1)).append(' ').append(pad("D2H", CELL - 1));
        }
        lines.add(stripEnd(head.toString()));
        for (int row : gpus) {
            StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-8s", "GPU" + row));
            for (int col : gpus) {
                if (row == col) {
                    b.append(pad("—", CELL - 1)).append(' ');
                    continue;
                }
                Cell c = cells.get(key(row, col));
                if (c == null || c.gbps == null) {
                    b.append(pad(c == null ? "" : "--", CELL - 1)).append(' ');
                    continue;
                }
                Mark m = judge(c.gbps, c.expected, median);
                b.append(cell(c.gbps, m, colour));
            }
            HostBandwidth h = hostByGpu.get(row);
            if (!hostByGpu.isEmpty()) {
                b.append(" |");
                if (h == null) {
                    b.append(pad("", CELL - 1)).append(' ').append(pad("", CELL - 1)).append(' ');
                } else {
                    for (Double v : new Double[]{h.h2dGBps(), h.d2hGBps()}) {
                        if (v == null) {
                            b.append(pad("--", CELL - 1)).append(' ');
                        } else {
                            Mark m = judge(v, h.expectedGBps(), hostMedian);
                                        b.append(cell(v, m, colour));
                        }
                    }
                }
            }
            lines.add(stripEnd(b.toString()));
        }
        lines.add(legend(cells, host, anyExpected, anyUnjudged, colour));
        return lines;
    }

    private static String legend(Map<Long, Cell> cells, List<HostBandwidth> host, boolean anyExpected,
                                 boolean anyUnjudged, boolean colour) {
        StringBuilder b = new StringBuilder("row -> column, one way");
        Double min = cells.values().stream().map(c -> c.expected).filter(Objects::nonNull).min(Double::compare)
                .orElse(null);
        Double max = cells.values().stream().map(c -> c.expected).filter(Objects::nonNull).max(Double::compare)
                .orElse(null);
        if (min != null) {
            b.append("; expected >= ").append(Objects.equals(min, max) ? fmt(min) : fmt(min) + ".." + fmt(max))
                    .append(" GB/s");
        }
        Double hostMin = host.stream().map(HostBandwidth::expectedGBps).filter(Objects::nonNull)
                .min(Double::compare).orElse(null);
        if (hostMin != null) {
            b.append(", host >= ").append(fmt(hostMin)).append(" GB/s");
        }
        if (colour) {
            b.append("; ").append(GREEN).append("ok").append(RESET).append(' ').append(YELLOW).append("below")
                    .append(RESET).append(' ').append(RED).append("under half").append(RESET);
        }
        if (anyExpected) {
            b.append("; ! below the minimum");
        }
        if (anyUnjudged) {
            b.append("; ~ low against the median (no minimum)");
        }
        List<String> noP2p = cells.values().stream().filter(c -> c.gbps == null && c.p2p != null)
                .map(c -> c.p2p).distinct().toList();
        if (!noP2p.isEmpty()) {
            b.append("; -- no P2P (").append(String.join(", ", noP2p)).append(')');
        }
        return b.toString();
    }

    enum Mark {
        OK, BELOW, UNDER_HALF, LOW_UNJUDGED
    }

    static Mark judge(double v, Double expected, Double median) {
        if (expected != null) {
            return v >= expected ? Mark.OK : v < expected / 2 ? Mark.UNDER_HALF : Mark.BELOW;
        }
        return median != null && v < median * UNJUDGED_LOW ? Mark.LOW_UNJUDGED : Mark.OK;
    }

    private static String cell(double v, Mark m, boolean colour) {
        String figure = pad(fmt(v), CELL - 2);
        char marker = switch (m) {
            case OK -> ' ';
            case BELOW, UNDER_HALF -> '!';
            case LOW_UNJUDGED -> '~';
        };
        if (!colour) {
            return " " + figure + marker;
        }
        String c = switch (m) {
            case OK -> GREEN;
            case BELOW, LOW_UNJUDGED -> YELLOW;
            case UNDER_HALF -> RED;
        };
        return " " + c + figure + marker + RESET;
    }

    public static String fmt(double v) {
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }

    private static String pad(String s, int width) {
        return s.length() >= width ? s : " ".repeat(width - s.length()) + s;
    }

    private static String stripEnd(String s) {
        int end = s.length();
        while (end > 0 && s.charAt(end - 1) == ' ') {
            end--;
        }
        return s.substring(0, end);
    }

    private static Double median(List<Double> values) {
        if (values.isEmpty()) {
            return null;
        }
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static long key(int row, int col) {
        return ((long) row << 32) | (col & 0xffffffffL);
    }

    private record Cell(Double gbps, Double expected, String p2p) {
    }
}
