package dev.kiln.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

/** The published JSON Schemas, read from the copy the protocol jar ships, with format assertions on. */
public final class Schemas {
    public static final JsonSchema INVENTORY = load("inventory.schema.json");
    public static final JsonSchema NODE = load("node.schema.json");
    public static final JsonSchema SPEC = load("spec.schema.json");
    public static final JsonSchema CHECKS = load("checks.schema.json");

    private Schemas() {
    }

    private static JsonSchema load(String name) {
        String resource = "/dev/kiln/protocol/schema/" + name;
        try (InputStream in = Schemas.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is not on the classpath; the protocol pom copies docs/schema");
            }
            // 2020-12 treats "format" as an annotation by default; we want date-time enforced.
            SchemaValidatorsConfig config = SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();
            return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in, config);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Validation messages, as strings so AssertJ failures show what broke. */
    public static List<String> errors(JsonSchema schema, JsonNode json) {
        return schema.validate(json).stream().map(ValidationMessage::getMessage).sorted().toList();
    }
}
