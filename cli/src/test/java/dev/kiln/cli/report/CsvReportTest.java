package dev.kiln.cli.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class CsvReportTest {

    @Test
    void oneRowPerNodeWithItsFigures() {
        String csv = CsvReport.nodes(ReportFixtures.small());
        List<List<String>> rows = parse(csv);

        assertThat(rows.get(0)).isEqualTo(CsvReport.NODE_COLUMNS);
        assertThat(rows).hasSize(6).allSatisfy(r -> assertThat(r).hasSize(CsvReport.NODE_COLUMNS.size()));
        assertThat(rows.get(1)).containsExactly("rack-a", "node-01", "ACCEPTED", "2025-06-02T06:00:00Z",
                "2025-06-02T08:45:00Z", "9900", "9900", "", "4", "4", "0", "1", "0", "",
                "WARN fabric.p2p: one direction at 300 GB/s");
        assertThat(rows.get(2)).containsExactly("rack-a", "node-02", "QUARANTINED", "2025-06-02T06:05:00Z", "", "",
                "8100", "", "2", "4", "2", "1", "2", "1650000000001;1650000000003",
                "FAIL burnin.memory: 12 mismatches, first at 0x7f3a00001000");
        assertThat(rows.get(4)).startsWith("rack-b", "node-03", "IN_PROGRESS").contains("burnin");
        assertThat(rows.get(5)).startsWith("rack-b", "node-04", "NOT_STARTED", "", "", "", "");
        assertThat(csv).endsWith("\r\n").doesNotContain("\r\n\r\n");
        assertThat(csv.replace("\r\n", "")).as("CRLF line ends only").doesNotContain("\n");
    }

    @Test
    void rmaRowsNameEveryGpu() {
        List<List<String>> rows = parse(CsvReport.rmaGpus(ReportFixtures.small()));

        assertThat(rows).containsExactly(CsvReport.RMA_COLUMNS,
                List.of("rack-a", "node-02", "1", "1650000000001", "GPU-1111", "00000000:2A:00.0",
                        "burnin.memory: 12 mismatches; row remap pending"),
                List.of("rack-a", "node-02", "3", "1650000000003", "GPU-3333", "00000000:5D:00.0",
                        "2 uncorrectable ECC errors"));
    }

    @Test
    void quotingFollowsRfc4180AndFormulasAreDefused() {
        String csv = CsvReport.rmaGpus(ReportFixtures.hostile());
        List<List<String>> rows = parse(csv);

        assertThat(rows).hasSize(2);
        List<String> r = rows.get(1);
        assertThat(r).hasSize(CsvReport.RMA_COLUMNS.size());
        assertThat(r.get(1)).isEqualTo("node " + ReportFixtures.EVIL);
        assertThat(r.get(3)).as("a leading = would run as a formula").isEqualTo("'=1+1," + ReportFixtures.EVIL);
        assertThat(r.get(6)).isEqualTo(ReportFixtures.EVIL + "; line one\nline two, \"quoted\"");
        assertThat(csv).contains("; line one\nline two, \"\"quoted\"\"\"\r\n");

        List<List<String>> nodes = parse(CsvReport.nodes(ReportFixtures.hostile()));
        assertThat(nodes).allSatisfy(row -> assertThat(row).hasSize(CsvReport.NODE_COLUMNS.size()));
        assertThat(nodes.get(1).get(1)).as("quoted for its comma and quotes, defused for its minus")
                .isEqualTo("'-node,\"2\"");
        assertThat(CsvReport.nodes(ReportFixtures.hostile())).contains(",\"'-node,\"\"2\"\"\",");
    }

    @Test
    void writesBothFilesAndIsDeterministic(@TempDir Path dir) throws Exception {
        Path rma = CsvReport.write(ReportFixtures.small(), dir.resolve("fleet.csv"));

        assertThat(rma).isEqualTo(dir.resolve("fleet-rma.csv"));
        assertThat(Files.readString(dir.resolve("fleet.csv"))).isEqualTo(CsvReport.nodes(ReportFixtures.small()));
        assertThat(Files.readString(rma)).isEqualTo(CsvReport.rmaGpus(ReportFixtures.small()));
        assertThat(CsvReport.rmaFileFor(Path.of("out"))).isEqualTo(Path.of("out-rma.csv"));
        Instant a = Instant.parse("2025-06-03T00:00:00Z");
        Instant b = Instant.parse("2025-06-04T09:41:00Z");
        assertThat(CsvReport.nodes(ReportFixtures.complete(a))).isEqualTo(CsvReport.nodes(ReportFixtures.complete(b)));
    }

    /** A strict RFC 4180 reader: CRLF records, quoted fields may hold commas, quotes (doubled) and line breaks. */
    static List<List<String>> parse(String csv) {
        List<List<String>> rows = new ArrayList<>();
        List<String> row = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        int i = 0;
        boolean quoted = false;
        boolean wasQuoted = false;
        while (i < csv.length()) {
            char c = csv.charAt(i);
            if (quoted) {
                if (c == '"') {
                    if (i + 1 < csv.length() && csv.charAt(i + 1) == '"') {
                        field.append('"');
                        i += 2;
                        continue;
                    }
                    quoted = false;
                } else {
                    field.append(c);
                }
                i++;
                continue;
            }
            if (c == '"') {
                if (field.length() > 0 || wasQuoted) {
                    throw new AssertionError("quote inside an unquoted field at " + i);
                }
                quoted = true;
                wasQuoted = true;
                i++;
            } else if (c == ',') {
                row.add(field.toString());
                field.setLength(0);
                wasQuoted = false;
                i++;
            } else if (c == '\r') {
                if (i + 1 >= csv.length() || csv.charAt(i + 1) != '\n') {
                    throw new AssertionError("bare CR at " + i);
                }
                row.add(field.toString());
                field.setLength(0);
                wasQuoted = false;
                rows.add(row);
                row = new ArrayList<>();
                i += 2;
            } else if (c == '\n') {
                throw new AssertionError("bare LF outside quotes at " + i);
            } else {
                if (wasQuoted) {
                    throw new AssertionError("text after a closing quote at " + i);
                }
                field.append(c);
                i++;
            }
        }
        if (quoted || field.length() > 0 || !row.isEmpty()) {
            throw new AssertionError("last record not terminated by CRLF");
        }
        return rows;
    }
}
