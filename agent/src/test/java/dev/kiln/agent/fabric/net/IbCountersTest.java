package dev.kiln.agent.fabric.net;

import dev.kiln.nvml.sim.Fault;
import dev.kiln.nvml.sim.ServerPresets;
import dev.kiln.protocol.fabric.FabricFinding;
import dev.kiln.protocol.fabric.FabricTestIds;
import dev.kiln.protocol.fabric.PortCounters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Port counters on fixture sysfs trees laid out as the mlx5 driver writes them, and on simulated servers. */
class IbCountersTest {
    @TempDir
    Path sysfs;

    private Path port(String device, int port, String linkLayer) throws IOException {
        Path p = Files.createDirectories(sysfs.resolve("class/infiniband").resolve(device).resolve("ports")
                .resolve(Integer.toString(port)));
        Files.writeString(p.resolve("link_layer"), linkLayer + "\n");
        Path counters = Files.createDirectories(p.resolve("counters"));
        for (String c : IbCounters.COUNTERS) {
            Files.writeString(counters.resolve(c), "0\n");
        }
        return p;
    }

    private static void set(Path port, String counter, long value) throws IOException {
        Files.writeString(port.resolve("counters").resolve(counter), value + "\n");
    }

    @Test
    void deltasNotLifetimeTotalsAreJudged() throws IOException {
        Path ib = port("mlx5_0", 1, "InfiniBand");
        Path roce = port("mlx5_1", 1, "Ethernet");
        set(ib, "symbol_error", 40_000); // an old cable's lifetime total: not this test's business
        set(roce, "port_xmit_discards", 12);

        IbCounters.Snapshot before = IbCounters.read(sysfs);
        assertThat(before.ports()).hasSize(2);
        assertThat(before.ports().getFirst().values()).containsEntry("symbol_error", 40_000L);

        assertThat(IbCounters.judge(IbCounters.delta(before, IbCounters.read(sysfs)))).isEmpty();

        set(ib, "symbol_error", 40_120);
        set(ib, "link_downed", 1);
        set(roce, "port_xmit_discards", 17);
        List<PortCounters> deltas = IbCounters.delta(before, IbCounters.read(sysfs));

        assertThat(deltas).extracting(PortCounters::device).containsExactly("mlx5_0", "mlx5_1");
        PortCounters d0 = deltas.getFirst();
        assertThat(d0.port()).isEqualTo(1);
        assertThat(d0.linkLayer()).isEqualTo("InfiniBand");
        assertThat(d0.deltas()).hasSize(IbCounters.COUNTERS.size())
                .containsEntry("symbol_error", 120L).containsEntry("link_downed", 1L).containsEntry("port_rcv_errors", 0L);
        assertThat(d0.unreadable()).isEmpty();
        assertThat(deltas.get(1).deltas()).containsEntry("port_xmit_discards", 5L);

        List<FabricFinding> findings = IbCounters.judge(deltas);
        assertThat(findings).hasSize(2);
        FabricFinding fail = findings.getFirst();
        assertThat(fail.test()).isEqualTo(FabricTestIds.RDMA);
        assertThat(fail.severity()).isEqualTo(FabricFinding.FAIL);
        assertThat(fail.subject()).isEqualTo("port");
        assertThat(fail.ends().getFirst()).isEqualTo("mlx5_0 port 1 (InfiniBand)");
        assertThat(fail.observed()).isEqualTo("symbol_error +120, link_downed +1 during the test");
        assertThat(fail.action()).startsWith("reseat or replace the cable/transceiver on mlx5_0 port 1; check the switch port");
        FabricFinding warn = findings.get(1);
        assertThat(warn.severity()).isEqualTo(FabricFinding.WARN);
        assertThat(warn.ends().getFirst()).isEqualTo("mlx5_1 port 1 (Ethernet)");
        assertThat(warn.observed()).isEqualTo("port_xmit_discards +5 during the test");
        assertThat(warn.culprit()).contains("congestion");
    }

    @Test
    void aCounterThatWentBackwardsWasResetNotNegative() throws IOException {
        Path p = port("mlx5_0", 1, "InfiniBand");
        set(p, "symbol_error", 500);
        IbCounters.Snapshot before = IbCounters.read(sysfs);
        set(p, "symbol_error", 3);
        PortCounters d = IbCounters.delta(before, IbCounters.read(sysfs)).getFirst();
        assertThat(d.deltas()).containsEntry("symbol_error", 3L);
        assertThat(d.deltas().values()).allMatch(v -> v >= 0);
        assertThat(d.unreadable()).singleElement().asString()
                .contains("symbol_error: reset during the test (before 500, after 3)");
        assertThat(IbCounters.judge(List.of(d))).singleElement()
                .satisfies(f -> assertThat(f.observed()).startsWith("symbol_error +3"));
    }

    @Test
    void unreadableAndMissingCountersAreRecordedNotThrown() throws IOException {
        Path p = port("mlx5_0", 1, "InfiniBand");
        Files.delete(p.resolve("counters/VL15_dropped"));                  // not exposed: absent
        Files.writeString(p.resolve("counters/port_rcv_errors"), "N/A\n"); // garbage
        Files.delete(p.resolve("counters/symbol_error"));
        Files.createDirectory(p.resolve("counters/symbol_error"));         // cannot be read as a file

        IbCounters.Snapshot s = IbCounters.read(sysfs);
        IbCounters.PortReading r = s.ports().getFirst();
        assertThat(r.values()).doesNotContainKeys("VL15_dropped", "port_rcv_errors", "symbol_error");
        assertThat(r.unreadable()).hasSize(2).anySatisfy(u -> assertThat(u).startsWith("port_rcv_errors: not a number"))
                .anySatisfy(u -> assertThat(u).startsWith("symbol_error: "));

        PortCounters d = IbCounters.delta(s, IbCounters.read(sysfs)).getFirst();
        assertThat(d.deltas()).doesNotContainKeys("VL15_dropped", "port_rcv_errors", "symbol_error")
                .containsEntry("link_downed", 0L);
        assertThat(d.unreadable()).hasSize(2);
    }

    @Test
    void aPortThatDisappearedIsSaid() throws IOException {
        Path p = port("mlx5_0", 1, "InfiniBand");
        IbCounters.Snapshot before = IbCounters.read(sysfs);
        try (var files = Files.walk(p.getParent().getParent())) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
        PortCounters d = IbCounters.delta(before, IbCounters.read(sysfs)).getFirst();
        assertThat(d.deltas()).isEmpty();
        assertThat(d.unreadable()).singleElement().asString().contains("disappeared");
    }

    @Test
    void noInfinibandMeansNoPorts() {
        assertThat(IbCounters.read(sysfs).ports()).isEmpty();
        assertThat(IbCounters.delta(IbCounters.read(sysfs), IbCounters.read(sysfs))).isEmpty();
    }

    @Test
    void portsAreInNaturalOrder() throws IOException {
        for (String d : List.of("mlx5_10", "mlx5_2", "mlx5_0")) {
            port(d, 1, "InfiniBand");
        }
        assertThat(new SysfsIbCounterSource(sysfs).read().ports()).extracting(IbCounters.PortReading::device)
                .containsExactly("mlx5_0", "mlx5_2", "mlx5_10");
    }

    @Test
    void simulatedPortWithRisingSymbolErrors() {
        IbCounterSource sim = new SimulatedIbCounterSource("node-004", ServerPresets.HGX_H100,
                List.of(new Fault.IbPortErrors("mlx5_3", 1, "symbol_error", 250), new Fault.NicSlow(10)));
        IbCounters.Snapshot first = sim.read();
        assertThat(first.ports()).hasSize(8).extracting(IbCounters.PortReading::device)
                .startsWith("mlx5_0").endsWith("mlx5_7");
        assertThat(first.ports()).allSatisfy(p -> {
            assertThat(p.port()).isEqualTo(1);
            assertThat(p.linkLayer()).isEqualTo("InfiniBand");
            assertThat(p.values()).hasSize(IbCounters.COUNTERS.size()).allSatisfy((k, v) -> assertThat(v).isPositive());
        });

        IbCounters.Snapshot second = sim.read();
        List<PortCounters> deltas = IbCounters.delta(first, second);
        for (PortCounters d : deltas) {
            Map<String, Long> expected = new java.util.HashMap<>();
            IbCounters.COUNTERS.forEach(c -> expected.put(c, 0L));
            if (d.device().equals("mlx5_3")) {
                expected.put("symbol_error", 250L);
            }
            assertThat(d.deltas()).isEqualTo(expected);
        }
        assertThat(IbCounters.judge(deltas)).singleElement().satisfies(f -> {
            assertThat(f.severity()).isEqualTo(FabricFinding.FAIL);
            assertThat(f.ends().getFirst()).isEqualTo("mlx5_3 port 1 (InfiniBand)");
            assertThat(f.observed()).isEqualTo("symbol_error +250 during the test");
            assertThat(f.action()).contains("reseat or replace the cable/transceiver on mlx5_3 port 1");
        });
        // it keeps rising: the next job sees the same delta
        assertThat(IbCounters.delta(second, sim.read()).get(3).deltas()).containsEntry("symbol_error", 250L);
    }

    @Test
    void healthySimulatedServerHasNoFindingsDespiteNonzeroTotals() {
        IbCounterSource sim = new SimulatedIbCounterSource("node-001", ServerPresets.HGX_H100, List.of());
        assertThat(IbCounters.judge(IbCounters.delta(sim.read(), sim.read()))).isEmpty();
    }

    @Test
    void simulatedFaultOnAPortThePresetLacksIsRejected() {
        assertThatThrownBy(() -> new SimulatedIbCounterSource("node-001", ServerPresets.HGX_H100,
                List.of(new Fault.IbPortErrors("mlx5_9", 1, "symbol_error", 5))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("mlx5_9 port 1 does not exist").hasMessageContaining("mlx5_0..mlx5_7");
        assertThatThrownBy(() -> new SimulatedIbCounterSource("node-001", ServerPresets.HGX_H100,
                List.of(new Fault.IbPortErrors("mlx5_1", 1, "crc_errors", 5))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown counter 'crc_errors'");
    }
}
