package dev.kiln.cli.fleet;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Rows, halls and power budgets ({@code powerKw}) in the fleet file. */
class FleetPowerFileTest {
    private static final String TOKEN = "0123456789abcdef0123456789abcdef";

    @TempDir
    Path dir;

    @BeforeEach
    void token() throws IOException {
        Files.writeString(dir.resolve("kiln-token"), TOKEN + "\n");
    }

    private Fleet load(String yaml) throws IOException {
        Path f = dir.resolve("fleet.yaml");
        Files.writeString(f, yaml);
        return FleetFile.load(f);
    }

    private String errorOf(String yaml) throws IOException {
        try {
            load(yaml);
        } catch (FleetFileException e) {
            return e.getMessage();
        }
        throw new AssertionError("expected a FleetFileException for:\n" + yaml);
    }

    private static final String HEAD = """
            defaults:
              tokenFile: kiln-token
            """;

    @Test
    void readsRowsHallsAndBudgets() throws IOException {
        Fleet fleet = load(HEAD + """
                halls:
                  - name: hall-a
                    powerKw: 1500
                  - name: hall-b
                rows:
                  - name: row-1
                    hall: hall-a
                    powerKw: 302.5
                  - name: row-2
                racks:
                  - name: rack-01
                    row: row-1
                    powerKw: 40
                    nodes:
                      - {name: n1, address: 10.0.0.1}
                  - name: rack-02
                    row: row-2
                    hall: hall-b
                    nodes:
                      - {name: n2, address: 10.0.0.2}
                  - name: rack-03
                    nodes:
                      - {name: n3, address: 10.0.0.3}
                """);
        FleetPower p = fleet.power();
        assertThat(p.budgets()).extracting(PowerBudget::key, PowerBudget::ratingWatts).containsExactly(
                org.assertj.core.groups.Tuple.tuple("hall:hall-a", 1_500_000L),
                org.assertj.core.groups.Tuple.tuple("row:row-1", 302_500L),
                org.assertj.core.groups.Tuple.tuple("rack:rack-01", 40_000L));
        assertThat(p.budgets().get(2).line()).isEqualTo(15);
        assertThat(p.placement("rack-01")).isEqualTo(new FleetPower.Placement("rack-01", "row-1", "hall-a"));
        assertThat(p.placement("rack-02")).isEqualTo(new FleetPower.Placement("rack-02", "row-2", "hall-b"));
        assertThat(p.placement("rack-03")).isEqualTo(new FleetPower.Placement("rack-03", null, null));
        assertThat(p.enclosing("rack-01")).extracting(PowerBudget::id)
                .containsExactly("rack 'rack-01'", "row 'row-1'", "hall 'hall-a'");
        assertThat(p.enclosing("rack-02")).isEmpty();
    }

    @Test
    void aFleetFileWithoutThemHasNone() throws IOException {
        Fleet fleet = load(HEAD + "racks:\n  - name: r\n    nodes:\n      - {name: n1, address: 10.0.0.1}\n");
        assertThat(fleet.power()).isSameAs(FleetPower.NONE);
        assertThat(fleet.power().enclosing("r")).isEmpty();
    }

    @Test
    void powerKwMustBeAPositiveNumberOfKilowatts() throws IOException {
        String racks = "racks:\n  - name: rack-01\n    powerKw: %s\n    nodes:\n      - {name: n1, address: 10.0.0.1}\n";
        assertThat(errorOf(HEAD + racks.formatted("40kW"))).startsWith(dir.resolve("fleet.yaml") + ":5: ")
                .contains("rack 'rack-01': field 'powerKw' must be a number of kilowatts above 0")
                .contains("the rating of the circuit feeding it (Kiln plans continuous load to 80% of it)")
                .contains("got '40kW'");
        assertThat(errorOf(HEAD + racks.formatted("0"))).contains(":5: ").contains("got 0");
        assertThat(errorOf(HEAD + racks.formatted("-3"))).contains(":5: ").contains("field 'powerKw'");
        assertThat(errorOf(HEAD + racks.formatted("40000000"))).contains("at most 1000000");
        assertThat(errorOf(HEAD + racks.formatted("[40]"))).contains(":5: ")
                .contains("field 'powerKw' must be a single value");
        assertThat(errorOf(HEAD + "halls:\n  - name: h\n    powerKw: lots\n" + racks.formatted("4")))
                .contains(":5: hall 'h': field 'powerKw'");
    }

    @Test
    void rowsAndHallsMustBeListedAndAgree() throws IOException {
        String rows = "halls:\n  - name: hall-a\n  - name: hall-b\nrows:\n  - name: row-1\n    hall: hall-a\n";
        String rack = "racks:\n  - name: rack-01\n%s    nodes:\n      - {name: n1, address: 10.0.0.1}\n";
        assertThat(errorOf(HEAD + rows + rack.formatted("    row: row-l\n")))
                .contains(":11: rack 'rack-01': field 'row': row 'row-l' is not listed under 'rows'")
                .contains("did you mean 'row-1'?").contains("listed rows: row-1");
        assertThat(errorOf(HEAD + rack.formatted("    hall: hall-a\n")))
                .contains(":5: rack 'rack-01': field 'hall': hall 'hall-a' is not listed under 'halls'")
                .contains("the fleet file has no 'halls:' list");
        assertThat(errorOf(HEAD + rows + rack.formatted("    row: row-1\n    hall: hall-b\n")))
                .contains(":12: rack 'rack-01': field 'hall': 'hall-b' contradicts its row 'row-1', which is in hall 'hall-a'");
        assertThat(errorOf(HEAD + "rows:\n  - name: row-1\n    hall: nowhere\n" + rack.formatted("")))
                .contains(":5: row 'row-1': field 'hall': hall 'nowhere' is not listed under 'halls'");
    }

    @Test
    void structureErrorsNameLineAndField() throws IOException {
        String rack = "racks:\n  - name: r\n    nodes:\n      - {name: n1, address: 10.0.0.1}\n";
        assertThat(errorOf(HEAD + "rows:\n  - name: a\n  - name: a\n" + rack))
                .contains(":5: row 'a' is listed twice (first at line 4)");
        assertThat(errorOf(HEAD + "rows:\n  - name: a\n    powerkw: 3\n" + rack))
                .contains(":5: unknown field 'powerkw' in a row of 'rows'");
        assertThat(errorOf(HEAD + "halls: hall-a\n" + rack)).contains(":3: field 'halls' must be a list of halls");
        assertThat(errorOf(HEAD + "rows:\n  - powerKw: 3\n" + rack)).contains(":4: a row's field 'name' is missing");
        assertThat(errorOf(HEAD + "racks:\n  - name: r\n    rows: x\n    nodes: []\n"))
                .contains(":5: unknown field 'rows' in a rack");
    }
}
