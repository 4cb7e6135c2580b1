package dev.kiln.protocol.spec;

import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.Schemas;
import dev.kiln.protocol.check.CheckRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.stream.Stream;

import static dev.kiln.protocol.spec.SpecSamples.FULL_SPEC;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A NodeSpec in JSON has the spec file's shape: one format, one schema, one validator. */
class NodeSpecJsonTest {

    static Stream<NodeSpec> specs() {
        return Stream.concat(Stream.of(FULL_SPEC, SpecSamples.MINIMAL), BuiltinSpecs.names().stream().map(BuiltinSpecs::get));
    }

    @Test
    void jsonHasTheSpecFilesShape() {
        JsonNode json = KilnJson.mapper().valueToTree(FULL_SPEC);
        assertThat(json.properties()).extracting(java.util.Map.Entry::getKey).containsExactly(
                "spec", "description", "gpu", "driver", "infiniband", "host", "thresholds", "burnin", "checks");
        assertThat(json.get("spec").asText()).isEqualTo("hgx-h100");
        assertThat(json.at("/gpu/pcie/generation").asInt()).isEqualTo(5);
        assertThat(json.at("/gpu/pcie/width").asInt()).isEqualTo(16);
        assertThat(json.at("/infiniband/rateGbps").isIntegralNumber()).isTrue();
        assertThat(json.at("/thresholds/xid/fail").toString()).isEqualTo("[48,64,74,79,92,95]");
        assertThat(json.at("/checks/disabled").toString()).isEqualTo("[\"gpu.processes\"]");
        assertThat(json.get("burnin").toString())
                .isEqualTo("{\"computeTflopsFp32\":42.5,\"computeTflopsTensor\":510,\"hbmGbps\":2465,\"pcieGbps\":46.75}");
        assertThat(KilnJson.mapper().valueToTree(SpecSamples.MINIMAL).has("burnin")).isFalse();
        assertThat(json.toString()).doesNotContain("pcieGeneration", "disabledChecks", "\"name\"");
    }

    @ParameterizedTest
    @MethodSource("specs")
    void jsonRoundTripsAndValidates(NodeSpec spec) throws Exception {
        String json = KilnJson.mapper().writeValueAsString(spec);
        assertThat(KilnJson.mapper().readValue(json, NodeSpec.class)).isEqualTo(spec);
        assertThat(Schemas.errors(Schemas.SPEC, KilnJson.mapper().readTree(json))).isEmpty();
        // The JSON is a spec file too, and the same spec as its YAML form.
        assertThat(SpecFile.parse("spec.json", json)).isEqualTo(spec);
        assertThat(SpecFile.parse("spec.json", json)).isEqualTo(SpecFile.parse("spec.yaml", SpecFile.toYaml(spec)));
    }

    @Test
    void insideACheckRequest() throws Exception {
        CheckRequest request = new CheckRequest(null, FULL_SPEC, List.of("gpu.pcie.link"), List.of());
        String json = KilnJson.mapper().writeValueAsString(request);
        assertThat(json).contains("\"spec\":{\"spec\":\"hgx-h100\"");
        assertThat(KilnJson.mapper().readValue(json, CheckRequest.class)).isEqualTo(request);

        CheckRequest byName = KilnJson.mapper().readValue("{\"specName\":\"hgx-h100\",\"spec\":null}", CheckRequest.class);
        assertThat(byName.spec()).isNull();
        assertThat(byName.specName()).isEqualTo("hgx-h100");
    }

    @Test
    void aBadJsonSpecIsRejectedNamingTheField() {
        ObjectNode json = KilnJson.mapper().valueToTree(FULL_SPEC);
        ((ObjectNode) json.at("/gpu/pcie")).put("generation", "five");
        assertThatThrownBy(() -> KilnJson.mapper().treeToValue(json, NodeSpec.class))
                .isInstanceOf(JsonMappingException.class)
                .hasMessageContaining("spec: field 'gpu.pcie.generation' must be an integer 1..6, got 'five'")
                .hasCauseInstanceOf(SpecFileException.class);
    }

    @Test
    void unknownFieldsInAJsonSpecAreRejectedUnlikeElsewhere() throws Exception {
        ObjectNode json = KilnJson.mapper().valueToTree(FULL_SPEC);
        ((ObjectNode) json.get("gpu")).put("pcieGeneration", 5);
        assertThatThrownBy(() -> KilnJson.mapper().treeToValue(json, NodeSpec.class))
                .hasMessageContaining("unknown field 'gpu.pcieGeneration'");
        String request = "{\"spec\":{\"spec\":\"x\",\"gpu\":{\"count\":\"8\",\"colour\":\"green\"}}}";
        assertThatThrownBy(() -> KilnJson.mapper().readValue(request, CheckRequest.class))
                .hasMessageContaining("unknown field 'gpu.colour'");
    }

    @Test
    void jsonNullsMeanNotSet() throws Exception {
        NodeSpec spec = KilnJson.mapper().readValue(
                "{\"spec\":\"x\",\"description\":null,\"gpu\":{\"count\":8,\"vbios\":null},\"driver\":null}", NodeSpec.class);
        assertThat(spec.gpu().count()).isEqualTo(8);
        assertThat(spec.gpu().vbios()).isEmpty();
        assertThat(spec.driver()).isNull();
    }

    @Test
    void theSchemaIsStrict() {
        assertThat(Schemas.errors(Schemas.SPEC, mutate(j -> j.put("colour", "green"))))
                .anySatisfy(m -> assertThat(m).contains("colour"));
        assertThat(Schemas.errors(Schemas.SPEC, mutate(j -> j.remove("spec"))))
                .anySatisfy(m -> assertThat(m).contains("spec"));
        assertThat(Schemas.errors(Schemas.SPEC, mutate(j -> ((ArrayNode) j.at("/gpu/busIds")).set(0, "18:00.0"))))
                .anySatisfy(m -> assertThat(m).contains("busIds"));
        assertThat(Schemas.errors(Schemas.SPEC, mutate(j -> ((ObjectNode) j.at("/gpu/pcie")).put("generation", 7))))
                .anySatisfy(m -> assertThat(m).contains("generation"));
        assertThat(Schemas.errors(Schemas.SPEC, mutate(j -> ((ObjectNode) j.get("driver")).put("min", "r550"))))
                .anySatisfy(m -> assertThat(m).contains("min"));
        assertThat(Schemas.errors(Schemas.SPEC, mutate(j -> ((ArrayNode) j.at("/checks/disabled")).add("gpu.pcie"))))
                .anySatisfy(m -> assertThat(m).contains("disabled"));
        assertThat(Schemas.errors(Schemas.SPEC, mutate(j -> ((ObjectNode) j.get("infiniband")).put("state", "UP"))))
                .anySatisfy(m -> assertThat(m).contains("state"));
        assertThat(Schemas.errors(Schemas.SPEC, mutate(j -> ((ObjectNode) j.get("burnin")).put("hbmGbps", 0))))
                .anySatisfy(m -> assertThat(m).contains("hbmGbps"));
        assertThat(Schemas.errors(Schemas.SPEC, mutate(j -> ((ObjectNode) j.get("burnin")).put("hbmGbs", 2000))))
                .anySatisfy(m -> assertThat(m).contains("hbmGbs"));
    }

    @Test
    void aBadBurninMinimumInJsonIsRejectedNamingTheField() {
        ObjectNode json = KilnJson.mapper().valueToTree(FULL_SPEC);
        ((ObjectNode) json.get("burnin")).put("pcieGbps", -1);
        assertThatThrownBy(() -> KilnJson.mapper().treeToValue(json, NodeSpec.class))
                .hasMessageContaining("spec: field 'burnin.pcieGbps' must be a number above 0 and at most 1000000, got -1");
        ((ObjectNode) json.get("burnin")).remove("pcieGbps");
        ((ObjectNode) json.get("burnin")).put("hbmGbs", 2000);
        assertThatThrownBy(() -> KilnJson.mapper().treeToValue(json, NodeSpec.class))
                .hasMessageContaining("unknown field 'burnin.hbmGbs'");
    }

    private static JsonNode mutate(java.util.function.Consumer<ObjectNode> change) {
        ObjectNode json = KilnJson.mapper().valueToTree(FULL_SPEC);
        change.accept(json);
        return json;
    }

    @Test
    void schemaListsExactlyTheKnownCheckIds() {
        JsonNode ids = Schemas.SPEC.getSchemaNode().at("/$defs/checkId/enum");
        assertThat(ids).extracting(JsonNode::asText).containsExactlyElementsOf(CheckIds.ALL);
    }
}
