package dev.kiln.protocol.check;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.NodeIdentity;
import dev.kiln.protocol.Schemas;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** POST /v1/checks on the wire, against docs/schema/checks.schema.json. */
class CheckReportJsonTest {
    private static final GpuRef GPU2 = new GpuRef(2, "GPU-6f1d6c1e-0b8a-3c1a-9d2e-5f0e8a7b1c02", "1654922001234",
            "00000000:3A:00.0");

    static CheckReport sample() {
        return new CheckReport(1, CheckReport.KIND,
                new NodeIdentity("node-003", "gpu-a03", "simulated", "hgx-h100", "0.1.0",
                        "1b3c5d7e-aaaa-bbbb-cccc-0123456789ab"),
                "hgx-h100", Instant.parse("2025-03-14T09:26:53.589Z"), 412, CheckStatus.ERROR, List.of(
                new CheckResult("gpu.count", CheckStatus.PASS, null, null, "8", "8", "8 GPUs", null, 3),
                new CheckResult("gpu.pcie.link", CheckStatus.FAIL, GPU2, null, "Gen4 x8", "Gen5 x16",
                        "GPU 2 link trained to Gen4 x8, expected Gen5 x16",
                        "reseat or RMA GPU serial 1654922001234", 1),
                new CheckResult("ib.port.rate", CheckStatus.WARN, null, "mlx5_0/1", "200 Gb/sec (4X HDR)",
                        "400 Gb/sec", "mlx5_0/1 runs at 200 Gb/sec", "check the cable", 0),
                new CheckResult("gpu.vbios", CheckStatus.SKIP, null, null, null, null,
                        "spec 'hgx-h100' does not set gpu.vbios", null, 0),
                new CheckResult("gpu.thermal", CheckStatus.ERROR, new GpuRef(5, null, null, null), null, null, null,
                        "check timed out after 5000 ms", null, 5000),
                new CheckResult("gpu.count", CheckStatus.PASS, null, null, null, null, null, null, 0)));
    }

    @Test
    void reportValidates() {
        JsonNode json = KilnJson.mapper().valueToTree(sample());
        assertThat(Schemas.errors(Schemas.CHECKS, json)).isEmpty();
        assertThat(json.get("startedAt").asText()).isEqualTo("2025-03-14T09:26:53.589Z");
        assertThat(json.at("/results/1/gpu/serial").asText()).isEqualTo("1654922001234");
    }

    @Test
    void reportRoundTrips() throws Exception {
        String json = KilnJson.mapper().writeValueAsString(sample());
        assertThat(KilnJson.mapper().readValue(json, CheckReport.class)).isEqualTo(sample());
    }

    @Test
    void emptyReportWithoutSpecValidates() {
        CheckReport empty = new CheckReport(1, CheckReport.KIND,
                new NodeIdentity("n1", null, "real", null, "0.1.0", null), null,
                Instant.parse("2025-03-14T09:26:53Z"), 0, CheckStatus.PASS, List.of());
        assertThat(Schemas.errors(Schemas.CHECKS, KilnJson.mapper().valueToTree(empty))).isEmpty();
    }

    @Test
    void skipAndErrorMustSayWhy() {
        for (int i : new int[]{1, 2, 3, 4}) {
            ObjectNode json = KilnJson.mapper().valueToTree(sample());
            ((ObjectNode) json.at("/results/" + i)).putNull("message");
            assertThat(Schemas.errors(Schemas.CHECKS, json)).as("result " + i).isNotEmpty();
        }
        ObjectNode json = KilnJson.mapper().valueToTree(sample());
        ((ObjectNode) json.at("/results/3")).put("message", "");
        assertThat(Schemas.errors(Schemas.CHECKS, json)).isNotEmpty();
    }

    @Test
    void schemaIsStrict() {
        ObjectNode status = KilnJson.mapper().valueToTree(sample());
        ((ObjectNode) status.at("/results/0")).put("status", "OK");
        assertThat(Schemas.errors(Schemas.CHECKS, status)).anySatisfy(m -> assertThat(m).contains("status"));

        ObjectNode id = KilnJson.mapper().valueToTree(sample());
        ((ObjectNode) id.at("/results/0")).put("id", "GPU count");
        assertThat(Schemas.errors(Schemas.CHECKS, id)).anySatisfy(m -> assertThat(m).contains("id"));

        ObjectNode extra = KilnJson.mapper().valueToTree(sample());
        ((ObjectNode) extra.at("/results/1/gpu")).put("slot", 2);
        assertThat(Schemas.errors(Schemas.CHECKS, extra)).anySatisfy(m -> assertThat(m).contains("slot"));

        ObjectNode verdict = KilnJson.mapper().valueToTree(sample());
        verdict.put("verdict", "BROKEN");
        assertThat(Schemas.errors(Schemas.CHECKS, verdict)).anySatisfy(m -> assertThat(m).contains("verdict"));

        ObjectNode time = KilnJson.mapper().valueToTree(sample());
        time.put("startedAt", "yesterday");
        assertThat(Schemas.errors(Schemas.CHECKS, time)).anySatisfy(m -> assertThat(m).contains("startedAt"));

        ObjectNode missing = KilnJson.mapper().valueToTree(sample());
        ((ObjectNode) missing.at("/results/0")).remove("durationMs");
        assertThat(Schemas.errors(Schemas.CHECKS, missing)).anySatisfy(m -> assertThat(m).contains("durationMs"));
    }

    @Test
    void statusesInTheSchemaAreTheEnum() {
        JsonNode statuses = Schemas.CHECKS.getSchemaNode().at("/$defs/status/enum");
        assertThat(statuses).extracting(JsonNode::asText)
                .containsExactly(java.util.Arrays.stream(CheckStatus.values()).map(Enum::name).toArray(String[]::new));
    }
}
