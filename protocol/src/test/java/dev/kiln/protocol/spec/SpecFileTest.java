package dev.kiln.protocol.spec;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static dev.kiln.protocol.spec.SpecSamples.FULL;
import static dev.kiln.protocol.spec.SpecSamples.FULL_SPEC;
import static dev.kiln.protocol.spec.SpecSamples.SOURCE;
import static dev.kiln.protocol.spec.SpecSamples.lineOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class SpecFileTest {

    private static NodeSpec parse(String text) {
        return SpecFile.parse(SOURCE, text);
    }

    @Test
    void fullExampleParses() {
        assertThat(parse(FULL)).isEqualTo(FULL_SPEC);
    }

    @Test
    void jsonIsAcceptedToo() {
        NodeSpec spec = parse("""
                {
                  "spec": "hgx-h100",
                  "description": "HGX H100 8-GPU SXM5 80GB, NDR 400G",
                  "gpu": {"count": 8, "model": "NVIDIA H100 80GB HBM3", "memoryMiB": 81559,
                          "busIds": ["00000000:18:00.0", "00000000:2A:00.0", "00000000:3A:00.0", "00000000:5D:00.0",
                                     "00000000:9A:00.0", "00000000:AB:00.0", "00000000:BA:00.0", "00000000:DB:00.0"],
                          "vbios": ["96.00.74.00.1C"], "pcie": {"generation": 5, "width": 16}, "nvlinks": 18,
                          "ecc": true, "persistence": true, "mig": false, "powerLimitWatts": 700},
                  "driver": {"min": "550.54.15", "max": "580.999.999"},
                  "infiniband": {"ports": 8, "rateGbps": 400.0, "state": "ACTIVE"},
                  "host": {"cpuSockets": 2, "memoryGiB": 2000},
                  "thresholds": {"temperatureMarginCelsius": 10, "eccUncorrectable": 0,
                                 "xid": {"fail": [48, 64, 74, 79, 92, 95], "warn": [63, 94], "windowMinutes": 60}},
                  "burnin": {"computeTflopsFp32": 42.5, "computeTflopsTensor": 510, "hbmGbps": 2465.0,
                             "pcieGbps": 46.75},
                  "checks": {"disabled": ["gpu.processes"]}
                }
                """);
        assertThat(spec).isEqualTo(FULL_SPEC);
    }

    @Test
    void onlyTheNameIsRequired() {
        NodeSpec spec = parse("spec: bare\n");
        assertThat(spec).isEqualTo(SpecSamples.MINIMAL);
        assertThat(spec.gpu()).isNull();
        assertThat(spec.thresholds()).isEqualTo(NodeSpec.Thresholds.DEFAULT);
        assertThat(spec.disabledChecks()).isEmpty();
    }

    @Test
    void nullOrEmptyMeansNotSet() {
        NodeSpec spec = parse("""
                spec: sparse
                description:
                gpu:
                  count: ~
                  model: null
                  vbios: []
                  busIds:
                driver:
                checks: {disabled: []}
                """);
        assertThat(spec.description()).isNull();
        assertThat(spec.gpu()).isEqualTo(new NodeSpec.GpuSpec(null, null, null, List.of(), List.of(), null, null, null,
                null, null, null, null));
        assertThat(spec.driver()).isNull();
    }

    @Test
    void yamlTypeGuessingNeverMangles() {
        // YAML 1.1 would read the bus id as a base-60 float, 550.54 as a number and "yes" as true.
        NodeSpec spec = parse("""
                spec: "007"
                description: yes
                gpu:
                  busIds: 00000000:18:00.0
                  vbios: 96.00.74.00.10
                driver: {min: 550.54, max: 580}
                """);
        assertThat(spec.name()).isEqualTo("007");
        assertThat(spec.description()).isEqualTo("yes");
        assertThat(spec.gpu().busIds()).containsExactly("00000000:18:00.0");
        assertThat(spec.gpu().vbios()).containsExactly("96.00.74.00.10");
        assertThat(spec.driver()).isEqualTo(new NodeSpec.DriverSpec("550.54", "580"));
    }

    @Test
    void busIdsAreWrittenTheWayNvmlReportsThem() {
        NodeSpec spec = parse("""
                spec: x
                gpu:
                  count: 3
                  busIds: ["0000:18:00.0", 00000000:2a:00.0, "00000000:DB:1f.7"]
                """);
        assertThat(spec.gpu().busIds()).containsExactly("00000000:18:00.0", "00000000:2A:00.0", "00000000:DB:1F.7");
    }

    @Test
    void aSingleValueIsAListOfOne() {
        NodeSpec spec = parse("""
                spec: x
                gpu: {vbios: 96.00.74.00.1C}
                checks: {disabled: gpu.mig}
                """);
        assertThat(spec.gpu().vbios()).containsExactly("96.00.74.00.1C");
        assertThat(spec.disabledChecks()).containsExactly("gpu.mig");
    }

    @Test
    void xidListsLeftOutKeepTheirDefaults() {
        NodeSpec.XidPolicy onlyWindow = parse("spec: x\nthresholds: {xid: {windowMinutes: 30}}\n").thresholds().xid();
        assertThat(onlyWindow).isEqualTo(new NodeSpec.XidPolicy(NodeSpec.XidPolicy.DEFAULT.fail(),
                NodeSpec.XidPolicy.DEFAULT.warn(), 30));
        // Moving 63 from warn to fail takes one line: the default warn list gives it up.
        NodeSpec.XidPolicy stricter = parse("spec: x\nthresholds: {xid: {fail: [48, 63, 64, 74, 79, 92, 95]}}\n")
                .thresholds().xid();
        assertThat(stricter.fail()).containsExactlyInAnyOrder(48, 63, 64, 74, 79, 92, 95);
        assertThat(stricter.warn()).containsExactly(94);
        NodeSpec.XidPolicy laxer = parse("spec: x\nthresholds: {xid: {warn: [63, 74, 94]}}\n").thresholds().xid();
        assertThat(laxer.fail()).containsExactlyInAnyOrder(48, 64, 79, 92, 95);
        // Partial thresholds keep the other defaults too.
        NodeSpec.Thresholds t = parse("spec: x\nthresholds: {temperatureMarginCelsius: 5}\n").thresholds();
        assertThat(t).isEqualTo(new NodeSpec.Thresholds(5, 0L, NodeSpec.XidPolicy.DEFAULT));
    }

    @Test
    void infinibandStateIsCaseInsensitive() {
        assertThat(parse("spec: x\ninfiniband: {state: active, rateGbps: 53.125}\n").infiniband())
                .isEqualTo(new NodeSpec.InfinibandSpec(null, 53.125, "ACTIVE"));
    }

    @Test
    void emptyFileIsAnError() {
        assertThatThrownBy(() -> parse("# nothing yet\n")).isInstanceOf(SpecFileException.class)
                .hasMessage(SOURCE + ": the spec file is empty; it needs at least 'spec: NAME' (see docs/spec-file.md)");
    }

    @Test
    void loadReadsAFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("h100.yaml");
        Files.writeString(file, FULL);
        assertThat(SpecFile.load(file)).isEqualTo(FULL_SPEC);

        Files.writeString(file, FULL.replace("generation: 5", "generation: five"));
        assertThatThrownBy(() -> SpecFile.load(file))
                .hasMessage(file + ":" + lineOf(FULL, "generation: 5")
                        + ": field 'gpu.pcie.generation' must be an integer 1..6, got 'five'");
    }

    @Test
    void missingFileIsASpecFileException(@TempDir Path dir) {
        Path file = dir.resolve("nope.yaml");
        SpecFileException e = catchThrowableOfType(SpecFileException.class, () -> SpecFile.load(file));
        assertThat(e).hasMessage(file + ": the spec file does not exist");
        assertThat(e.problem().line()).isZero();
    }

    @Test
    void theExceptionCarriesEveryProblem() {
        String text = """
                spec: x
                gpu:
                  count: eight
                  nvlinks: 40
                """;
        SpecFileException e = catchThrowableOfType(SpecFileException.class, () -> parse(text));
        assertThat(e.problem().field()).isEqualTo("gpu.count");
        assertThat(e.problems()).filteredOn(SpecProblem::isError).extracting(SpecProblem::field)
                .containsExactly("gpu.count", "gpu.nvlinks");
        assertThat(e.problems()).anySatisfy(p -> assertThat(p.severity()).isEqualTo(SpecProblem.Severity.WARNING));
    }

    @Test
    void driverVersionsCompareNumerically() {
        assertThat(DriverVersions.compare("550.54.15", "550.127.05")).isNegative();
        assertThat(DriverVersions.compare("570.86", "570.86.0")).isZero();
        assertThat(DriverVersions.compare("580", "570.124.06")).isPositive();
        assertThat(DriverVersions.isValid("550.54.15")).isTrue();
        assertThat(DriverVersions.isValid("r550")).isFalse();
        assertThat(DriverVersions.isValid("550..54")).isFalse();
        assertThatThrownBy(() -> DriverVersions.compare("550", "x")).isInstanceOf(IllegalArgumentException.class);
    }

    // --- errors: source, line, field -----------------------------------------------------

    /**
     * name, text, the fragment that marks the line the error must name, the field the error names
     * (null for problems that are not about one field), and other words the message must hold.
     */
    static Stream<Arguments> badFiles() {
        return Stream.of(
                // not YAML
                arguments("unclosed flow list", """
                        spec: x
                        gpu:
                          vbios: [96.00.74.00.1C
                          count: 8
                        """, "count: 8", null, List.of("not valid YAML")),
                arguments("tab indentation", "spec: x\ngpu:\n\tcount: 8\n", "\tcount", null, List.of("not valid YAML")),
                arguments("two documents", "spec: x\n---\nspec: y\n", "---", null, List.of("not valid YAML")),
                // shape
                arguments("top level is a list", "- spec: x\n", "- spec", null, List.of("top level", "mapping")),
                arguments("gpu is a list", "spec: x\ngpu:\n  - count: 8\n", "- count", "gpu",
                        List.of("must be a mapping", "got a list")),
                arguments("pcie is a number", "spec: x\ngpu:\n  pcie: 5\n", "pcie: 5", "gpu.pcie",
                        List.of("must be a mapping", "'5'")),
                arguments("driver is a version", "spec: x\ndriver: 550.54.15\n", "driver:", "driver",
                        List.of("must be a mapping")),
                arguments("disabled is a mapping", "spec: x\nchecks:\n  disabled: {gpu.mig: true}\n", "disabled:",
                        "checks.disabled", List.of("must be a list of check ids", "got a mapping")),
                // the name
                arguments("missing name", "# no name\ngpu:\n  count: 8\n", "gpu:", "spec",
                        List.of("missing field 'spec'")),
                arguments("name with a space", "spec: my spec\n", "spec:", "spec", List.of("'my spec'", "letters")),
                arguments("name is a list", "spec: [a, b]\n", "spec:", "spec", List.of("got a list")),
                // unknown and repeated fields
                arguments("unknown top-level field", "spec: x\ngpus:\n  count: 8\n", "gpus:", "gpus",
                        List.of("unknown field 'gpus'", "did you mean 'gpu'", "expected one of spec, description, gpu")),
                arguments("misspelt gpu field", "spec: x\ngpu:\n  count: 8\n  memoryMib: 81559\n", "memoryMib",
                        "gpu.memoryMib", List.of("unknown field", "did you mean 'memoryMiB'", "powerLimitWatts")),
                arguments("unknown pcie field", "spec: x\ngpu:\n  pcie: {generation: 5, lanes: 16}\n", "lanes",
                        "gpu.pcie.lanes", List.of("unknown field", "generation, width")),
                arguments("unknown checks field", "spec: x\nchecks:\n  enabled: [gpu.mig]\n", "enabled:",
                        "checks.enabled", List.of("unknown field", "disabled")),
                arguments("repeated field", """
                        spec: x
                        gpu:
                          count: 8
                          model: NVIDIA H100 80GB HBM3
                          count: 4
                        """, "count: 4", "gpu.count", List.of("given twice", "first on line 3")),
                // wrong types and ranges
                arguments("count is a word", "spec: x\ngpu:\n  count: eight\n", "count:", "gpu.count",
                        List.of("must be an integer 1..64, got 'eight'")),
                arguments("count zero", "spec: x\ngpu:\n  count: 0\n", "count:", "gpu.count",
                        List.of("must be an integer 1..64, got 0")),
                arguments("count is a fraction", "spec: x\ngpu:\n  count: 7.5\n", "count:", "gpu.count",
                        List.of("integer", "'7.5'")),
                arguments("count is a list", "spec: x\ngpu:\n  count: [8]\n", "count:", "gpu.count",
                        List.of("integer", "got a list")),
                arguments("memory too large", "spec: x\ngpu:\n  memoryMiB: 99999999999\n", "memoryMiB", "gpu.memoryMiB",
                        List.of("integer 1..16777216")),
                arguments("generation is a word", "spec: x\ngpu:\n  pcie:\n    generation: five\n", "generation",
                        "gpu.pcie.generation", List.of("must be an integer 1..6, got 'five'")),
                arguments("width is not a link width", "spec: x\ngpu:\n  pcie: {width: 3}\n", "width",
                        "gpu.pcie.width", List.of("one of 1, 2, 4, 8, 12, 16, 32", "'3'")),
                arguments("too many nvlinks", "spec: x\ngpu:\n  nvlinks: 19\n", "nvlinks", "gpu.nvlinks",
                        List.of("0..18")),
                arguments("ecc is yes", "spec: x\ngpu:\n  ecc: yes\n", "ecc:", "gpu.ecc",
                        List.of("must be true or false, got 'yes'")),
                arguments("negative power limit", "spec: x\ngpu:\n  powerLimitWatts: -700\n", "powerLimitWatts",
                        "gpu.powerLimitWatts", List.of("1..5000", "-700")),
                arguments("empty model", "spec: x\ngpu:\n  model: \"\"\n", "model:", "gpu.model", List.of("is empty")),
                arguments("description is a mapping", "spec: x\ndescription: {a: b}\n", "description", "description",
                        List.of("got a mapping")),
                // bus ids
                arguments("bus id without domain", """
                        spec: x
                        gpu:
                          busIds:
                            - 00000000:18:00.0
                            - 2A:00.0
                        """, "- 2A:00.0", "gpu.busIds[1]", List.of("PCI bus id", "00000000:18:00.0", "'2A:00.0'")),
                arguments("bus id listed twice", """
                        spec: x
                        gpu:
                          busIds:
                            - 00000000:18:00.0
                            - 0000:18:00.0
                        """, "- 0000:18:00.0", "gpu.busIds[1]", List.of("repeats bus id 00000000:18:00.0", "gpu.busIds[0]")),
                arguments("bus ids do not match the count", """
                        spec: x
                        gpu:
                          count: 8
                          busIds: [00000000:18:00.0, 00000000:2A:00.0]
                        """, "busIds:", "gpu.busIds", List.of("lists 2 bus ids but gpu.count is 8")),
                arguments("empty vbios item", "spec: x\ngpu:\n  vbios:\n    - 96.00.74.00.1C\n    - ~\n", "- ~",
                        "gpu.vbios[1]", List.of("is empty")),
                // driver
                arguments("driver version not dotted numbers", "spec: x\ndriver:\n  min: r550\n", "min:", "driver.min",
                        List.of("dotted numbers", "550.54.15", "'r550'")),
                arguments("driver min above max", """
                        spec: x
                        driver:
                          min: 570.86.10
                          max: 550.54.15
                        """, "max:", "driver.max", List.of("(550.54.15) is below driver.min (570.86.10)")),
                // infiniband and host
                arguments("infiniband state", "spec: x\ninfiniband: {ports: 8, state: UP}\n", "state", "infiniband.state",
                        List.of("ACTIVE", "'UP'")),
                arguments("infiniband rate is a word", "spec: x\ninfiniband:\n  rateGbps: fast\n", "rateGbps",
                        "infiniband.rateGbps", List.of("a number above 0", "'fast'")),
                arguments("infiniband rate zero", "spec: x\ninfiniband:\n  rateGbps: 0\n", "rateGbps",
                        "infiniband.rateGbps", List.of("a number above 0 and at most 3200")),
                arguments("no CPU sockets", "spec: x\nhost:\n  cpuSockets: 0\n", "cpuSockets", "host.cpuSockets",
                        List.of("1..16")),
                arguments("host memory with a unit", "spec: x\nhost:\n  memoryGiB: 2 TiB\n", "memoryGiB",
                        "host.memoryGiB", List.of("'2 TiB'")),
                // thresholds
                arguments("temperature margin too large", "spec: x\nthresholds:\n  temperatureMarginCelsius: 101\n",
                        "temperatureMarginCelsius", "thresholds.temperatureMarginCelsius", List.of("0..100")),
                arguments("negative ECC threshold", "spec: x\nthresholds:\n  eccUncorrectable: -1\n", "eccUncorrectable",
                        "thresholds.eccUncorrectable", List.of(">= 0")),
                arguments("xid is a word", """
                        spec: x
                        thresholds:
                          xid:
                            fail:
                              - 48
                              - double-bit
                        """, "- double-bit", "thresholds.xid.fail[1]", List.of("1..999", "'double-bit'")),
                arguments("xid in both lists", """
                        spec: x
                        thresholds:
                          xid:
                            fail: [48, 64, 74, 79, 92, 95]
                            warn:
                              - 94
                              - 48
                        """, "- 48", "thresholds.xid.warn[1]", List.of("Xid 48", "list each Xid once")),
                arguments("zero window", "spec: x\nthresholds:\n  xid: {windowMinutes: 0}\n", "windowMinutes",
                        "thresholds.xid.windowMinutes", List.of("1..525600")),
                // checks
                arguments("unknown check id", """
                        spec: x
                        checks:
                          disabled:
                            - gpu.mig
                            - gpu.pcie
                        """, "- gpu.pcie", "checks.disabled[1]",
                        List.of("not a known check id: 'gpu.pcie'", "did you mean 'gpu.pcie.link'", "host.cpu")),
                // JSON names lines too
                arguments("JSON", """
                        {
                          "spec": "x",
                          "gpu": {"count": 8,
                                  "pcie": {"generation": "five"}}
                        }
                        """, "\"five\"", "gpu.pcie.generation", List.of("'five'")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badFiles")
    void errorsNameSourceLineAndField(String name, String text, String lineFragment, String field, List<String> words) {
        int line = lineOf(text, lineFragment);
        SpecFileException e = catchThrowableOfType(SpecFileException.class, () -> parse(text));
        assertThat(e).as(name).isNotNull();
        assertThat(e.getMessage()).startsWith(SOURCE + ":" + line + ": ");
        if (field != null) {
            assertThat(e.getMessage()).contains("'" + field + "'");
        }
        for (String w : words) {
            assertThat(e.getMessage()).contains(w);
        }
        assertThat(e.problem().line()).isEqualTo(line);
        assertThat(e.problem().field()).isEqualTo(field);
        assertThat(e.problem().severity()).isEqualTo(SpecProblem.Severity.ERROR);
    }

    @Test
    void theBriefsExampleMessage() {
        String text = "spec: h100\ngpu:\n  count: 8\n  pcie:\n    width: 16\n    generation: five\n";
        assertThatThrownBy(() -> SpecFile.parse("h100.yaml", text))
                .hasMessage("h100.yaml:6: field 'gpu.pcie.generation' must be an integer 1..6, got 'five'");
    }

    @Test
    void disabledChecksAreASet() {
        assertThat(parse("spec: x\nchecks: {disabled: [gpu.mig, gpu.processes]}\n").disabledChecks())
                .isEqualTo(Set.of("gpu.mig", "gpu.processes"));
    }
}
