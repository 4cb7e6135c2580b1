package dev.kiln.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The inventory document on the wire: KilnJson's mapping and docs/schema/inventory.schema.json agree. */
class InventoryDocumentJsonTest {
    private static final ObjectMapper JSON = KilnJson.mapper();

    static Stream<InventoryDocument> documents() {
        return Stream.of(SampleDocuments.full(), SampleDocuments.sparse());
    }

    private static ObjectNode tree(InventoryDocument doc) {
        return JSON.valueToTree(doc);
    }

    @ParameterizedTest
    @MethodSource("documents")
    void serializedDocumentValidatesAgainstThePublishedSchema(InventoryDocument doc) {
        assertThat(Schemas.errors(Schemas.INVENTORY, tree(doc))).isEmpty();
    }

    @ParameterizedTest
    @MethodSource("documents")
    void roundTripGivesAnEqualRecord(InventoryDocument doc) throws Exception {
        String text = JSON.writeValueAsString(doc);
        assertThat(JSON.readValue(text, InventoryDocument.class)).isEqualTo(doc);
    }

    @Test
    void prettyAndCompactWriteTheSameDocument() throws Exception {
        InventoryDocument doc = SampleDocuments.full();
        String pretty = KilnJson.pretty().writeValueAsString(doc);
        assertThat(pretty).contains("\n  \"schemaVersion\" : 1");
        assertThat(JSON.readTree(pretty)).isEqualTo(JSON.readTree(JSON.writeValueAsString(doc)));
    }

    @Test
    void timestampsAreIso8601Strings() {
        JsonNode json = tree(SampleDocuments.full());
        assertThat(json.get("collectedAt").isTextual()).isTrue();
        assertThat(json.get("collectedAt").asText()).isEqualTo("2025-03-14T09:26:53.589Z");
    }

    @Test
    void nullFieldsAreWrittenNotOmitted() {
        JsonNode json = tree(SampleDocuments.sparse());
        assertThat(json.get("node").has("hostname")).isTrue();
        assertThat(json.get("node").get("hostname").isNull()).isTrue();
        JsonNode gpu = json.get("gpus").get(0);
        assertThat(gpu.has("temperatureCelsius")).isTrue();
        assertThat(gpu.get("temperatureCelsius").isNull()).isTrue();
        assertThat(gpu.get("pci").isNull()).isTrue();
    }

    @Test
    void wireNamesAreTheRecordComponentNames() {
        JsonNode gpu = tree(SampleDocuments.full()).get("gpus").get(0);
        assertThat(gpu.get("pci").get("deviceId").asText()).isEqualTo("0x233010DE");
        assertThat(gpu.get("memoryTotalBytes").asLong()).isEqualTo(85_520_809_984L);
        assertThat(gpu.get("nvlinks").get(1).get("active").asBoolean()).isFalse();
        assertThat(gpu.get("clockEventReasons")).extracting(JsonNode::asText).containsExactly("gpu_idle", "sw_power_cap");
    }

    @Test
    void unknownFieldsAreIgnoredOnRead() throws Exception {
        // A newer agent may add fields anywhere; an older CLI must still read the document.
        InventoryDocument doc = SampleDocuments.full();
        ObjectNode json = tree(doc);
        json.put("clusterId", "c-1");
        ((ObjectNode) json.get("gpus").get(0)).put("fabricState", "completed");
        ((ObjectNode) json.get("gpus").get(0).get("pcie")).put("rxThroughputKiBps", 12);
        ((ObjectNode) json.get("host")).putObject("bmc").put("ip", "10.1.1.1");
        assertThat(JSON.treeToValue(json, InventoryDocument.class)).isEqualTo(doc);
    }

    @Test
    void unknownTopLevelFieldFailsValidation() {
        assertInvalid(j -> j.put("clusterId", "c-1"), "clusterId");
    }

    @Test
    void unknownNestedFieldFailsValidation() {
        assertInvalid(j -> ((ObjectNode) j.get("gpus").get(0)).put("fabricState", "completed"), "fabricState");
        assertInvalid(j -> ((ObjectNode) j.get("gpus").get(0).get("ecc")).put("sramUncorrected", 0),
                "sramUncorrected");
        assertInvalid(j -> ((ObjectNode) j.get("infiniband").get(0)).put("lid", 7), "lid");
    }

    @Test
    void missingRequiredFieldFailsValidation() {
        assertInvalid(j -> ((ObjectNode) j.get("gpus").get(0)).remove("uuid"), "uuid");
        assertInvalid(j -> j.remove("errors"), "errors");
    }

    @Test
    void wrongTypesFailValidation() {
        assertInvalid(j -> ((ObjectNode) j.get("gpus").get(0)).put("index", "zero"), "index");
        assertInvalid(j -> ((ObjectNode) j.get("gpus").get(0)).put("memoryTotalBytes", "80 GiB"), "memoryTotalBytes");
        assertInvalid(j -> j.put("schemaVersion", 2), "schemaVersion");
        assertInvalid(j -> j.put("collectedAt", 1_741_944_413_589L), "collectedAt");
        assertInvalid(j -> ((ObjectNode) j.get("nvml")).put("available", "yes"), "available");
    }

    @Test
    void enumsPatternsAndFormatsAreEnforced() {
        assertInvalid(j -> ((ObjectNode) j.get("gpus").get(0)).put("state", "broken"), "state");
        assertInvalid(j -> ((ObjectNode) j.get("gpus").get(0).get("pci")).put("deviceId", "0x233010de"), "deviceId");
        assertInvalid(j -> ((ObjectNode) j.get("gpus").get(0)).put("computeCapability", "sm_90"), "computeCapability");
        assertInvalid(j -> ((ObjectNode) j.get("gpus").get(0)).put("utilizationGpuPercent", 101),
                "utilizationGpuPercent");
        assertInvalid(j -> ((ObjectNode) j.get("errors").get(0)).put("component", "bmc"), "component");
        assertInvalid(j -> j.put("collectedAt", "yesterday"), "collectedAt");
    }

    private static void assertInvalid(Consumer<ObjectNode> breakIt, String mentioning) {
        ObjectNode json = tree(SampleDocuments.full());
        assertThat(Schemas.errors(Schemas.INVENTORY, json)).as("unbroken document").isEmpty();
        breakIt.accept(json);
        assertThat(Schemas.errors(Schemas.INVENTORY, json)).as("after breaking %s", mentioning)
                .isNotEmpty().anySatisfy(m -> assertThat(m).contains(mentioning));
    }
}
