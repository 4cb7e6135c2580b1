package dev.kiln.protocol.spec;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The built-in specs load; that they match the simulator presets is tested in the agent (BuiltinSpecsMatchPresetsTest). */
class BuiltinSpecsTest {

    @Test
    void oneSpecPerSimulatorPreset() {
        assertThat(BuiltinSpecs.names()).containsExactly("hgx-h100", "hgx-h200", "hgx-b200", "pcie-l40s");
        for (String name : BuiltinSpecs.names()) {
            NodeSpec spec = BuiltinSpecs.get(name);
            assertThat(spec.name()).isEqualTo(name);
            assertThat(spec.gpu().busIds()).hasSize(spec.gpu().count());
            assertThat(spec.disabledChecks()).isEmpty();
            assertThat(spec.thresholds()).isEqualTo(NodeSpec.Thresholds.DEFAULT);
            assertThat(BuiltinSpecs.yaml(name)).startsWith("# Built-in spec").contains("spec: " + name + "\n");
            assertThat(BuiltinSpecs.find(name)).contains(spec);
        }
    }

    @Test
    void thePcieSkuExpectsNoNvlinks() {
        assertThat(BuiltinSpecs.get("pcie-l40s").gpu().nvlinks()).isZero();
        assertThat(BuiltinSpecs.get("hgx-h100").gpu().nvlinks()).isEqualTo(18);
    }

    @Test
    void unknownNamesAreRefusedWithTheList() {
        assertThat(BuiltinSpecs.find("dgx-a100")).isEmpty();
        assertThatThrownBy(() -> BuiltinSpecs.get("dgx-a100")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown built-in spec 'dgx-a100'; choose one of hgx-h100, hgx-h200, hgx-b200, pcie-l40s, "
                        + "or give a spec file");
        assertThatThrownBy(() -> BuiltinSpecs.yaml("dgx-a100")).isInstanceOf(IllegalArgumentException.class);
    }
}
