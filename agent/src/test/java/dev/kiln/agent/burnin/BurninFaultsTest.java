package dev.kiln.agent.burnin;

import dev.kiln.nvml.sim.Fault;
import dev.kiln.nvml.sim.FaultFile;
import dev.kiln.nvml.sim.FaultFileException;
import dev.kiln.nvml.sim.FaultPlan;
import dev.kiln.nvml.sim.ServerPresets;
import dev.kiln.nvml.sim.SimulatedServer;
import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Burn-in fault types in faults files, and the worker's copy of them. */
class BurninFaultsTest {
    private static List<Fault> parse(String yaml) {
        return FaultFile.parse("f.yaml", new StringReader(yaml)).forNode("node-001", 1);
    }

    @Test
    void everyBurninFaultTypeParses() {
        List<Fault> faults = parse("""
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
                """);
        assertThat(faults).containsExactly(new Fault.BurninWrongResults(3),
                new Fault.BurninMemoryErrors(1, List.of(0x7f3a00001000L, 4096L)),
                new Fault.BurninThermal(2, Duration.ofMillis(1500)), new Fault.BurninXid(4, 79, Duration.ofMillis(500)),
                new Fault.WorkerCrash(Duration.ofSeconds(2)), new Fault.WorkerHang(Duration.ZERO));
        // The simulated NVML accepts them and is unchanged by them.
        new SimulatedServer("node-001", ServerPresets.HGX_H100, faults);
    }

    @Test
    void errorsNameTheLineAndField() {
        assertThatThrownBy(() -> parse("""
                faults:
                  - type: burnin-memory-errors
                    gpu: 1
                    addresses: [0x12, zz]
                """)).isInstanceOf(FaultFileException.class)
                .hasMessage("f.yaml:4: field 'addresses' must hold addresses such as 0x7f3a00001000, got 'zz'");
        assertThatThrownBy(() -> parse("""
                faults:
                  - type: burnin-memory-errors
                    gpu: 1
                """)).hasMessageStartingWith("f.yaml:2: fault 'burnin-memory-errors' needs 'addresses'");
        assertThatThrownBy(() -> parse("""
                faults:
                  - type: worker-crash
                    gpu: 1
                """)).hasMessage("f.yaml:3: field 'gpu' does not apply to fault type 'worker-crash'; it takes [afterSeconds]");
        assertThatThrownBy(() -> new SimulatedServer("n", ServerPresets.HGX_H100, List.of(new Fault.BurninWrongResults(9))))
                .hasMessageContaining("GPU 9");
    }

    @Test
    void theWorkersFaultsFileReadsBackAsTheSameFaults() {
        List<Fault> faults = List.of(new Fault.BurninWrongResults(3),
                new Fault.BurninMemoryErrors(1, List.of(0x7f3a00001000L)), new Fault.BurninThermal(2, Duration.ofMillis(1250)),
                new Fault.BurninXid(4, 48, Duration.ofSeconds(3)), new Fault.WorkerCrash(Duration.ofMillis(100)),
                new Fault.WorkerHang(Duration.ofSeconds(1)), new Fault.GpuMissing(5),
                new Fault.NvlinkDown(2, List.of(3, 7)), new Fault.PcieDowntrained(1, java.util.Optional.of(4),
                        java.util.Optional.of(8)), new Fault.NvlinkDegraded(6, List.of(), 0.4),
                new Fault.SlowGpuPair(1, 6, 0.6), new Fault.NvlinkErrors(2, 9, "crc_data", 40), new Fault.NicSlow(2.5),
                new Fault.NicLossy(1.5), new Fault.IbPortErrors("mlx5_3", 1, "symbol_error", 500),
                new Fault.WrongVbios(0, "96.00.99.00.01"));
        FaultPlan back = FaultFile.parse("w.yaml", new StringReader(BurninFaults.toYaml(faults)));
        // Everything the worker acts on travels; what only the agent's NVML answers (a VBIOS) does not.
        assertThat(back.forNode("x", 7)).containsExactlyElementsOf(faults.subList(0, faults.size() - 1));
    }
}
