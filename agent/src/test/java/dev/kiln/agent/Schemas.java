package dev.kiln.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.kiln.protocol.KilnJson;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

/** The published schemas from the protocol jar (format assertions on), for agent tests. */
public final class Schemas {
    public static final JsonSchema INVENTORY = load("inventory.schema.json");
    public static final JsonSchema NODE = load("node.schema.json");
    public static final JsonSchema EVENTS = load("events.schema.json");
    public static final JsonSchema CHECKS = load("checks.schema.json");
    public static final JsonSchema JOB = load("job.schema.json");

    private Schemas() {
    }

    private static JsonSchema load(String name) {
        String resource = "/dev/kiln/protocol/schema/" + name;
        try (InputStream in = KilnJson.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is not on the classpath (kiln-protocol jar)");
            }
            SchemaValidatorsConfig config = SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();
            return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in, config);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Validation messages of {@code value} (a record, or a JsonNode) against {@code schema}. */
    public static List<String> errors(JsonSchema schema, Object value) {
        JsonNode json = value instanceof JsonNode n ? n : KilnJson.mapper().valueToTree(value);
        return schema.validate(json).stream().map(ValidationMessage::getMessage).sorted().toList();
    }

    /** Parses text and validates it. */
    public static List<String> errorsOfText(JsonSchema schema, String text) {
        try {
            return errors(schema, KilnJson.mapper().readTree(text));
        } catch (IOException e) {
            return List.of("not JSON: " + e.getMessage());
        }
    }
}
