package dev.kiln.protocol.spec;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.StringReader;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static dev.kiln.protocol.spec.SpecSamples.FULL;
import static dev.kiln.protocol.spec.SpecSamples.FULL_SPEC;
import static org.assertj.core.api.Assertions.assertThat;

/** {@link SpecFile#toYaml}: what {@code kiln spec capture} writes, read back unchanged. */
class SpecYamlTest {

    private static NodeSpec roundTrip(NodeSpec spec) {
        String yaml = SpecFile.toYaml(spec);
        NodeSpec back = SpecFile.parse("written.yaml", yaml);
        assertThat(SpecFile.toYaml(back)).as("writing is stable").isEqualTo(yaml);
        return back;
    }

    static Stream<NodeSpec> specs() {
        return Stream.concat(Stream.of(FULL_SPEC, SpecSamples.MINIMAL,
                        SpecFile.parse("x.yaml", "spec: sparse\ngpu: {}\ndriver: {max: 580}\ninfiniband: {}\nhost: {}\n"),
                        SpecFile.parse("x.yaml", "spec: strict\nthresholds: {xid: {fail: [], warn: [], windowMinutes: 1}}\n"),
                        SpecFile.parse("x.yaml", "spec: hbm-only\nburnin: {hbmGbps: 0.5}\n"),
                        SpecFile.parse("x.yaml", "spec: burnin-empty\nburnin: {}\n"),
                        new NodeSpec("precise", null, null, null, null, null, null, null,
                                new NodeSpec.BurninSpec(1e-3, 123456.789, 999999.0, null))),
                BuiltinSpecs.names().stream().map(BuiltinSpecs::get));
    }

    @ParameterizedTest
    @MethodSource("specs")
    void parseOfToYamlIsTheSameSpec(NodeSpec spec) {
        assertThat(roundTrip(spec)).isEqualTo(spec);
    }

    @Test
    void writesTheDocumentedShape() {
        assertThat(SpecFile.toYaml(FULL_SPEC)).isEqualTo("""
                spec: hgx-h100
                description: HGX H100 8-GPU SXM5 80GB, NDR 400G
                gpu:
                  count: 8
                  model: NVIDIA H100 80GB HBM3
                  memoryMiB: 81559
                  busIds:
                    - "00000000:18:00.0"
                    - "00000000:2A:00.0"
                    - "00000000:3A:00.0"
                    - "00000000:5D:00.0"
                    - "00000000:9A:00.0"
                    - "00000000:AB:00.0"
                    - "00000000:BA:00.0"
                    - "00000000:DB:00.0"
                  vbios: [96.00.74.00.1C]
                  pcie: {generation: 5, width: 16}
                  nvlinks: 18
                  ecc: true
                  persistence: true
                  mig: false
                  powerLimitWatts: 700
                driver: {min: 550.54.15, max: 580.999.999}
                infiniband: {ports: 8, rateGbps: 400, state: ACTIVE}
                host: {cpuSockets: 2, memoryGiB: 2000}
                thresholds:
                  temperatureMarginCelsius: 10
                  eccUncorrectable: 0
                  xid: {fail: [48, 64, 74, 79, 92, 95], warn: [63, 94], windowMinutes: 60}
                burnin: {computeTflopsFp32: 42.5, computeTflopsTensor: 510, hbmGbps: 2465, pcieGbps: 46.75}
                checks:
                  disabled: [gpu.processes]
                """);
    }

    @Test
    void leavesOutWhatIsNotSetButAlwaysWritesThresholdsAndChecks() {
        assertThat(SpecFile.toYaml(SpecSamples.MINIMAL)).isEqualTo("""
                spec: bare
                thresholds:
                  temperatureMarginCelsius: 10
                  eccUncorrectable: 0
                  xid: {fail: [48, 64, 74, 79, 92, 95], warn: [63, 94]}
                checks:
                  disabled: []
                """);
    }

    @ParameterizedTest
    @ValueSource(strings = {"yes", "No", "null", "~", "1.5", "2:30", "0x1F", "-", "- item", "a: b", "# hash", "x # y",
            "'quoted'", "\"double\"", "back\\slash", "tab\there", "new\nline", " leading", "trailing ", "[flow]",
            "{flow}", "a, b", "*alias", "&anchor", "!tag", "%directive", "@at", "`tick`", "|", ">", "?", "Ünïcödé ✓",
            "emoji 🔥", "", "550.54", "1e3", ".inf", "control\u0001char"})
    void awkwardTextSurvives(String text) {
        NodeSpec spec = new NodeSpec("x", text.isBlank() ? "blank" : text,
                new NodeSpec.GpuSpec(null, text.isBlank() ? "m" : text.strip(), null, List.of(),
                        text.isBlank() ? List.of() : List.of(text.strip()), null, null, null, null, null, null, null),
                null, null, null, null, Set.of(), null);
        if (text.equals(text.strip())) {
            assertThat(roundTrip(spec)).isEqualTo(spec);
        } else {
            // surrounding blanks are trimmed on reading
            assertThat(SpecFile.parse("x.yaml", SpecFile.toYaml(spec)).description()).isEqualTo(text.strip());
        }
    }

    @Test
    void longFlowListsWrapToBlockStyle() {
        NodeSpec spec = new NodeSpec("x", null, new NodeSpec.GpuSpec(null, null, null, List.of(),
                List.of("96.00.74.00.1C", "96.00.74.00.1D", "96.00.74.00.1E", "96.00.74.00.1F", "96.00.74.00.20",
                        "96.00.74.00.21"), null, null, null, null, null, null, null), null, null, null, null, null, null);
        assertThat(SpecFile.toYaml(spec)).contains("  vbios:\n    - 96.00.74.00.1C\n");
        assertThat(roundTrip(spec)).isEqualTo(spec);
    }

    @Test
    void whatIsWrittenLintsAsCleanlyAsWhatWasRead() {
        for (String name : BuiltinSpecs.names()) {
            String yaml = SpecFile.toYaml(BuiltinSpecs.get(name));
            assertThat(SpecLint.lint(name, new StringReader(yaml))).as(name).isEmpty();
        }
        assertThat(SpecLint.lint("full", new StringReader(SpecFile.toYaml(SpecFile.parse("full", FULL))))).isEmpty();
    }
}
