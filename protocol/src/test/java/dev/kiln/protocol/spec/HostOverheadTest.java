package dev.kiln.protocol.spec;

import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.Schemas;
import org.junit.jupiter.api.Test;

import java.io.StringReader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code host.overheadWatts}: the host's draw besides its GPUs, for kiln bringup's power planning. */
class HostOverheadTest {

    @Test
    void readWrittenAndSentAsJson() throws Exception {
        NodeSpec spec = SpecFile.parse("x.yaml", "spec: x\nhost: {cpuSockets: 2, memoryGiB: 64, overheadWatts: 1500}\n");
        assertThat(spec.host().overheadWatts()).isEqualTo(1500);
        assertThat(SpecFile.toYaml(spec)).contains("overheadWatts: 1500");
        String json = KilnJson.mapper().writeValueAsString(spec);
        assertThat(KilnJson.mapper().readValue(json, NodeSpec.class)).isEqualTo(spec);
        assertThat(Schemas.errors(Schemas.SPEC, KilnJson.mapper().readTree(json))).isEmpty();
    }

    @Test
    void optionalAndNotACheck() {
        NodeSpec spec = SpecFile.parse("x.yaml", "spec: x\nhost: {cpuSockets: 2, memoryGiB: 64}\n");
        assertThat(spec.host().overheadWatts()).isNull();
        assertThat(SpecLint.lint("x.yaml", new StringReader("spec: x\nhost: {cpuSockets: 2, memoryGiB: 64}\n")))
                .noneMatch(p -> p.message().contains("overheadWatts"));
    }

    @Test
    void outOfRangeIsAnErrorAtItsLine() {
        assertThatThrownBy(() -> SpecFile.parse("x.yaml", "spec: x\nhost:\n  overheadWatts: 4.6 kW\n"))
                .hasMessageContaining("x.yaml:3").hasMessageContaining("host.overheadWatts")
                .hasMessageContaining("0..50000");
        assertThatThrownBy(() -> SpecFile.parse("x.yaml", "spec: x\nhost:\n  overheadWatts: 4600000\n"))
                .hasMessageContaining("host.overheadWatts");
    }

    @Test
    void everyBuiltInSetsIt() {
        for (String name : BuiltinSpecs.names()) {
            assertThat(BuiltinSpecs.get(name).host().overheadWatts()).as(name).isNotNull().isPositive();
        }
    }
}
