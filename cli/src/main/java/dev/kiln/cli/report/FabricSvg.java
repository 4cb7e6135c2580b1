package dev.kiln.cli.report;

import dev.kiln.cli.fabric.Heatmap;
import dev.kiln.protocol.fabric.PairBandwidth;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

import static dev.kiln.cli.report.Markup.attr;
import static dev.kiln.cli.report.Markup.esc;

/**
 * A node's {@code fabric.p2p} matrix as an SVG grid: row = source GPU, column = destination, each cell the one-way
 * GB/s, shaded by the same rule as the terminal {@link Heatmap}: at or above the pair's minimum ok, below it
 * "below", under half of it "under half"; without a minimum, below 80 % of the matrix's median "low". A marker
 * repeats the shade in text ({@code !} below the minimum, {@code ~} low) so print and colour-blind readers lose
 * nothing. A legend names every shade.
 */
final class FabricSvg {
    static final int CELL_W = 52;
    static final int CELL_H = 26;

    enum Shade {
        OK("ok", "at or above the minimum"), BELOW("below", "below the minimum"),
        HALF("half", "under half the minimum"), LOW("low", "under 80 % of the median (no minimum)"),
        NOP2P("nop2p", "no P2P"), SELF("self", "same GPU");

        final String css;
        final String text;

        Shade(String css, String text) {
            this.css = css;
            this.text = text;
        }
    }

    private FabricSvg() {
    }

    static String render(String node, List<PairBandwidth> pairs) {
        TreeSet<Integer> gpus = new TreeSet<>();
        Map<Long, PairBandwidth> pairOf = new TreeMap<>();
        Map<Long, Double> gbps = new TreeMap<>();
        for (PairBandwidth p : pairs) {
            gpus.add(p.gpuA());
            gpus.add(p.gpuB());
            pairOf.put(key(p.gpuA(), p.gpuB()), p);
            pairOf.put(key(p.gpuB(), p.gpuA()), p);
            gbps.put(key(p.gpuA(), p.gpuB()), p.abGBps());
            gbps.put(key(p.gpuB(), p.gpuA()), p.baGBps());
        }
        List<Double> values = gbps.values().stream().filter(Objects::nonNull).sorted().toList();
        Double median = values.isEmpty() ? null : values.size() % 2 == 1 ? values.get(values.size() / 2)
                : (values.get(values.size() / 2 - 1) + values.get(values.size() / 2)) / 2;
        int n = gpus.size();
        int left = 54;
        int top = 24;
        int gridW = n * CELL_W;
        int w = Math.max(left + gridW + 8, 470);
        int legendTop = top + n * CELL_H + 14;
        String aria = node + " fabric.p2p GPU-to-GPU copy bandwidth, GB/s";
        StringBuilder b = new StringBuilder();
        int col = 0;
        for (int g : gpus) {
            b.append("<text class=\"hh\" x=\"").append(left + col * CELL_W + CELL_W / 2).append("\" y=\"")
                    .append(top - 8).append("\">GPU ").append(g).append("</text>");
            col++;
        }
        int row = 0;
        boolean[] used = new boolean[Shade.values().length];
        for (int r : gpus) {
            int y = top + row * CELL_H;
            b.append("<text class=\"hr\" x=\"").append(left - 6).append("\" y=\"").append(y + CELL_H / 2 + 4)
                    .append("\">GPU ").append(r).append("</text>");
            int c = 0;
            for (int cgpu : gpus) {
                int x = left + c * CELL_W;
                c++;
                PairBandwidth p = pairOf.get(key(r, cgpu));
                if (r == cgpu) {
                    cell(b, x, y, Shade.SELF, "\u2014", "GPU " + r);
                    used[Shade.SELF.ordinal()] = true;
                    continue;
                }
                if (p == null) {
                    b.append("<rect class=\"hm-none\" x=\"").append(x).append("\" y=\"").append(y)
                            .append("\" width=\"").append(CELL_W - 2).append("\" height=\"").append(CELL_H - 2)
                            .append("\"><title>not measured</title></rect>");
                    continue;
                }
                Double v = gbps.get(key(r, cgpu));
                String tip = "GPU " + r + "\u2192" + cgpu + ": ";
                if (v == null) {
                    used[Shade.NOP2P.ordinal()] = true;
                    cell(b, x, y, Shade.NOP2P, "--", tip + "no P2P (" + p.p2p() + "), path " + p.path());
                    continue;
                }
                Shade s = judge(v, p.expectedGBps(), median);
                used[s.ordinal()] = true;
                String marker = s == Shade.BELOW || s == Shade.HALF ? "!" : s == Shade.LOW ? "~" : "";
                cell(b, x, y, s, Heatmap.fmt(v) + marker, tip + Fmt.num(v, 1) + " GB/s"
                        + (p.expectedGBps() == null ? "" : ", min " + Heatmap.fmt(p.expectedGBps()))
                        + ", " + p.path()
                        + (p.latencyUs() == null ? "" : ", " + Fmt.num(p.latencyUs(), 1) + " \u00b5s"));
            }
            row++;
        }
        // legend: the shades that appear, then what the numbers are
        int lx = left;
        int ly = legendTop;
        for (Shade s : Shade.values()) {
            if (!used[s.ordinal()]) {
                continue;
            }
            int width = 22 + (int) (s.text.length() * 6.2) + 14;
            if (lx + width > w) {
                lx = left;
                ly += 18;
            }
            b.append("<rect class=\"hm-").append(s.css).append("\" x=\"").append(lx).append("\" y=\"").append(ly)
                    .append("\" width=\"16\" height=\"12\"/><text class=\"lg\" x=\"").append(lx + 20)
                    .append("\" y=\"").append(ly + 10).append("\">").append(esc(s.text)).append("</text>");
            lx += width;
        }
        Double min = pairs.stream().map(PairBandwidth::expectedGBps).filter(Objects::nonNull).min(Double::compare)
                .orElse(null);
        Double max = pairs.stream().map(PairBandwidth::expectedGBps).filter(Objects::nonNull).max(Double::compare)
                .orElse(null);
        String source = pairs.stream().map(PairBandwidth::minimumSource).filter(Objects::nonNull).findFirst()
                .orElse(null);
        String figures = (min == null ? "no minimum given" : "minimum " + (Objects.equals(min, max) ? Heatmap.fmt(min)
                : Heatmap.fmt(min) + "\u2013" + Heatmap.fmt(max)) + " GB/s" + (source == null ? "" : " (" + source + ")"))
                + (median == null ? "" : "; median " + Heatmap.fmt(median) + " GB/s");
        b.append("<text class=\"lg\" x=\"").append(left).append("\" y=\"").append(ly + 32)
                .append("\">one-way copy bandwidth, GB/s, row \u2192 column</text>");
        b.append("<text class=\"lg\" x=\"").append(left).append("\" y=\"").append(ly + 48).append("\">")
                .append(esc(figures)).append("</text>");
        b.append("</svg>");
        int h = ly + 58;
        return "<svg class=\"heatmap\" viewBox=\"0 0 " + w + " " + h + "\" width=\"" + w + "\" height=\"" + h
                + "\" role=\"img\" aria-label=\"" + attr(aria) + "\"><title>" + esc(aria) + "</title>" + b;
    }

    static Shade judge(double v, Double expected, Double median) {
        if (expected != null) {
            return v >= expected ? Shade.OK : v < expected / 2 ? Shade.HALF : Shade.BELOW;
        }
        return median != null && v < median * 0.8 ? Shade.LOW : Shade.OK;
    }

    private static void cell(StringBuilder b, int x, int y, Shade s, String text, String tooltip) {
        b.append("<rect class=\"hm-").append(s.css).append("\" x=\"").append(x).append("\" y=\"").append(y)
                .append("\" width=\"").append(CELL_W - 2).append("\" height=\"").append(CELL_H - 2).append("\"><title>")
                .append(esc(tooltip)).append("</title></rect><text class=\"hv\" x=\"").append(x + (CELL_W - 2) / 2)
                .append("\" y=\"").append(y + CELL_H / 2 + 3).append("\">").append(esc(text)).append("</text>");
    }

    private static long key(int row, int col) {
        return ((long) row << 32) | (col & 0xffffffffL);
    }
}
