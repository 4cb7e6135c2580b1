package dev.kiln.cli.fabric;

import dev.kiln.protocol.fabric.HostBandwidth;
import dev.kiln.protocol.fabric.PairBandwidth;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class HeatmapTest {

    /** {@code n} GPUs on NVLink at 370 GB/s each way, expected 335; GPU {@code slowA} -> {@code slowB} at {@code slow}. */
    static List<PairBandwidth> matrix(int n, int slowA, int slowB, double slow) {
        List<PairBandwidth> pairs = new ArrayList<>();
        for (int a = 0; a < n; a++) {
            for (int b = a + 1; b < n; b++) {
                double ab = a == slowA && b == slowB ? slow : 370;
                double ba = b == slowA && a == slowB ? slow : 371.4;
                pairs.add(new PairBandwidth(a, b, "0000:" + a, "0000:" + b, "NVLINK", "ok", ab, ba, ab + ba, 2.1,
                        335.0, "hgx-h100"));
            }
        }
        return pairs;
    }

    static List<HostBandwidth> host(int n) {
        List<HostBandwidth> h = new ArrayList<>();
        for (int g = 0; g < n; g++) {
            h.add(new HostBandwidth(g, "0000:" + g, g == 5 ? 20.5 : 55.1, 54.9, 46.75, "hgx-h100"));
        }
        return h;
    }

    @Test
    void plainTextMarksSlowCellsAndFitsEightGpusInUnderAHundredColumns() {
        List<String> lines = Heatmap.render("node-007  fabric.p2p FAIL", matrix(8, 1, 2, 120.25), host(8), false);

        assertThat(lines).hasSize(1 + 1 + 8 + 1);
        assertThat(lines.get(0)).isEqualTo("node-007  fabric.p2p FAIL");
        assertThat(lines.get(1)).isEqualTo("GB/s      GPU0   GPU1   GPU2   GPU3   GPU4   GPU5   GPU6   GPU7  |   H2D"
                + "    D2H");
        assertThat(lines.get(2)).isEqualTo("GPU0         —    370    370    370    370    370    370    370  |  55.1"
                + "   54.9");
        // Row 1 -> column 2 is the slow direction; 2 -> 1 is fine.
        assertThat(lines.get(3)).isEqualTo("GPU1       371      —    120!   370    370    370    370    370  |  55.1"
                + "   54.9");
        assertThat(lines.get(4)).startsWith("GPU2       371    371      —    370");
        assertThat(lines.get(7)).as("GPU5's host->device is slow").endsWith("|  20.5!  54.9");
        assertThat(lines.get(10)).isEqualTo("row -> column, one way; expected >= 335 GB/s, host >= 46.8 GB/s; "
                + "! below the minimum");
        assertThat(lines).allSatisfy(l -> assertThat(l.length()).isLessThan(100))
                .noneMatch(l -> l.contains("\033["));
        assertThat(String.join("\n", lines).chars().filter(c -> c == '!').count()).as("two slow cells + legend")
                .isEqualTo(3);
    }

    @Test
    void colourShadesCellsByTheirRatioToTheMinimum() {
        List<String> lines = Heatmap.render("t", matrix(4, 0, 3, 100), List.of(), true);

        assertThat(lines.get(2)).contains(Heatmap.GREEN + "  370 " + Heatmap.RESET)
                .contains(Heatmap.RED + "  100!" + Heatmap.RESET);
        assertThat(lines.get(lines.size() - 1)).contains(Heatmap.GREEN + "ok" + Heatmap.RESET);
        List<String> yellow = Heatmap.render("t", matrix(4, 0, 3, 300), List.of(), true);
        assertThat(yellow.get(2)).contains(Heatmap.YELLOW + "  300!" + Heatmap.RESET);
        assertThat(lines.get(1)).as("no host columns without host figures").doesNotContain("H2D");
    }

    @Test
    void pairsWithoutP2pAndWithoutAMinimumAreShownAsSuch() {
        List<PairBandwidth> pairs = List.of(
                new PairBandwidth(0, 1, null, null, "SYSTEM", "not_supported", null, null, null, null, null, null),
                new PairBandwidth(0, 2, null, null, "NODE", "ok", 25.0, 25.5, 50.0, 9.0, null, null),
                new PairBandwidth(1, 2, null, null, "NODE", "ok", 12.0, 25.0, 37.0, 9.0, null, null));

        List<String> lines = Heatmap.render("pcie box", pairs, List.of(), false);

        assertThat(lines.get(2)).isEqualTo("GPU0         —     --   25.0");
        assertThat(lines.get(3)).isEqualTo("GPU1        --      —   12.0~");
        assertThat(lines.get(lines.size() - 1)).isEqualTo("row -> column, one way; ~ low against the median "
                + "(no minimum); -- no P2P (not_supported)");
    }

    @Test
    void nothingToDrawIsNoLinesAndNoColorTurnsColourOff() {
        assertThat(Heatmap.render("t", List.of(), List.of(), false)).isEmpty();
        assertThat(Heatmap.colour(true, Map.of())).isTrue();
        assertThat(Heatmap.colour(true, Map.of("NO_COLOR", "1"))).isFalse();
        assertThat(Heatmap.colour(false, Map.of())).isFalse();
    }
}
