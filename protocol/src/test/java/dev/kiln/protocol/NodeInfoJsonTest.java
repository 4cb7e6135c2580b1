package dev.kiln.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** GET /v1/node and the error body, on the wire. */
class NodeInfoJsonTest {

    @Test
    void nodeInfoValidatesAgainstNodeSchema() {
        JsonNode json = KilnJson.mapper().valueToTree(SampleDocuments.nodeInfo());
        assertThat(Schemas.errors(Schemas.NODE, json)).isEmpty();
        assertThat(json.get("startedAt").asText()).isEqualTo("2025-03-14T09:26:53.589Z");
    }

    @Test
    void nodeInfoWithoutNvmlValidates() {
        NodeInfo info = new NodeInfo(1, "n1", null, "0.1.0", SampleDocuments.COLLECTED, 0, NodeInfo.MODE_REAL, null,
                new NvmlStatus(false, "NVML library not found", null, null, null, null, List.of()), 0);
        assertThat(Schemas.errors(Schemas.NODE, KilnJson.mapper().valueToTree(info))).isEmpty();
    }

    @Test
    void nodeSchemaIsStrict() {
        ObjectNode json = KilnJson.mapper().valueToTree(SampleDocuments.nodeInfo());
        json.put("rack", "rack-01");
        assertThat(Schemas.errors(Schemas.NODE, json)).anySatisfy(m -> assertThat(m).contains("rack"));

        ObjectNode negative = KilnJson.mapper().valueToTree(SampleDocuments.nodeInfo());
        negative.put("gpuCount", -1);
        assertThat(Schemas.errors(Schemas.NODE, negative)).anySatisfy(m -> assertThat(m).contains("gpuCount"));

        ObjectNode badMode = KilnJson.mapper().valueToTree(SampleDocuments.nodeInfo());
        badMode.put("mode", "mock");
        assertThat(Schemas.errors(Schemas.NODE, badMode)).anySatisfy(m -> assertThat(m).contains("mode"));
    }

    @Test
    void nodeInfoRoundTripsAndIgnoresUnknownFields() throws Exception {
        NodeInfo info = SampleDocuments.nodeInfo();
        ObjectNode json = KilnJson.mapper().valueToTree(info);
        json.put("rack", "rack-01");
        assertThat(KilnJson.mapper().treeToValue(json, NodeInfo.class)).isEqualTo(info);
    }

    @Test
    void apiErrorHasExactlyStatusErrorMessage() throws Exception {
        JsonNode json = KilnJson.mapper().valueToTree(new ApiError(404, "not_found", "no such endpoint"));
        assertThat(json.properties()).extracting(java.util.Map.Entry::getKey)
                .containsExactly("status", "error", "message");
        assertThat(json.get("status").asInt()).isEqualTo(404);
    }

    @Test
    void kilnVersionIsFilteredInAtBuildTime() {
        assertThat(ProtocolVersion.KILN_VERSION).isNotBlank().doesNotContain("${").isNotEqualTo("dev");
    }
}
