package dev.kiln.nvml.sim;

import dev.kiln.nvml.Nvml;
import dev.kiln.nvml.NvmlSession;
import dev.kiln.nvml.RecoveryAction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class FaultFileTest {

    private static final String SOURCE = "faults.yaml";

    private static final String EVERY_TYPE = """
            # one of each fault type
            faults:
              - type: gpu-missing
                node: node-003
                gpu: 3
              - type: ecc-uncorrectable
                node: 2
                gpu: 1
                count: 12
              - type: remap-pending
                gpu: 0
              - type: remap-failure
                gpu: 1
              - type: pcie-downtrained
                gpu: 2
                generation: 4
                width: 8
              - type: nvlink-down
                gpu: 1
                links: [3, 7]
              - type: thermal-slowdown
                gpu: 6
              - type: gpu-lost
                gpu: 5
                afterReads: 40
                afterSeconds: 2.5
              - type: missing-symbol
                symbols: [nvmlDeviceGetTemperatureV, nvmlDeviceGetRemappedRows]
                driverVersion: 470.82.01
              - type: wrong-vbios
                gpu: 7
                version: 96.00.99.00.01
              - type: process-running
                gpu: 0
                pid: 31337
                usedMemoryBytes: 4294967296
              - type: xid
                gpu: 4
                code: 48
                afterSeconds: 30
              - type: recovery-action
                gpu: 2
                action: drain_and_reset
            """;

    private static FaultPlan parse(String text) {
        return FaultFile.parse(SOURCE, new StringReader(text));
    }

    /** 1-based line of the first line of {@code text} that contains {@code fragment}. */
    private static int lineOf(String text, String fragment) {
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].contains(fragment)) {
                return i + 1;
            }
        }
        throw new IllegalArgumentException("'" + fragment + "' not in the test text");
    }

    @Test
    void everyTypeParses() {
        FaultPlan plan = parse(EVERY_TYPE);
        assertThat(plan.rules()).extracting(FaultPlan.Rule::fault).containsExactly(
                new Fault.GpuMissing(3),
                new Fault.EccUncorrectable(1, 12),
                new Fault.RemapPending(0),
                new Fault.RemapFailure(1),
                new Fault.PcieDowntrained(2, Optional.of(4), Optional.of(8)),
                new Fault.NvlinkDown(1, List.of(3, 7)),
                new Fault.ThermalSlowdown(6),
                new Fault.GpuLost(5, 40, Duration.ofMillis(2500)),
                new Fault.MissingSymbol(List.of("nvmlDeviceGetTemperatureV", "nvmlDeviceGetRemappedRows"),
                        Optional.of("470.82.01")),
                new Fault.WrongVbios(7, "96.00.99.00.01"),
                new Fault.ProcessRunning(0, 31337, 4_294_967_296L),
                new Fault.Xid(4, 48, Duration.ofSeconds(30)),
                new Fault.DriverRecoveryAction(2, RecoveryAction.DRAIN_AND_RESET));
        assertThat(plan.rules()).extracting(r -> r.fault().type()).containsExactly("gpu-missing",
                "ecc-uncorrectable", "remap-pending", "remap-failure", "pcie-downtrained", "nvlink-down",
                "thermal-slowdown", "gpu-lost", "missing-symbol", "wrong-vbios", "process-running", "xid",
                "recovery-action");
        // Each rule remembers where it was declared.
        assertThat(plan.rules().get(0).line()).isEqualTo(lineOf(EVERY_TYPE, "type: gpu-missing"));
        assertThat(plan.rules().get(10).line()).isEqualTo(lineOf(EVERY_TYPE, "type: process-running"));
        assertThat(Arrays.stream(Fault.class.getPermittedSubclasses()).filter(c -> c != Fault.Burnin.class && c != Fault.Fabric.class))
                .as("the file covers every NVML Fault type").hasSize(plan.rules().size());
    }

    @Test
    void everyBurninTypeParses() {
        String text = """
                faults:
                  - type: burnin-wrong-results
                    gpu: 3
                  - type: burnin-memory-errors
                    gpu: 1
                    addresses: [0x7f3a00001000, 4096]
                  - type: burnin-thermal
                    gpu: 2
                    afterSeconds: 1.5
                  - type: burnin-xid
                    gpu: 4
                    afterSeconds: 0.5
                  - type: worker-crash
                    afterSeconds: 2
                  - type: worker-hang
                """;
        FaultPlan plan = parse(text);
        assertThat(plan.rules()).extracting(FaultPlan.Rule::fault).containsExactly(new Fault.BurninWrongResults(3),
                new Fault.BurninMemoryErrors(1, List.of(0x7f3a00001000L, 4096L)),
                new Fault.BurninThermal(2, Duration.ofMillis(1500)), new Fault.BurninXid(4, 79, Duration.ofMillis(500)),
                new Fault.WorkerCrash(Duration.ofSeconds(2)), new Fault.WorkerHang(Duration.ZERO));
        assertThat(plan.rules().get(1).line()).isEqualTo(lineOf(text, "type: burnin-memory-errors"));
        assertThat(Fault.Burnin.class.getPermittedSubclasses()).as("the text covers every burn-in Fault type")
                .hasSize(plan.rules().size());
        assertThatThrownBy(() -> parse("faults:\n  - type: burnin-memory-errors\n    gpu: 1\n    addresses: [zz]\n"))
                .isInstanceOf(FaultFileException.class)
                .hasMessage(SOURCE + ":4: field 'addresses' must hold addresses such as 0x7f3a00001000, got 'zz'");
    }

    @Test
    void everyFabricTypeParsesWithDefaultsAndLineNamedErrors() {
        String text = """
                faults:
                  - {type: nvlink-degraded, gpu: 3, links: [0, 1], factor: 0.25}
                  - {type: nvlink-degraded, gpu: 2}
                  - {type: slow-gpu-pair, gpus: [1, 6], factor: 0.6}
                  - {type: nvlink-errors, gpu: 2, link: 5, counter: crc_data, count: 40}
                  - {type: nvlink-errors, gpu: 0, link: 1}
                  - {type: nic-slow, gbps: 2.5}
                  - {type: nic-lossy}
                  - {type: ib-port-errors, device: mlx5_3, count: 500}
                  - {type: ib-port-errors, device: mlx5_0, port: 2, counter: link_downed, count: 1}
                """;
        FaultPlan plan = parse(text);
        assertThat(plan.rules()).extracting(FaultPlan.Rule::fault).containsExactly(
                new Fault.NvlinkDegraded(3, List.of(0, 1), 0.25),
                new Fault.NvlinkDegraded(2, List.of(), 0.5),
                new Fault.SlowGpuPair(1, 6, 0.6),
                new Fault.NvlinkErrors(2, 5, "crc_data", 40),
                new Fault.NvlinkErrors(0, 1, "replay", 100),
                new Fault.NicSlow(2.5),
                new Fault.NicLossy(2.0),
                new Fault.IbPortErrors("mlx5_3", 1, "symbol_error", 500),
                new Fault.IbPortErrors("mlx5_0", 2, "link_downed", 1));
        assertThat(Fault.Fabric.class.getPermittedSubclasses()).as("the text covers every fabric Fault type")
                .hasSize((int) plan.rules().stream().map(r -> r.fault().getClass()).distinct().count());
        assertThatThrownBy(() -> parse("faults:\n  - {type: slow-gpu-pair, gpus: [2, 2]}\n"))
                .hasMessage(SOURCE + ":2: fault 'slow-gpu-pair' needs 'gpus' with two different GPU slots, e.g. [2, 5]");
        assertThatThrownBy(() -> parse("faults:\n  - {type: nvlink-degraded, gpu: 1, factor: 1.5}\n"))
                .hasMessage(SOURCE + ":2: field 'factor' must be a fraction of normal speed between 0 and 1 "
                        + "(exclusive), got 1.5");
        assertThatThrownBy(() -> parse("faults:\n  - {type: nic-slow}\n"))
                .hasMessage(SOURCE + ":2: fault 'nic-slow' needs 'gbps' (the rate the NIC is held to, Gbit/s)");
        assertThatThrownBy(() -> parse("faults:\n  - {type: nvlink-errors, gpu: 1, link: 2, counter: crc}\n"))
                .hasMessageContaining("field 'counter': unknown NVLink error counter 'crc'");
        assertThatThrownBy(() -> parse("faults:\n  - {type: nic-lossy, lossPercent: abc}\n"))
                .hasMessage(SOURCE + ":2: field 'lossPercent' must be a percentage, got 'abc'");
    }

    @Test
    void defaultsApplyWhenOptionalFieldsAreLeftOut() {
        FaultPlan plan = parse("""
                faults:
                  - {type: ecc-uncorrectable, gpu: 0}
                  - {type: nvlink-down, gpu: 0}
                  - {type: gpu-lost, gpu: 0}
                  - {type: missing-symbol, symbols: nvmlDeviceGetTemperatureV}
                  - {type: process-running, gpu: 0}
                  - {type: pcie-downtrained, gpu: 0, width: 4}
                  - {type: xid, gpu: 3, code: 79}
                """);
        assertThat(plan.rules()).extracting(FaultPlan.Rule::fault).containsExactly(
                new Fault.EccUncorrectable(0, 1),
                new Fault.NvlinkDown(0, List.of()),
                new Fault.GpuLost(0, 0, Duration.ZERO),
                new Fault.MissingSymbol(List.of("nvmlDeviceGetTemperatureV"), Optional.empty()),
                new Fault.ProcessRunning(0, 4242, 1L << 30),
                new Fault.PcieDowntrained(0, Optional.empty(), Optional.of(4)),
                new Fault.Xid(3, 79, Duration.ZERO));
    }

    @Test
    void emptyOrCommentOnlyFileMeansNoFaults() {
        assertThat(parse("")).isSameAs(FaultPlan.NONE);
        assertThat(parse("# nothing yet\n").isEmpty()).isTrue();
        assertThat(parse("faults: []\n").isEmpty()).isTrue();
    }

    // --- node targeting ------------------------------------------------------------------

    @Test
    void nodesAreTargetedByNameOrPosition() {
        FaultPlan plan = parse(EVERY_TYPE);
        FaultPlan.Rule byName = plan.rules().get(0);
        assertThat(byName.nodeName()).contains("node-003");
        assertThat(byName.nodePosition()).isEmpty();
        FaultPlan.Rule byPosition = plan.rules().get(1);
        assertThat(byPosition.nodePosition()).contains(2);
        assertThat(byPosition.nodeName()).isEmpty();

        List<Fault> untargeted = plan.rules().subList(2, plan.rules().size()).stream()
                .map(FaultPlan.Rule::fault).toList();
        // node-003 at position 3: the named fault and every untargeted one.
        assertThat(plan.forNode("node-003", 3)).containsExactlyElementsOf(
                Stream.concat(Stream.of(new Fault.GpuMissing(3)), untargeted.stream()).toList());
        // position 2, whatever its name.
        assertThat(plan.forNode("gpu-b07", 2)).containsExactlyElementsOf(
                Stream.concat(Stream.of(new Fault.EccUncorrectable(1, 12)), untargeted.stream()).toList());
        // a name is matched exactly, not as the node at that position.
        assertThat(plan.forNode("node-002", 1)).containsExactlyElementsOf(untargeted);
        assertThat(plan.forNode("node-0031", 4)).containsExactlyElementsOf(untargeted);
    }

    @Test
    void quotedNumberIsAPositionAndNamesMayContainDigits() {
        FaultPlan plan = parse("""
                faults:
                  - {type: remap-pending, gpu: 0, node: "7"}
                  - {type: remap-pending, gpu: 1, node: gpu07}
                """);
        assertThat(plan.rules().get(0).nodePosition()).contains(7);
        assertThat(plan.rules().get(1).nodeName()).contains("gpu07");
    }

    @Test
    void codeBuiltPlanTargetsEveryNode() {
        FaultPlan plan = FaultPlan.of(new Fault.RemapPending(0), new Fault.ThermalSlowdown(1));
        assertThat(plan.forNode("any", 17)).hasSize(2);
        assertThat(plan.rules()).allSatisfy(r -> assertThat(r.line()).isZero());
        assertThat(FaultPlan.NONE.forNode("any", 1)).isEmpty();
    }

    @Test
    void planDrivesTheSimulatorPerNode() {
        FaultPlan plan = parse(EVERY_TYPE);
        SimulatedServer third = new SimulatedServer("node-003", ServerPresets.HGX_H100, plan.forNode("node-003", 3));
        SimulatedServer first = new SimulatedServer("node-001", ServerPresets.HGX_H100, plan.forNode("node-001", 1));
        assertThat(Nvml.withSession(third.binding(), NvmlSession::deviceCount)).isEqualTo(7);
        assertThat(Nvml.withSession(first.binding(), NvmlSession::deviceCount)).isEqualTo(8);
        String driver = Nvml.withSession(first.binding(), s -> s.systemInfo().driverVersion());
        assertThat(driver).isEqualTo("470.82.01");
    }

    // --- JSON ----------------------------------------------------------------------------

    @Test
    void jsonIsAcceptedToo() {
        FaultPlan json = parse("""
                {
                  "faults": [
                    {"type": "nvlink-down", "node": "node-003", "gpu": 1, "links": [3, 7]},
                    {"type": "gpu-lost", "node": 2, "gpu": 5, "afterReads": 40, "afterSeconds": 2.5},
                    {"type": "missing-symbol", "symbols": ["nvmlDeviceGetTemperatureV"]}
                  ]
                }
                """);
        assertThat(json.rules()).extracting(FaultPlan.Rule::fault).containsExactly(
                new Fault.NvlinkDown(1, List.of(3, 7)),
                new Fault.GpuLost(5, 40, Duration.ofMillis(2500)),
                new Fault.MissingSymbol(List.of("nvmlDeviceGetTemperatureV"), Optional.empty()));
        assertThat(json.rules().get(0).nodeName()).contains("node-003");
        assertThat(json.rules().get(1).nodePosition()).contains(2);
        assertThat(json.rules().get(1).line()).isEqualTo(4);
    }

    @Test
    void jsonErrorsNameTheLineToo() {
        String text = """
                {
                  "faults": [
                    {"type": "gpu-missing",
                     "gpu": "two"}
                  ]
                }
                """;
        assertThatThrownBy(() -> parse(text)).isInstanceOf(FaultFileException.class)
                .hasMessageStartingWith(SOURCE + ":4: ").hasMessageContaining("'gpu'").hasMessageContaining("'two'");
    }

    // --- errors: source, line, field -----------------------------------------------------

    /**
     * name, text, the fragment that marks the line the error must name, and the field (or other
     * words) the message must name.
     */
    static Stream<Arguments> badFiles() {
        return Stream.of(
                // not YAML at all
                arguments("unclosed flow list", """
                        faults:
                          - type: gpu-missing
                            gpu: 1
                            links: [1, 2
                          - type: remap-pending
                        """, "- type: remap-pending", List.of("not valid YAML")),
                arguments("tab indentation", "faults:\n\t- type: gpu-missing\n", "\t- type", List.of("not valid YAML")),
                arguments("bad indentation", """
                        faults:
                          - type: gpu-missing
                           gpu: 1
                        """, " gpu: 1", List.of("not valid YAML")),
                // shape
                arguments("top level is a list", "- type: gpu-missing\n", "- type", List.of("top level", "mapping")),
                arguments("faults missing", "fault:\n  - type: gpu-missing\n", "fault:", List.of("'fault'")),
                arguments("faults not a list", "faults:\n  type: gpu-missing\n", "type: gpu-missing",
                        List.of("'faults'", "must be a list")),
                arguments("fault not a mapping", "faults:\n  - gpu-missing\n", "- gpu-missing",
                        List.of("fault must be a mapping")),
                arguments("field of another fault type", """
                        faults:
                          - type: remap-pending
                            gpu: 1
                            links: [3]
                        """, "links: [3]", List.of("'links'", "does not apply", "remap-pending")),
                // type
                arguments("unknown type", """
                        faults:
                          - gpu: 1
                            type: gpu-melted
                        """, "type: gpu-melted", List.of("'type'", "'gpu-melted'", "gpu-missing", "wrong-vbios")),
                arguments("missing type", """
                        faults:
                          - gpu: 1
                        """, "- gpu: 1", List.of("missing field 'type'")),
                arguments("type is a list", "faults:\n  - type: [gpu-missing]\n    gpu: 1\n", "type:",
                        List.of("'type'", "single value")),
                // unknown fields
                arguments("unknown field", """
                        faults:
                          - type: gpu-missing
                            gpu: 1
                            colour: red
                        """, "colour: red", List.of("unknown field 'colour'", "gpu")),
                arguments("unknown top-level field", "faults: []\nnodes: 3\n", "nodes: 3",
                        List.of("unknown field 'nodes'", "faults")),
                arguments("duplicate field", """
                        faults:
                          - type: gpu-missing
                            gpu: 1
                            gpu: 2
                        """, "gpu: 2", List.of("'gpu'", "twice", "line 3")),
                // missing required fields
                arguments("missing gpu", """
                        faults:
                          - type: remap-pending
                            gpu: 0
                          - type: remap-failure
                            node: node-001
                        """, "type: remap-failure", List.of("missing field 'gpu'")),
                arguments("pcie-downtrained without values", """
                        faults:
                          - type: pcie-downtrained
                            gpu: 1
                        """, "type: pcie-downtrained", List.of("'generation'", "'width'")),
                arguments("missing-symbol without symbols", """
                        faults:
                          - type: missing-symbol
                            driverVersion: 470.82.01
                        """, "type: missing-symbol", List.of("'symbols'")),
                arguments("wrong-vbios without version", """
                        faults:
                          - type: wrong-vbios
                            gpu: 2
                        """, "type: wrong-vbios", List.of("missing field 'version'")),
                arguments("wrong-vbios with empty version", """
                        faults:
                          - type: wrong-vbios
                            gpu: 2
                            version: ""
                        """, "version:", List.of("'version'", "empty")),
                // out of range
                arguments("gpu too large", """
                        faults:
                          - type: gpu-missing
                            gpu: 64
                        """, "gpu: 64", List.of("'gpu'", "between 0 and 63", "64")),
                arguments("negative gpu", "faults:\n  - type: gpu-missing\n    gpu: -1\n", "gpu: -1",
                        List.of("'gpu'", "between 0 and 63")),
                arguments("generation too high", """
                        faults:
                          - type: pcie-downtrained
                            gpu: 0
                            generation: 7
                        """, "generation: 7", List.of("'generation'", "between 1 and 6")),
                arguments("width zero", """
                        faults:
                          - type: pcie-downtrained
                            gpu: 0
                            width: 0
                        """, "width: 0", List.of("'width'", "between 1 and 32")),
                arguments("link out of range in a block list", """
                        faults:
                          - type: nvlink-down
                            gpu: 0
                            links:
                              - 3
                              - 36
                        """, "- 36", List.of("'links'", "between 0 and 35", "36")),
                arguments("count zero", """
                        faults:
                          - type: ecc-uncorrectable
                            gpu: 0
                            count: 0
                        """, "count: 0", List.of("'count'", "at least 1")),
                arguments("negative afterReads", """
                        faults:
                          - type: gpu-lost
                            gpu: 0
                            afterReads: -3
                        """, "afterReads", List.of("'afterReads'", "at least 0")),
                arguments("negative afterSeconds", """
                        faults:
                          - type: gpu-lost
                            gpu: 0
                            afterSeconds: -1
                        """, "afterSeconds", List.of("'afterSeconds'", ">= 0")),
                arguments("node position zero", """
                        faults:
                          - type: gpu-missing
                            gpu: 0
                            node: 0
                        """, "node: 0", List.of("'node'", "from 1")),
                arguments("pid zero", """
                        faults:
                          - type: process-running
                            gpu: 0
                            pid: 0
                        """, "pid: 0", List.of("'pid'", "at least 1")),
                // wrong types
                arguments("gpu is a word", """
                        faults:
                          - type: gpu-missing
                            gpu: two
                        """, "gpu: two", List.of("'gpu'", "integer", "'two'")),
                arguments("gpu is a fraction", "faults:\n  - type: gpu-missing\n    gpu: 1.5\n", "gpu: 1.5",
                        List.of("'gpu'", "integer", "'1.5'")),
                arguments("gpu is a boolean", "faults:\n  - type: gpu-missing\n    gpu: true\n", "gpu: true",
                        List.of("'gpu'", "integer")),
                arguments("gpu is a list", "faults:\n  - type: gpu-missing\n    gpu: [1, 2]\n", "gpu: [1, 2]",
                        List.of("'gpu'", "single value")),
                arguments("gpu is empty", "faults:\n  - type: gpu-missing\n    gpu:\n", "gpu:",
                        List.of("'gpu'", "integer")),
                arguments("count too big for a long", """
                        faults:
                          - type: ecc-uncorrectable
                            gpu: 0
                            count: 99999999999999999999
                        """, "count:", List.of("'count'", "integer")),
                arguments("afterSeconds is a word", """
                        faults:
                          - type: gpu-lost
                            gpu: 0
                            afterSeconds: soon
                        """, "afterSeconds", List.of("'afterSeconds'", "'soon'")),
                arguments("links is a mapping", """
                        faults:
                          - type: nvlink-down
                            gpu: 0
                            links: {first: 1}
                        """, "links:", List.of("'links'", "single value")),
                arguments("link is a word", """
                        faults:
                          - type: nvlink-down
                            gpu: 0
                            links: [1, three]
                        """, "links:", List.of("'links'", "integer", "'three'")),
                arguments("symbols nested list", """
                        faults:
                          - type: missing-symbol
                            symbols:
                              - [nvmlDeviceGetTemperatureV]
                        """, "- [nvmlDeviceGetTemperatureV]", List.of("'symbols'", "single value")),
                arguments("xid without code", """
                        faults:
                          - type: xid
                            gpu: 2
                        """, "type: xid", List.of("'code'", "Xid")),
                arguments("xid code zero", """
                        faults:
                          - type: xid
                            gpu: 2
                            code: 0
                        """, "code: 0", List.of("'code'", "between 1 and 999")),
                arguments("xid code is a word", """
                        faults:
                          - type: xid
                            gpu: 2
                            code: fell-off
                        """, "code:", List.of("'code'", "integer", "'fell-off'")),
                arguments("xid with a field of another type", """
                        faults:
                          - type: xid
                            gpu: 2
                            code: 79
                            afterReads: 3
                        """, "afterReads", List.of("'afterReads'", "does not apply", "'xid'", "afterSeconds")),
                arguments("xid negative afterSeconds", """
                        faults:
                          - type: xid
                            gpu: 2
                            code: 79
                            afterSeconds: -2
                        """, "afterSeconds", List.of("'afterSeconds'", ">= 0")),
                arguments("recovery-action without action", """
                        faults:
                          - type: recovery-action
                            gpu: 1
                        """, "type: recovery-action", List.of("missing field 'action'")),
                arguments("recovery-action unknown action", """
                        faults:
                          - type: recovery-action
                            gpu: 1
                            action: reboot
                        """, "action: reboot", List.of("'action'", "'reboot'", "gpu_reset", "node_reboot")),
                arguments("recovery-action unknown is not injectable", """
                        faults:
                          - type: recovery-action
                            gpu: 1
                            action: unknown
                        """, "action: unknown", List.of("'action'", "'unknown'")),
                arguments("node is a list", """
                        faults:
                          - type: gpu-missing
                            gpu: 0
                            node: [node-001, node-002]
                        """, "node:", List.of("'node'", "single value")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badFiles")
    void errorsNameSourceLineAndField(String name, String text, String lineMarker, List<String> mentions) {
        FaultFileException e = catchThrowableOfType(FaultFileException.class, () -> parse(text));
        assertThat(e).as("%s must be rejected", name).isNotNull();
        int line = lineOf(text, lineMarker);
        assertThat(e.getMessage()).as("source and line").startsWith(SOURCE + ":" + line + ": ");
        for (String m : mentions) {
            assertThat(e.getMessage()).contains(m);
        }
    }

    // --- files on disk ---------------------------------------------------------------------

    @Test
    void loadsFromAFileAndErrorsNameThePath(@TempDir Path dir) throws IOException {
        Path good = dir.resolve("faults.yaml");
        Files.writeString(good, EVERY_TYPE);
        assertThat(FaultFile.load(good).rules()).hasSize(13);

        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"faults\": [{\"type\": \"gpu-missing\"}]}\n");
        assertThatThrownBy(() -> FaultFile.load(bad)).isInstanceOf(FaultFileException.class)
                .hasMessageStartingWith(bad + ":1: ").hasMessageContaining("missing field 'gpu'");

        Path missing = dir.resolve("nope.yaml");
        assertThatThrownBy(() -> FaultFile.load(missing)).isInstanceOf(FaultFileException.class)
                .hasMessageContaining(missing.toString()).hasMessageContaining("does not exist");
    }
}
