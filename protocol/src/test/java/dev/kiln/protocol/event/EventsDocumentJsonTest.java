package dev.kiln.protocol.event;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.NodeIdentity;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** GET /v1/events on the wire: KilnJson's mapping and docs/schema/events.schema.json agree. */
class EventsDocumentJsonTest {
    private static final JsonSchema SCHEMA = load();

    private static JsonSchema load() {
        try (InputStream in = KilnJson.class.getResourceAsStream("/dev/kiln/protocol/schema/events.schema.json")) {
            assertThat(in).as("events.schema.json in the protocol jar").isNotNull();
            return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in,
                    SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build());
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    private static List<String> errors(JsonNode json) {
        return SCHEMA.validate(json).stream().map(ValidationMessage::getMessage).sorted().toList();
    }

    static EventsDocument sample() {
        Instant t = Instant.parse("2025-03-14T09:26:53.589Z");
        return new EventsDocument(1, EventsDocument.KIND,
                new NodeIdentity("node-001", "gpu-a01", "real", null, "0.1.0", "1b3c5d7e-aaaa-bbbb-cccc-0123456789ab"),
                true, null, List.of(
                new GpuEvent(t, "0f0e-old-boot", 4, "GPU-4", "00000000:9A:00.0", "xid", 79L, "fail",
                        "Xid 79: GPU fell off the bus"),
                new GpuEvent(t.plusSeconds(60), "1b3c5d7e-aaaa-bbbb-cccc-0123456789ab", 2, "GPU-2", "00000000:3A:00.0",
                        "ecc_double_bit", null, "fail", "double-bit (uncorrectable) ECC error"),
                new GpuEvent(t.plusSeconds(61), "1b3c5d7e-aaaa-bbbb-cccc-0123456789ab", 2, "GPU-2",
                        "00000000:3A:00.0", "recovery_action", 1L, "fail", "driver recommends gpu_reset"),
                new GpuEvent(t.plusSeconds(62), null, -1, null, null, "other", null, "info", "NVML event 0x100000000")));
    }

    @Test
    void sampleValidatesAndRoundTrips() throws Exception {
        EventsDocument doc = sample();
        JsonNode json = KilnJson.mapper().valueToTree(doc);
        assertThat(errors(json)).isEmpty();
        assertThat(json.get("events").get(0).get("time").asText()).isEqualTo("2025-03-14T09:26:53.589Z");
        assertThat(json.get("events").get(1).has("code")).as("nulls are written").isTrue();
        assertThat(KilnJson.mapper().treeToValue(json, EventsDocument.class)).isEqualTo(doc);
    }

    @Test
    void notWatchingWithAReasonValidates() {
        EventsDocument doc = new EventsDocument(1, EventsDocument.KIND,
                new NodeIdentity("n1", null, "real", null, "0.1.0", null), false,
                "NVML library not found: libnvidia-ml.so.1", List.of());
        assertThat(errors(KilnJson.mapper().valueToTree(doc))).isEmpty();
    }

    @Test
    void schemaIsStrict() {
        ObjectNode extra = KilnJson.mapper().valueToTree(sample());
        extra.put("rack", "rack-01");
        assertThat(errors(extra)).anySatisfy(m -> assertThat(m).contains("rack"));

        ObjectNode badType = KilnJson.mapper().valueToTree(sample());
        ((ObjectNode) badType.get("events").get(0)).put("type", "xid_79");
        assertThat(errors(badType)).isNotEmpty();

        ObjectNode badSeverity = KilnJson.mapper().valueToTree(sample());
        ((ObjectNode) badSeverity.get("events").get(0)).put("severity", "critical");
        assertThat(errors(badSeverity)).anySatisfy(m -> assertThat(m).contains("severity"));

        ObjectNode badTime = KilnJson.mapper().valueToTree(sample());
        ((ObjectNode) badTime.get("events").get(0)).put("time", "yesterday");
        assertThat(errors(badTime)).anySatisfy(m -> assertThat(m).contains("time"));

        ObjectNode missing = KilnJson.mapper().valueToTree(sample());
        missing.remove("watching");
        assertThat(errors(missing)).anySatisfy(m -> assertThat(m).contains("watching"));
    }
}
