package dev.kiln.agent.core;

import dev.kiln.agent.Schemas;
import dev.kiln.nvml.raw.NvmlLoader;
import dev.kiln.protocol.InventoryDocument;
import dev.kiln.protocol.NodeInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** A node without the NVIDIA driver: the agent still answers, and says why it sees no GPUs. */
class NodeAgentNoDriverTest {
    @TempDir
    Path sysfs;

    @Test
    void noDriverMeansZeroGpusAndAReasonNeverAnException() {
        try (NodeAgent agent = NodeAgent.real("n1", NvmlLoader.load("/nonexistent/libnvidia-ml.so.1"), sysfs)) {
            NodeInfo info = agent.nodeInfo();
            assertThat(info.name()).isEqualTo("n1");
            assertThat(info.mode()).isEqualTo(NodeInfo.MODE_REAL);
            assertThat(info.simulatorPreset()).isNull();
            assertThat(info.gpuCount()).isZero();
            assertThat(info.nvml().available()).isFalse();
            assertThat(info.nvml().reason()).contains("NVML library not found")
                    .contains("/nonexistent/libnvidia-ml.so.1");
            assertThat(Schemas.errors(Schemas.NODE, info)).isEmpty();

            InventoryDocument doc = agent.inventory(true);
            assertThat(doc.gpus()).isEmpty();
            assertThat(doc.infiniband()).isEmpty();
            assertThat(doc.nvml().available()).isFalse();
            assertThat(doc.errors()).anySatisfy(e -> {
                assertThat(e.component()).isEqualTo("nvml");
                assertThat(e.code()).isEqualTo("NVML_UNAVAILABLE");
                assertThat(e.message()).contains("NVML library not found");
            });
            // The real host, read through OSHI, must fit the schema too.
            assertThat(Schemas.errors(Schemas.INVENTORY, doc)).isEmpty();
            assertThat(InventoryTable.render(doc)).contains("NVML unavailable: NVML library not found");
        }
    }
}
