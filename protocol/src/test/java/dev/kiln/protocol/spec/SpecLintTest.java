package dev.kiln.protocol.spec;

import dev.kiln.protocol.spec.SpecProblem.Severity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.StringReader;
import java.nio.file.Path;
import java.util.List;

import static dev.kiln.protocol.spec.SpecSamples.FULL;
import static dev.kiln.protocol.spec.SpecSamples.SOURCE;
import static dev.kiln.protocol.spec.SpecSamples.lineOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class SpecLintTest {

    private static List<SpecProblem> lint(String text) {
        return SpecLint.lint(SOURCE, new StringReader(text));
    }

    private static List<SpecProblem> warnings(String text) {
        return lint(text).stream().filter(p -> p.severity() == Severity.WARNING).toList();
    }

    /** A spec with every expectation set, to which one test adds one mistake. */
    private static final String COMPLETE = """
            spec: l40s
            gpu:
              count: 4
              model: NVIDIA L40S
              memoryMiB: 46068
              busIds: [00000000:17:00.0, 00000000:31:00.0, 00000000:B1:00.0, 00000000:CA:00.0]
              vbios: [95.02.66.00.02]
              pcie: {generation: 4, width: 16}
              nvlinks: 0
              ecc: true
              persistence: true
              mig: false
              powerLimitWatts: 350
            driver: {min: 550.54.15}
            infiniband: {ports: 2, rateGbps: 200, state: ACTIVE}
            host: {cpuSockets: 2, memoryGiB: 768}
            burnin: {computeTflopsFp32: 68, computeTflopsTensor: 255, hbmGbps: 680, pcieGbps: 21.25}
            """;

    private static final String NO_BURNIN = "no 'burnin' section: burn-in throughput is judged by Kiln's per-model "
            + "defaults (none for an unknown GPU model)";

    @Test
    void everyProblemAtOnceInLineOrder() {
        String text = """
                spec: my sku
                gpu:
                  count: 8
                  model: NVIDIA L40S
                  memoryMib: 46068
                  busIds: [0000:17:00.0, 31:00.0]
                  pcie: {generation: 4, width: 16}
                  nvlinks: 4
                  ecc: yes
                driver: {min: 570.1, max: 550}
                thresholds:
                  eccUncorrectable: 2
                checks:
                  disabled: [gpu.pcie, gpu.persistence, gpu.mig, gpu.power.limit, host.cpu, host.memory]
                """;
        List<SpecProblem> problems = lint(text);
        assertThat(problems).filteredOn(SpecProblem::isError)
                .extracting(SpecProblem::line, SpecProblem::field)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(1, "spec"),
                        org.assertj.core.groups.Tuple.tuple(lineOf(text, "memoryMib"), "gpu.memoryMib"),
                        org.assertj.core.groups.Tuple.tuple(lineOf(text, "busIds"), "gpu.busIds[1]"),
                        org.assertj.core.groups.Tuple.tuple(lineOf(text, "ecc: yes"), "gpu.ecc"),
                        org.assertj.core.groups.Tuple.tuple(lineOf(text, "driver:"), "driver.max"),
                        org.assertj.core.groups.Tuple.tuple(lineOf(text, "disabled:"), "checks.disabled[0]"));
        assertThat(problems).filteredOn(p -> !p.isError()).extracting(SpecProblem::field).containsExactly(
                "infiniband", "burnin", "gpu.vbios", "gpu.nvlinks", "thresholds.eccUncorrectable");
        assertThat(problems).extracting(SpecProblem::line).isSorted();
        assertThat(problems).allSatisfy(p -> assertThat(p.source()).isEqualTo(SOURCE));
        assertThat(SpecLint.hasErrors(problems)).isTrue();

        // parse stops at the first of them
        SpecFileException e = catchThrowableOfType(SpecFileException.class, () -> SpecFile.parse(SOURCE, text));
        assertThat(e.problem()).isEqualTo(problems.get(0));
        assertThat(e.problems()).isEqualTo(problems);
    }

    @Test
    void warningsAreFormattedAsWarnings() {
        List<SpecProblem> w = warnings(COMPLETE.replace("  vbios: [95.02.66.00.02]\n", ""));
        assertThat(w).hasSize(1);
        assertThat(w.get(0).format()).isEqualTo(SOURCE + ":" + lineOf(COMPLETE, "gpu:") + ": warning: gpu.vbios not set: "
                + "check gpu.vbios will be SKIPped (set it, or list gpu.vbios in checks.disabled)");
        assertThat(w.get(0).field()).isEqualTo("gpu.vbios");
        assertThat(SpecLint.hasErrors(w)).isFalse();
        // A warning never stops parse.
        assertThat(SpecFile.parse(SOURCE, COMPLETE.replace("  vbios: [95.02.66.00.02]\n", "")).gpu().vbios()).isEmpty();
    }

    @Test
    void aCompleteSpecHasNoProblems() {
        assertThat(lint(COMPLETE)).isEmpty();
        assertThat(lint(FULL)).isEmpty();
    }

    @Test
    void builtInSpecsHaveNoProblems() {
        for (String name : BuiltinSpecs.names()) {
            assertThat(SpecLint.lint(name + ".yaml", new StringReader(BuiltinSpecs.yaml(name)))).as(name).isEmpty();
        }
    }

    @Test
    void everyExpectationLeftOutIsNamedWithTheCheckThatWillSkip() {
        List<SpecProblem> w = warnings("spec: x\ngpu:\n  count: 8\ndriver: {}\ninfiniband: {rateGbps: 400}\nhost: {}\n");
        assertThat(w).extracting(SpecProblem::message).containsExactly(
                NO_BURNIN,
                "gpu.model not set: check gpu.model will be SKIPped (set it, or list gpu.model in checks.disabled)",
                "gpu.memoryMiB not set: check gpu.memory will be SKIPped (set it, or list gpu.memory in checks.disabled)",
                "gpu.vbios not set: check gpu.vbios will be SKIPped (set it, or list gpu.vbios in checks.disabled)",
                "gpu.pcie not set: check gpu.pcie.link will be SKIPped (set it, or list gpu.pcie.link in checks.disabled)",
                "gpu.nvlinks not set: check gpu.nvlink.links will be SKIPped (set it, or list gpu.nvlink.links in checks.disabled)",
                "gpu.ecc not set: check gpu.ecc.mode will be SKIPped (set it, or list gpu.ecc.mode in checks.disabled)",
                "gpu.persistence not set: check gpu.persistence will be SKIPped (set it, or list gpu.persistence in checks.disabled)",
                "gpu.mig not set: check gpu.mig will be SKIPped (set it, or list gpu.mig in checks.disabled)",
                "gpu.powerLimitWatts not set: check gpu.power.limit will be SKIPped (set it, or list gpu.power.limit in checks.disabled)",
                "gpu.busIds not set: a missing GPU is reported by count only, not by its slot",
                "driver sets neither min nor max: check driver.version will be SKIPped (set it, or list driver.version in checks.disabled)",
                "infiniband sets neither ports nor state: check ib.port.state will be SKIPped (set it, or list ib.port.state in checks.disabled)",
                "host.cpuSockets not set: check host.cpu will be SKIPped (set it, or list host.cpu in checks.disabled)",
                "host.memoryGiB not set: check host.memory will be SKIPped (set it, or list host.memory in checks.disabled)");
    }

    @Test
    void missingSectionsAreOneWarningEach() {
        assertThat(warnings("spec: x\n")).extracting(SpecProblem::message).containsExactly(
                "no 'gpu' section: checks gpu.count, gpu.model, gpu.memory, gpu.vbios, gpu.pcie.link, gpu.nvlink.links, "
                        + "gpu.ecc.mode, gpu.persistence, gpu.mig, gpu.power.limit will be SKIPped",
                "no 'driver' section: check driver.version will be SKIPped",
                "no 'infiniband' section: checks ib.port.state, ib.port.rate will be SKIPped",
                "no 'host' section: checks host.cpu, host.memory will be SKIPped",
                NO_BURNIN);
    }

    @Test
    void disablingACheckSilencesItsWarning() {
        String withoutIb = COMPLETE.replace("infiniband: {ports: 2, rateGbps: 200, state: ACTIVE}\n", "");
        assertThat(warnings(withoutIb)).extracting(SpecProblem::field).containsExactly("infiniband");
        assertThat(lint(withoutIb + "checks: {disabled: [ib.port.state, ib.port.rate]}\n")).isEmpty();
        assertThat(warnings(withoutIb + "checks: {disabled: [ib.port.rate]}\n")).extracting(SpecProblem::message)
                .containsExactly("no 'infiniband' section: check ib.port.state will be SKIPped");
    }

    @Test
    void nvlinksOnAPcieCardAndNoneOnAnSxmPart() {
        List<SpecProblem> pcie = warnings(COMPLETE.replace("nvlinks: 0", "nvlinks: 4"));
        assertThat(pcie).singleElement().satisfies(p -> {
            assertThat(p.field()).isEqualTo("gpu.nvlinks");
            assertThat(p.line()).isEqualTo(lineOf(COMPLETE, "nvlinks"));
            assertThat(p.message()).contains("NVIDIA L40S is a PCIe card without NVLink");
        });
        List<SpecProblem> sxm = warnings(FULL.replace("nvlinks: 18", "nvlinks: 0"));
        assertThat(sxm).singleElement().satisfies(p -> assertThat(p.message())
                .contains("gpu.nvlinks is 0 but NVIDIA H100 80GB HBM3 is an SXM part"));
    }

    @Test
    void policiesThatLetHardwareFaultsPass() {
        String text = COMPLETE + """
                thresholds:
                  eccUncorrectable: 1
                  xid:
                    fail: [48, 64, 74, 92, 95]
                    warn: [63, 94, 94]
                """;
        assertThat(warnings(text)).extracting(SpecProblem::line, SpecProblem::message).containsExactly(
                org.assertj.core.groups.Tuple.tuple(lineOf(text, "eccUncorrectable"), "thresholds.eccUncorrectable is 1: "
                        + "a GPU with up to 1 uncorrectable ECC error passes gpu.ecc.uncorrectable"),
                org.assertj.core.groups.Tuple.tuple(lineOf(text, "xid:"), "Xid 79 (GPU fell off the bus) is in neither "
                        + "thresholds.xid.fail nor thresholds.xid.warn: gpu.xid.recent will ignore it"),
                org.assertj.core.groups.Tuple.tuple(lineOf(text, "warn:"), "thresholds.xid.warn lists Xid 94 twice"));
    }

    @Test
    void oddListEntries() {
        String text = COMPLETE.replace("vbios: [95.02.66.00.02]", "vbios: [95.02.66.00.02, 95.02.66.00.02, 95.2.66]")
                + "checks: {disabled: [gpu.mig, gpu.mig]}\n";
        assertThat(warnings(text)).extracting(SpecProblem::field, SpecProblem::message).containsExactly(
                org.assertj.core.groups.Tuple.tuple("gpu.vbios[1]", "gpu.vbios lists 95.02.66.00.02 twice"),
                org.assertj.core.groups.Tuple.tuple("gpu.vbios[2]", "gpu.vbios entry '95.2.66' does not look like an NVIDIA "
                        + "VBIOS version (five hex pairs, e.g. 96.00.74.00.1C); every GPU will FAIL gpu.vbios unless it "
                        + "matches exactly"),
                org.assertj.core.groups.Tuple.tuple("checks.disabled[1]", "checks.disabled lists gpu.mig twice"));
    }

    @Test
    void aMisspeltFieldIsNotAlsoNotSet() {
        List<SpecProblem> problems = lint(COMPLETE.replace("memoryMiB", "memoryMib"));
        assertThat(problems).singleElement().satisfies(p -> assertThat(p.field()).isEqualTo("gpu.memoryMib"));
    }

    @Test
    void burninMinimumsAreCheckedFieldByField() {
        String text = COMPLETE.replace("burnin: {computeTflopsFp32: 68, computeTflopsTensor: 255, hbmGbps: 680, pcieGbps: 21.25}\n",
                """
                burnin:
                  computeTflopsFp32: 0
                  computeTflopsTensor: lots
                  hbmGbps: 680
                  pcieGbs: 21
                """);
        assertThat(lint(text)).extracting(SpecProblem::line, SpecProblem::field, SpecProblem::message).containsExactly(
                org.assertj.core.groups.Tuple.tuple(lineOf(text, "computeTflopsFp32"), "burnin.computeTflopsFp32",
                        "field 'burnin.computeTflopsFp32' must be a number above 0 and at most 1000000, got 0"),
                org.assertj.core.groups.Tuple.tuple(lineOf(text, "computeTflopsTensor"), "burnin.computeTflopsTensor",
                        "field 'burnin.computeTflopsTensor' must be a number above 0 and at most 1000000, got 'lots'"),
                org.assertj.core.groups.Tuple.tuple(lineOf(text, "pcieGbs"), "burnin.pcieGbs",
                        "unknown field 'burnin.pcieGbs' (did you mean 'pcieGbps'?); expected one of computeTflopsFp32, "
                                + "computeTflopsTensor, hbmGbps, pcieGbps"));
        assertThat(lint(COMPLETE.replace("burnin: {computeTflopsFp32", "burnin: [computeTflopsFp32")
                .replace("pcieGbps: 21.25}", "pcieGbps: 21.25]"))).singleElement()
                .satisfies(p -> assertThat(p.message()).startsWith("field 'burnin' must be a mapping of field: value"));
    }

    @Test
    void noBurninSectionIsAWarningNotAnError() {
        String text = COMPLETE.replace("burnin: {computeTflopsFp32: 68, computeTflopsTensor: 255, hbmGbps: 680, pcieGbps: 21.25}\n", "");
        assertThat(lint(text)).singleElement().satisfies(p -> {
            assertThat(p.severity()).isEqualTo(Severity.WARNING);
            assertThat(p.field()).isEqualTo("burnin");
            assertThat(p.message()).contains("burn-in throughput is judged by Kiln's per-model defaults");
        });
        assertThat(SpecFile.parse(SOURCE, text).burnin()).isNull();
        assertThat(SpecFile.parse(SOURCE, COMPLETE).burnin()).isEqualTo(new NodeSpec.BurninSpec(68.0, 255.0, 680.0, 21.25));
        // A partial section: the rest falls back to the defaults, without a warning.
        assertThat(lint(COMPLETE.replace("computeTflopsFp32: 68, ", ""))).isEmpty();
    }

    @Test
    void syntaxErrorIsTheOnlyProblem() {
        List<SpecProblem> problems = lint("spec: x\ngpu: [1, 2\n");
        assertThat(problems).singleElement().satisfies(p -> {
            assertThat(p.isError()).isTrue();
            assertThat(p.field()).isNull();
            assertThat(p.message()).startsWith("not valid YAML");
        });
    }

    @Test
    void lintAFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("sku.yaml");
        java.nio.file.Files.writeString(file, COMPLETE.replace("count: 4", "count: four"));
        assertThat(SpecLint.lint(file)).singleElement().satisfies(p -> assertThat(p.format())
                .isEqualTo(file + ":3: field 'gpu.count' must be an integer 1..64, got 'four'"));
        assertThat(SpecLint.lint(dir.resolve("nope.yaml"))).singleElement().satisfies(p -> {
            assertThat(p.line()).isZero();
            assertThat(p.format()).isEqualTo(dir.resolve("nope.yaml") + ": the spec file does not exist");
        });
    }
}
