package dev.kiln.cli.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * The report as two RFC 4180 tables, so each stays rectangular for spreadsheets and {@code csvkit}:
 * {@link #nodes} (one row per node) and {@link #rmaGpus} (one row per GPU to RMA). Both have a header row, CRLF
 * line ends, and quote a field (doubling its quotes) when it holds a comma, a quote, CR or LF. A text field that a
 * spreadsheet would run as a formula (starting with {@code = + - @}, tab or CR) gets a leading {@code '}; numbers and
 * times never start so. {@link #write} puts the second table beside the first as {@code <name>-rma.csv}.
 */
public final class CsvReport {
    public static final List<String> NODE_COLUMNS = List.of("rack", "node", "verdict", "first_contact", "accepted_at",
            "time_to_production_s", "elapsed_s", "current_stage", "stages_passed", "stages_total", "fail_findings",
            "warn_findings", "rma_gpus", "rma_serials", "worst_finding");
    public static final List<String> RMA_COLUMNS = List.of("rack", "node", "gpu_index", "serial", "uuid",
            "pci_bus_id", "reasons");
    private static final String CRLF = "\r\n";

    private CsvReport() {
    }

    /** One row per node, rack by rack. */
    public static String nodes(ReportModel model) {
        Instant asOf = model.fleet().generatedAt();
        StringBuilder b = new StringBuilder();
        row(b, NODE_COLUMNS);
        model.nodes().forEach(n -> {
            Stage cur = n.currentStage();
            Finding worst = n.findings().isEmpty() || n.worst() == Severity.INFO ? null : n.findings().get(0);
            List<String> cells = new ArrayList<>();
            cells.add(text(n.rack()));
            cells.add(text(n.name()));
            cells.add(n.verdict().name());
            cells.add(Fmt.iso(n.firstContact()));
            cells.add(Fmt.iso(n.acceptedAt()));
            cells.add(n.timeToProduction() == null ? "" : Long.toString(n.timeToProduction().getSeconds()));
            cells.add(n.elapsedAsOf(asOf) == null ? "" : Long.toString(n.elapsedAsOf(asOf).getSeconds()));
            cells.add(cur == null ? "" : text(cur.name()));
            cells.add(Long.toString(n.stages().stream().filter(s -> s.state() == StageState.PASSED).count()));
            cells.add(Integer.toString(n.stages().size()));
            cells.add(Long.toString(n.findings().stream()
                    .filter(f -> f.severity() == Severity.FAIL || f.severity() == Severity.ERROR).count()));
            cells.add(Long.toString(n.findings().stream().filter(f -> f.severity() == Severity.WARN).count()));
            cells.add(Integer.toString(n.rma().size()));
            cells.add(text(n.rma().stream().map(RmaGpu::serial).filter(Objects::nonNull)
                    .collect(Collectors.joining(";"))));
            cells.add(worst == null ? "" : text(worst.severity() + " " + worst.id() + ": " + worst.message()));
            row(b, cells);
        });
        return b.toString();
    }

    /** One row per GPU to RMA; reasons joined with {@code "; "}. */
    public static String rmaGpus(ReportModel model) {
        StringBuilder b = new StringBuilder();
        row(b, RMA_COLUMNS);
        model.nodes().forEach(n -> n.rma().forEach(g -> row(b, List.of(text(n.rack()), text(n.name()),
                Integer.toString(g.index()), text(g.serial()), text(g.uuid()), text(g.pciBusId()),
                text(String.join("; ", g.reasons()))))));
        return b.toString();
    }

    /**
     * Writes {@link #nodes} to {@code nodesFile} and {@link #rmaGpus} beside it ({@code fleet.csv} ->
     * {@code fleet-rma.csv}); returns the second file.
     */
    public static Path write(ReportModel model, Path nodesFile) throws IOException {
        Files.writeString(nodesFile, nodes(model), StandardCharsets.UTF_8);
        Path rma = rmaFileFor(nodesFile);
        Files.writeString(rma, rmaGpus(model), StandardCharsets.UTF_8);
        return rma;
    }

    /** {@code dir/fleet.csv} -> {@code dir/fleet-rma.csv}. */
    public static Path rmaFileFor(Path nodesFile) {
        String name = nodesFile.getFileName().toString();
        String stem = name.toLowerCase(java.util.Locale.ROOT).endsWith(".csv") ? name.substring(0, name.length() - 4)
                : name;
        return nodesFile.resolveSibling(stem + "-rma.csv");
    }

    /** A field of free text: neutralised against spreadsheet formulas; null is empty. */
    static String text(String s) {
        if (s == null || s.isEmpty()) {
            return "";
        }
        char c = s.charAt(0);
        return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r' ? "'" + s : s;
    }

    /** RFC 4180: quote when needed, double the quotes, CRLF after the record. */
    static void row(StringBuilder b, List<String> cells) {
        for (int i = 0; i < cells.size(); i++) {
            if (i > 0) {
                b.append(',');
            }
            String c = cells.get(i);
            if (c.indexOf(',') >= 0 || c.indexOf('"') >= 0 || c.indexOf('\r') >= 0 || c.indexOf('\n') >= 0) {
                b.append('"').append(c.replace("\"", "\"\"")).append('"');
            } else {
                b.append(c);
            }
        }
        b.append(CRLF);
    }
}
