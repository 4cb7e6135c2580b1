package dev.kiln.cli.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.kiln.protocol.KilnJson;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class JsonReportTest {
    static final JsonSchema SCHEMA = schema();

    @Test
    void matchesTheSchemaAndCarriesTheRolloutFigures() throws Exception {
        String json = JsonReport.render(ReportFixtures.small());
        assertThat(errors(json)).isEmpty();
        JsonNode root = KilnJson.mapper().readTree(json);

        assertThat(root.path("kind").asText()).isEqualTo("kiln.report");
        assertThat(root.path("fleet").path("generatedAt").asText()).isEqualTo("2025-06-02T12:00:00Z");
        assertThat(root.path("fleet").path("runIds").toString()).isEqualTo("[\"run-a\",\"run-b\"]");
        JsonNode s = root.path("summary");
        assertThat(s.path("nodes").toString())
                .isEqualTo("{\"total\":5,\"accepted\":2,\"quarantined\":1,\"inProgress\":1,\"notStarted\":1}");
        assertThat(s.path("throughputNodesPerHour").asDouble()).isEqualTo(0.571);
        assertThat(s.path("spanSeconds").asLong()).isEqualTo(12_600);
        assertThat(s.path("timeToProduction").path("maxSeconds").asLong()).isEqualTo(165 * 60);
        assertThat(s.path("openNodes").toString()).isEqualTo("[\"node-04\",\"node-03\"]");
        assertThat(s.path("complete").asBoolean()).isFalse();
        JsonNode cp = root.path("criticalPath");
        assertThat(cp.path("node").asText()).isEqualTo("node-10");
        long sum = 0;
        for (JsonNode seg : cp.path("segments")) {
            sum += seg.path("durationSeconds").asLong();
        }
        assertThat(sum).isEqualTo(cp.path("durationSeconds").asLong()).isEqualTo(210 * 60);
        assertThat(root.path("rma")).hasSize(2);
        assertThat(root.path("rma").get(0).path("serial").asText()).isEqualTo("1650000000001");
        assertThat(root.path("rma").get(0).path("node").asText()).isEqualTo("node-02");

        JsonNode rackA = root.path("racks").get(0);
        assertThat(rackA.path("name").asText()).isEqualTo("rack-a");
        JsonNode n01 = rackA.path("nodes").get(0);
        assertThat(n01.path("timeToProductionSeconds").asLong()).isEqualTo(165 * 60);
        assertThat(n01.path("telemetry")).hasSize(2);
        assertThat(n01.path("telemetry").get(0).has("points")).isFalse();
        assertThat(n01.path("telemetry").get(0).path("samples").asInt()).isEqualTo(121);
        assertThat(n01.path("telemetry").get(0).path("powerW").path("max").asDouble()).isEqualTo(654.0);
        assertThat(n01.path("fabric")).hasSize(6);
        JsonNode n10 = rackA.path("nodes").get(2);
        assertThat(n10.path("telemetry")).isEmpty();
        JsonNode n04 = root.path("racks").get(1).path("nodes").get(1);
        assertThat(n04.path("verdict").asText()).isEqualTo("NOT_STARTED");
        assertThat(n04.has("firstContact")).isTrue();
        assertThat(n04.path("firstContact").isNull()).as("present and null").isTrue();
        JsonNode running = root.path("racks").get(1).path("nodes").get(0).path("stages").get(2);
        assertThat(running.path("state").asText()).isEqualTo("RUNNING");
        assertThat(running.path("finishedAt").isNull()).isTrue();
    }

    @Test
    void seriesOnRequestHostileStringsAndTheBigFleetAllValidate() throws Exception {
        String series = JsonReport.render(ReportFixtures.small(), true);
        assertThat(errors(series)).isEmpty();
        JsonNode gpu0 = KilnJson.mapper().readTree(series).path("racks").get(0).path("nodes").get(0)
                .path("telemetry").get(0);
        assertThat(gpu0.path("points")).hasSize(121);
        assertThat(gpu0.path("points").get(50).path("powerW").isNull()).isTrue();

        String hostile = JsonReport.render(ReportFixtures.hostile());
        assertThat(errors(hostile)).isEmpty();
        assertThat(KilnJson.mapper().readTree(hostile).path("fleet").path("name").asText())
                .isEqualTo("fleet " + ReportFixtures.EVIL);
        assertThat(KilnJson.mapper().readTree(hostile).path("rma").get(0).path("reasons").get(1).asText())
                .isEqualTo("line one\nline two, \"quoted\"");

        assertThat(errors(JsonReport.render(SyntheticReport.fleet(200, 7)))).isEmpty();
        ReportModel none = ReportModel.of(ReportFixtures.fleet(ReportFixtures.NOW), List.of(ReportFixtures.node04()));
        String empty = JsonReport.render(none);
        assertThat(errors(empty)).isEmpty();
        assertThat(KilnJson.mapper().readTree(empty).path("criticalPath").isNull()).isTrue();
    }

    @Test
    void sameModelSameBytesAndOnlyTheTimeOfGenerationDiffers() {
        assertThat(JsonReport.render(ReportFixtures.small())).isEqualTo(JsonReport.render(ReportFixtures.small()));
        Instant a = Instant.parse("2025-06-03T00:00:00Z");
        Instant b = Instant.parse("2025-06-04T09:41:00Z");
        assertThat(JsonReport.render(ReportFixtures.complete(a)).replace("2025-06-03T00:00:00Z", "NOW"))
                .isEqualTo(JsonReport.render(ReportFixtures.complete(b)).replace("2025-06-04T09:41:00Z", "NOW"));
    }

    static List<String> errors(String json) throws IOException {
        return SCHEMA.validate(KilnJson.mapper().readTree(json)).stream().map(ValidationMessage::getMessage).toList();
    }

    private static JsonSchema schema() {
        SchemaValidatorsConfig config = SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();
        JsonSchemaFactory factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
        Path docs = Path.of("..", "docs", "schema", "report.schema.json");
        try {
            if (Files.exists(docs)) {
                try (InputStream in = Files.newInputStream(docs)) {
                    return factory.getSchema(in, config);
                }
            }
            try (InputStream in = JsonReportTest.class.getResourceAsStream(
                    "/dev/kiln/protocol/schema/report.schema.json")) {
                if (in == null) {
                    throw new IllegalStateException("report.schema.json neither in ../docs/schema nor on the classpath");
                }
                return factory.getSchema(in, config);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
