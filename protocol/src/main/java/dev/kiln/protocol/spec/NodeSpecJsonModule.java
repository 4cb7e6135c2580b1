package dev.kiln.protocol.spec;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;

import java.io.IOException;

/**
 * Makes JSON carry a {@link NodeSpec} in the spec file's own shape ({@code {"spec": "hgx-h100", "gpu":
 * {"count": 8, "pcie": {"generation": 5, ...}}, "checks": {"disabled": [...]}}}), so there is one format,
 * one schema ({@code docs/schema/spec.schema.json}) and one validator: reading goes through the same
 * parser as spec files, so a spec sent to {@code POST /v1/checks} is checked exactly like a file
 * (unknown fields are rejected here, unlike elsewhere in the protocol: a misspelt expectation would
 * otherwise silently go unchecked).
 */
public final class NodeSpecJsonModule extends SimpleModule {
    /** Names a JSON spec in errors, which then name only the field (the body has been re-serialised). */
    public static final String SOURCE = "spec";

    public NodeSpecJsonModule() {
        super("kiln-node-spec");
        addSerializer(NodeSpec.class, new Serializer());
        addDeserializer(NodeSpec.class, new Deserializer());
    }

    private static final class Serializer extends StdSerializer<NodeSpec> {
        Serializer() {
            super(NodeSpec.class);
        }

        @Override
        public void serialize(NodeSpec value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            provider.defaultSerializeValue(SpecWriter.toTree(value), gen);
        }
    }

    private static final class Deserializer extends StdDeserializer<NodeSpec> {
        Deserializer() {
            super(NodeSpec.class);
        }

        @Override
        public NodeSpec deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            JsonNode tree = ctxt.readTree(p);
            try {
                // Pretty-printed JSON ("key" : value) is YAML flow syntax every YAML 1.1 parser reads.
                return SpecFile.fromJson(SOURCE, tree.toPrettyString());
            } catch (SpecFileException e) {
                throw JsonMappingException.from(p, e.getMessage(), e);
            }
        }
    }
}
