package dev.kiln.agent.core;

import dev.kiln.protocol.IbPort;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Fixture sysfs trees laid out as the mlx5 driver writes them. */
class SysfsInfinibandProbeTest {
    @TempDir
    Path sysfs;

    private Path device(String name, String fw, String guid) throws IOException {
        Path dev = Files.createDirectories(sysfs.resolve("class/infiniband").resolve(name));
        Files.writeString(dev.resolve("fw_ver"), fw + "\n");
        Files.writeString(dev.resolve("node_guid"), guid + "\n");
        return dev;
    }

    private static Path port(Path device, int port, String state, String phys, String rate, String linkLayer)
            throws IOException {
        Path p = Files.createDirectories(device.resolve("ports").resolve(Integer.toString(port)));
        Files.writeString(p.resolve("state"), state + "\n");
        Files.writeString(p.resolve("phys_state"), phys + "\n");
        Files.writeString(p.resolve("rate"), rate + "\n");
        Files.writeString(p.resolve("link_layer"), linkLayer + "\n");
        return p;
    }

    private InfinibandProbe.IbReading read() {
        return new SysfsInfinibandProbe(sysfs).read();
    }

    @Test
    void activeNdrPort() throws IOException {
        Path dev = device("mlx5_0", "28.39.1002", "a088:c203:0012:3456");
        port(dev, 1, "4: ACTIVE", "5: LinkUp", "400 Gb/sec (4X NDR)", "InfiniBand");

        InfinibandProbe.IbReading r = read();

        assertThat(r.errors()).isEmpty();
        assertThat(r.ports()).containsExactly(new IbPort("mlx5_0", 1, "ACTIVE", 4, "LinkUp", 5, 400.0,
                "400 Gb/sec (4X NDR)", "InfiniBand", "28.39.1002", "a088:c203:0012:3456"));
    }

    @Test
    void roceAndDownPorts() throws IOException {
        port(device("mlx5_0", "22.36.1010", "0c42:a103:00aa:bb01"), 1, "4: ACTIVE", "5: LinkUp",
                "100 Gb/sec (2X HDR)", "Ethernet");
        port(device("mlx5_1", "28.39.1002", "a088:c203:0012:0002"), 1, "1: DOWN", "3: Disabled",
                "10 Gb/sec (4X SDR)", "InfiniBand");
        port(device("mlx5_2", "28.39.1002", "a088:c203:0012:0003"), 1, "2: INIT", "5: LinkUp",
                "2.5 Gb/sec (1X SDR)", "InfiniBand");

        InfinibandProbe.IbReading r = read();

        assertThat(r.errors()).isEmpty();
        assertThat(r.ports()).hasSize(3);
        IbPort roce = r.ports().get(0);
        assertThat(roce.linkLayer()).isEqualTo("Ethernet");
        assertThat(roce.rateGbps()).isEqualTo(100.0);
        IbPort down = r.ports().get(1);
        assertThat(down.state()).isEqualTo("DOWN");
        assertThat(down.stateCode()).isEqualTo(1);
        assertThat(down.physicalState()).isEqualTo("Disabled");
        assertThat(down.physicalStateCode()).isEqualTo(3);
        assertThat(r.ports().get(2).rateGbps()).isEqualTo(2.5);
    }

    @Test
    void devicesAndPortsAreInNaturalOrder() throws IOException {
        for (String name : new String[]{"mlx5_10", "mlx5_2", "mlx5_0", "mlx5_1"}) {
            port(device(name, "28.39.1002", "g"), 1, "4: ACTIVE", "5: LinkUp", "400 Gb/sec (4X NDR)", "InfiniBand");
        }
        Path dual = device("mlx5_3", "28.39.1002", "g");
        port(dual, 2, "4: ACTIVE", "5: LinkUp", "200 Gb/sec (4X HDR)", "InfiniBand");
        port(dual, 1, "4: ACTIVE", "5: LinkUp", "200 Gb/sec (4X HDR)", "InfiniBand");

        assertThat(read().ports()).extracting(p -> p.device() + "/" + p.port())
                .containsExactly("mlx5_0/1", "mlx5_1/1", "mlx5_2/1", "mlx5_3/1", "mlx5_3/2", "mlx5_10/1");
    }

    @Test
    void naturalCompareFallsBackToPlainOrderForOtherNames() {
        assertThat(SysfsInfinibandProbe.naturalCompare("mlx5_2", "mlx5_10")).isNegative();
        assertThat(SysfsInfinibandProbe.naturalCompare("mlx5_10", "mlx5_2")).isPositive();
        assertThat(SysfsInfinibandProbe.naturalCompare("ibp0", "mlx5_0")).isNegative();
        assertThat(SysfsInfinibandProbe.naturalCompare("mlx5_bond", "mlx5_bond")).isZero();
    }

    @Test
    void noInfinibandDirectoryMeansNoPortsAndNoErrors() {
        InfinibandProbe.IbReading r = read();
        assertThat(r.ports()).isEmpty();
        assertThat(r.errors()).isEmpty();
    }

    @Test
    void missingSysfsRootMeansNoPortsAndNoErrors() {
        InfinibandProbe.IbReading r = new SysfsInfinibandProbe(sysfs.resolve("does/not/exist")).read();
        assertThat(r.ports()).isEmpty();
        assertThat(r.errors()).isEmpty();
    }

    @Test
    void missingFilesAreNullNotErrors() throws IOException {
        Path dev = Files.createDirectories(sysfs.resolve("class/infiniband/mlx5_0/ports/1"));
        Files.writeString(dev.resolve("state"), "4: ACTIVE\n");

        InfinibandProbe.IbReading r = read();

        assertThat(r.errors()).isEmpty();
        assertThat(r.ports()).singleElement().satisfies(p -> {
            assertThat(p.state()).isEqualTo("ACTIVE");
            assertThat(p.physicalState()).isNull();
            assertThat(p.rate()).isNull();
            assertThat(p.rateGbps()).isNull();
            assertThat(p.firmwareVersion()).isNull();
        });
    }

    @Test
    void valuesWithoutACodeAreKeptAsTheyAre() throws IOException {
        port(device("mlx5_0", "fw", "g"), 1, "ACTIVE", "LinkUp", "unknown", "InfiniBand");
        IbPort p = read().ports().get(0);
        assertThat(p.state()).isEqualTo("ACTIVE");
        assertThat(p.stateCode()).isNull();
        assertThat(p.rate()).isEqualTo("unknown");
        assertThat(p.rateGbps()).isNull();
    }

    @Test
    void nonNumericPortEntriesAreSkipped() throws IOException {
        Path dev = device("mlx5_0", "fw", "g");
        port(dev, 1, "4: ACTIVE", "5: LinkUp", "400 Gb/sec (4X NDR)", "InfiniBand");
        Files.createDirectories(dev.resolve("ports/lost+found"));
        assertThat(read().ports()).extracting(IbPort::port).containsExactly(1);
    }

    @Test
    void anUnreadableFileIsAnErrorAndOtherPortsAreStillRead() throws IOException {
        Path broken = port(device("mlx5_0", "28.39.1002", "g0"), 1, "4: ACTIVE", "5: LinkUp", "x", "InfiniBand");
        Files.delete(broken.resolve("rate"));
        Files.createDirectory(broken.resolve("rate"));  // reading a directory fails with an IOException
        port(device("mlx5_1", "28.39.1002", "g1"), 1, "4: ACTIVE", "5: LinkUp", "400 Gb/sec (4X NDR)", "InfiniBand");

        InfinibandProbe.IbReading r = read();

        assertThat(r.ports()).hasSize(2);
        assertThat(r.ports().get(0).device()).isEqualTo("mlx5_0");
        assertThat(r.ports().get(0).state()).isEqualTo("ACTIVE");
        assertThat(r.ports().get(0).rate()).as("a failed read is absent, never a made-up value").isNull();
        assertThat(r.ports().get(1).rateGbps()).isEqualTo(400.0);
        assertThat(r.errors()).singleElement().satisfies(e -> {
            assertThat(e.component()).isEqualTo("infiniband");
            assertThat(e.field()).isEqualTo("mlx5_0/1/rate");
            assertThat(e.code()).isEqualTo("READ_FAILED");
            assertThat(e.message()).contains(broken.resolve("rate").toString());
        });
    }

    @Test
    void parsers() {
        assertThat(SysfsInfinibandProbe.codedName(" 4: ACTIVE ")).isEqualTo("ACTIVE");
        assertThat(SysfsInfinibandProbe.codedNumber("5: LinkUp")).isEqualTo(5);
        assertThat(SysfsInfinibandProbe.codedName(null)).isNull();
        assertThat(SysfsInfinibandProbe.rateGbps("800 Gb/sec (8X XDR)")).isEqualTo(800.0);
        assertThat(SysfsInfinibandProbe.rateGbps("13.6 Gb/sec (4X FDR10)")).isEqualTo(13.6);
        assertThat(SysfsInfinibandProbe.rateGbps("")).isNull();
    }
}
