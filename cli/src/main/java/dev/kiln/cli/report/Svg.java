package dev.kiln.cli.report;

import java.util.ArrayList;
import java.util.List;

import static dev.kiln.cli.report.Fmt.coord;
import static dev.kiln.cli.report.Markup.attr;
import static dev.kiln.cli.report.Markup.esc;

/**
 * Inline SVG charts for the HTML report: plain elements and presentation attributes, no scripts, no external
 * references, sizes in the viewBox so they scale with the page.
 */
final class Svg {
    /** Okabe-Ito, colour-blind safe, then repeated with dashes past eight lines. */
    static final String[] PALETTE = {"#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#8C7B00",
            "#000000"};
    private static final String[] DASHES = {"", "6 3", "2 2", "8 3 2 3"};
    private static final long[] TIME_STEPS = {60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 14400, 21600, 43200,
            86400, 172800, 604800};

    private Svg() {
    }

    /**
     * One line of a chart: points as (seconds since the chart's start, value); a NaN value breaks the line.
     */
    record Line(String label, List<double[]> points) {
    }

    /** Colour and dash of the {@code i}-th line. */
    static String colour(int i) {
        return PALETTE[i % PALETTE.length];
    }

    static String dash(int i) {
        return DASHES[(i / PALETTE.length) % DASHES.length];
    }

    /**
     * A line chart with axes, ticks, units and a legend.
     *
     * @param title    above the plot, e.g. "GPU temperature"
     * @param yUnit    the value's unit, e.g. "°C"
     * @param xTitle   the time axis' caption
     * @param xMax     seconds the time axis spans
     * @param zeroBased whether the value axis starts at zero
     * @param counts   whether the values are counts (ticks at whole numbers only)
     * @param cssClass class of the {@code svg} element
     */
    static String lineChart(String title, String yUnit, String xTitle, List<Line> lines, double xMax,
                            boolean zeroBased, boolean counts, String cssClass) {
        final int w = 540;
        final int left = 52;
        final int right = w - 14;
        final int top = 28;
        final int bottom = 168;
        int perRow = 8;
        int legendRows = Math.max(1, (lines.size() + perRow - 1) / perRow);
        int h = 212 + 16 * legendRows;

        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (Line l : lines) {
            for (double[] p : l.points()) {
                if (!Double.isNaN(p[1])) {
                    lo = Math.min(lo, p[1]);
                    hi = Math.max(hi, p[1]);
                }
            }
        }
        if (lo > hi) {
            lo = 0;
            hi = 1;
        }
        if (zeroBased) {
            lo = Math.min(0, lo);
        }
        double[] yt = niceTicks(lo, counts ? Math.max(hi, lo + 5) : hi, 5);
        double y0 = yt[0];
        double y1 = yt[1];
        double ystep = yt[2];
        double xspan = xMax <= 0 ? 1 : xMax;

        StringBuilder b = new StringBuilder();
        b.append("<svg class=\"").append(cssClass).append("\" viewBox=\"0 0 ").append(w).append(' ').append(h)
                .append("\" width=\"").append(w).append("\" height=\"").append(h).append("\" role=\"img\" aria-label=\"")
                .append(attr(title + ", " + yUnit)).append("\">");
        b.append("<title>").append(esc(title + " (" + yUnit + ")")).append("</title>");
        b.append("<text class=\"ct\" x=\"").append(left).append("\" y=\"16\">").append(esc(title)).append("</text>");
        // value axis: grid lines and labels
        for (double v = y0; v <= y1 + ystep / 1000; v += ystep) {
            double y = bottom - (v - y0) / (y1 - y0) * (bottom - top);
            b.append("<line class=\"grid\" x1=\"").append(left).append("\" x2=\"").append(right).append("\" y1=\"")
                    .append(coord(y)).append("\" y2=\"").append(coord(y)).append("\"/>");
            b.append("<text class=\"yl\" x=\"").append(left - 6).append("\" y=\"").append(coord(y + 4)).append("\">")
                    .append(esc(tickLabel(v, ystep))).append("</text>");
        }
        b.append("<text class=\"yu\" x=\"14\" y=\"").append((top + bottom) / 2).append("\" transform=\"rotate(-90 14 ")
                .append((top + bottom) / 2).append(")\">").append(esc(yUnit)).append("</text>");
        // time axis
        long step = timeStep(xspan);
        for (long s = 0; s <= xspan + 0.5; s += step) {
            double x = left + s / xspan * (right - left);
            b.append("<line class=\"tick\" x1=\"").append(coord(x)).append("\" x2=\"").append(coord(x))
                    .append("\" y1=\"").append(bottom).append("\" y2=\"").append(bottom + 4).append("\"/>");
            b.append("<text class=\"xl\" x=\"").append(coord(x)).append("\" y=\"").append(bottom + 16).append("\">")
                    .append(Fmt.hmm(s)).append("</text>");
        }
        b.append("<line class=\"axis\" x1=\"").append(left).append("\" x2=\"").append(right).append("\" y1=\"")
                .append(bottom).append("\" y2=\"").append(bottom).append("\"/>");
        b.append("<line class=\"axis\" x1=\"").append(left).append("\" x2=\"").append(left).append("\" y1=\"")
                .append(top).append("\" y2=\"").append(bottom).append("\"/>");
        b.append("<text class=\"xt\" x=\"").append((left + right) / 2).append("\" y=\"").append(bottom + 32)
                .append("\">").append(esc(xTitle)).append("</text>");
        // lines
        for (int i = 0; i < lines.size(); i++) {
            Line l = lines.get(i);
            // "M x y l dx dy dx dy ...": relative steps between coordinates rounded to 0.1, so no drift
            StringBuilder d = new StringBuilder();
            boolean pen = false;
            long px = 0;
            long py = 0;
            for (double[] p : l.points()) {
                if (Double.isNaN(p[1])) {
                    pen = false;
                    continue;
                }
                long x = Math.round((left + Math.min(Math.max(p[0], 0), xspan) / xspan * (right - left)) * 10);
                long y = Math.round((bottom - (p[1] - y0) / (y1 - y0) * (bottom - top)) * 10);
                if (!pen) {
                    d.append('M').append(tenths(x)).append(' ').append(tenths(y)).append('l');
                    pen = true;
                } else {
                    number(d, tenths(x - px));
                    number(d, tenths(y - py));
                }
                px = x;
                py = y;
            }
            if (d.isEmpty()) {
                continue;
            }
            b.append("<path class=\"ln\" d=\"").append(d).append("\" stroke=\"").append(colour(i)).append('"');
            if (!dash(i).isEmpty()) {
                b.append(" stroke-dasharray=\"").append(dash(i)).append('"');
            }
            b.append("><title>").append(esc(l.label())).append("</title></path>");
        }
        // legend
        for (int i = 0; i < lines.size(); i++) {
            int lx = left + (i % perRow) * 58;
            int ly = bottom + 50 + (i / perRow) * 16;
            b.append("<line x1=\"").append(lx).append("\" x2=\"").append(lx + 16).append("\" y1=\"").append(ly - 4)
                    .append("\" y2=\"").append(ly - 4).append("\" stroke=\"").append(colour(i))
                    .append("\" stroke-width=\"3\"");
            if (!dash(i).isEmpty()) {
                b.append(" stroke-dasharray=\"").append(dash(i)).append('"');
            }
            b.append("/><text class=\"lg\" x=\"").append(lx + 20).append("\" y=\"").append(ly).append("\">")
                    .append(esc(lines.get(i).label())).append("</text>");
        }
        b.append("</svg>");
        return b.toString();
    }

    /** A bar of segments in proportion to their length, with the time since start beneath. */
    record Bar(String label, String cssClass, double from, double to, String tooltip) {
    }

    static String timeline(String ariaLabel, List<Bar> bars, double span) {
        final int w = 1000;
        final int left = 16;
        final int right = w - 24;
        final int top = 6;
        final int barH = 34;
        int h = top + barH + 44;
        double s = span <= 0 ? 1 : span;
        StringBuilder b = new StringBuilder();
        b.append("<svg class=\"timeline\" viewBox=\"0 0 ").append(w).append(' ').append(h).append("\" width=\"")
                .append(w).append("\" height=\"").append(h).append("\" role=\"img\" aria-label=\"")
                .append(attr(ariaLabel)).append("\">");
        b.append("<title>").append(esc(ariaLabel)).append("</title>");
        for (Bar bar : bars) {
            double x0 = left + bar.from() / s * (right - left);
            double x1 = left + bar.to() / s * (right - left);
            double width = Math.max(x1 - x0, 0.5);
            b.append("<g><title>").append(esc(bar.tooltip())).append("</title><rect class=\"").append(bar.cssClass())
                    .append("\" x=\"").append(coord(x0)).append("\" y=\"").append(top).append("\" width=\"")
                    .append(coord(width)).append("\" height=\"").append(barH).append("\"/>");
            if (width > 7.5 * Math.max(4, bar.label().length())) {
                b.append("<text class=\"bl\" x=\"").append(coord(x0 + width / 2)).append("\" y=\"").append(top + 22)
                        .append("\">").append(esc(bar.label())).append("</text>");
            }
            b.append("</g>");
        }
        long step = timeStep(s);
        for (long t = 0; t <= s + 0.5; t += step) {
            double x = left + t / s * (right - left);
            b.append("<line class=\"tick\" x1=\"").append(coord(x)).append("\" x2=\"").append(coord(x))
                    .append("\" y1=\"").append(top + barH).append("\" y2=\"").append(top + barH + 5).append("\"/>");
            b.append("<text class=\"xl\" x=\"").append(coord(x)).append("\" y=\"").append(top + barH + 18)
                    .append("\">").append(Fmt.hmm(t)).append("</text>");
        }
        b.append("<text class=\"xt\" x=\"").append((left + right) / 2).append("\" y=\"").append(top + barH + 36)
                .append("\">time since the rollout's first contact (h:mm)</text>");
        b.append("</svg>");
        return b.toString();
    }

    /**
     * At most about {@code 2 * buckets} points of a series: when there are more, each of {@code buckets} equal time
     * slices keeps its lowest and highest point in time order, so peaks and dips survive. A slice without points, or a
     * NaN, breaks the line.
     */
    static List<double[]> decimate(List<double[]> points, double span, int buckets) {
        if (points.size() <= 2 * buckets || span <= 0) {
            return points;
        }
        List<double[]> out = new ArrayList<>();
        int i = 0;
        boolean lastWasGap = false;
        for (int k = 0; k < buckets; k++) {
            double end = (k + 1 == buckets) ? Double.POSITIVE_INFINITY : span * (k + 1) / buckets;
            double[] min = null;
            double[] max = null;
            boolean gap = false;
            int count = 0;
            while (i < points.size() && points.get(i)[0] < end) {
                double[] p = points.get(i++);
                count++;
                if (Double.isNaN(p[1])) {
                    gap = true;
                    continue;
                }
                if (min == null || p[1] < min[1]) {
                    min = p;
                }
                if (max == null || p[1] > max[1]) {
                    max = p;
                }
            }
            if (count == 0 || (gap && min == null)) {
                if (!lastWasGap && !out.isEmpty()) {
                    out.add(new double[]{span * k / buckets, Double.NaN});
                    lastWasGap = true;
                }
                continue;
            }
            if (gap && !lastWasGap && !out.isEmpty()) {
                out.add(new double[]{span * k / buckets, Double.NaN});
            }
            lastWasGap = false;
            if (min == max) {
                out.add(min);
            } else if (min[0] <= max[0]) {
                out.add(min);
                out.add(max);
            } else {
                out.add(max);
                out.add(min);
            }
        }
        return out;
    }

    /** {low, high, step} covering [lo, hi] with about {@code target} steps of 1, 2 or 5 times a power of ten. */
    static double[] niceTicks(double lo, double hi, int target) {
        if (hi <= lo) {
            hi = lo + 1;
        }
        double raw = (hi - lo) / target;
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double norm = raw / mag;
        double step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
        double low = Math.floor(lo / step) * step;
        double high = Math.ceil(hi / step) * step;
        if (high <= low) {
            high = low + step;
        }
        return new double[]{low, high, step};
    }

    /** A round time step giving at most eight ticks over {@code span} seconds. */
    static long timeStep(double span) {
        for (long s : TIME_STEPS) {
            if (span / s <= 8) {
                return s;
            }
        }
        return TIME_STEPS[TIME_STEPS.length - 1] * (long) Math.ceil(span / TIME_STEPS[TIME_STEPS.length - 1] / 8);
    }

    /** Appends a number of a path's list, with a space before it unless its sign separates it. */
    private static void number(StringBuilder d, String n) {
        char last = d.charAt(d.length() - 1);
        if (last != 'l' && n.charAt(0) != '-') {
            d.append(' ');
        }
        d.append(n);
    }

    /** Tenths as a decimal: 12 -> "1.2", -5 -> "-0.5", 30 -> "3". */
    static String tenths(long t) {
        long a = Math.abs(t);
        String s = (a / 10) + (a % 10 == 0 ? "" : "." + (a % 10));
        return t < 0 ? "-" + s : s;
    }

    private static String tickLabel(double v, double step) {
        double r = Math.abs(v) < step / 1e6 ? 0 : v;
        return step >= 1 ? Fmt.num(r, 0) : Fmt.num(r, (int) Math.ceil(-Math.log10(step)));
    }
}
