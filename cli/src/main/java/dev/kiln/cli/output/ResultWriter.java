package dev.kiln.cli.output;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.kiln.cli.fanout.NodeResult;
import dev.kiln.protocol.KilnJson;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/**
 * Writes per-node results as JSON, streaming: {@code -o json} is one array written element by element,
 * {@code -o jsonl} one compact object per line. Each object:
 * <pre>
 * {"node": "node-001", "rack": "rack-01", "address": "10.0.0.1:9478",
 *  "reachable": true, "httpStatus": 200, "elapsedMs": 12,
 *  "error": null | {"kind": "connection_refused", "message": "..."},
 *  "checkFailures": ["GPU 2 serial ...: state lost (...)"],
 *  ...command-specific fields (kiln check: "spec", "verdict")...,
 *  "&lt;bodyField&gt;": {...the agent's document...} | null}
 * </pre>
 */
public final class ResultWriter implements AutoCloseable {
    private final PrintWriter out;
    private final OutputFormat format;
    private final String bodyField;
    private final ObjectMapper mapper;
    private final JsonGenerator arrayGen;

    public ResultWriter(PrintWriter out, OutputFormat format, String bodyField) {
        if (format == OutputFormat.table) {
            throw new IllegalArgumentException("ResultWriter writes JSON, not tables");
        }
        this.out = out;
        this.format = format;
        this.bodyField = bodyField;
        this.mapper = format == OutputFormat.json ? KilnJson.pretty() : KilnJson.mapper();
        try {
            if (format == OutputFormat.json) {
                arrayGen = generator();
                arrayGen.setPrettyPrinter(new DefaultPrettyPrinter());
                arrayGen.writeStartArray();
            } else {
                arrayGen = null;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private JsonGenerator generator() throws IOException {
        JsonGenerator g = mapper.getFactory().createGenerator(out);
        g.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
        return g;
    }

    public void write(NodeResult<?> r, List<String> checkFailures) {
        write(r, checkFailures, Map.of());
    }

    /** With {@code extra} fields (in its iteration order) written between {@code checkFailures} and the body. */
    public void write(NodeResult<?> r, List<String> checkFailures, Map<String, ?> extra) {
        try {
            if (arrayGen != null) {
                writeObject(arrayGen, r, checkFailures, extra);
                arrayGen.flush();
            } else {
                try (JsonGenerator g = generator()) {
                    writeObject(g, r, checkFailures, extra);
                }
                out.println();
                out.flush();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void writeObject(JsonGenerator g, NodeResult<?> r, List<String> checkFailures, Map<String, ?> extra)
            throws IOException {
        g.writeStartObject();
        g.writeStringField("node", r.node().name());
        g.writeStringField("rack", r.node().rack());
        g.writeStringField("address", r.node().address());
        g.writeBooleanField("reachable", r.reachable());
        if (r.httpStatus() > 0) {
            g.writeNumberField("httpStatus", r.httpStatus());
        } else {
            g.writeNullField("httpStatus");
        }
        g.writeNumberField("elapsedMs", r.elapsedMillis());
        if (r.error() == null) {
            g.writeNullField("error");
        } else {
            g.writeObjectFieldStart("error");
            g.writeStringField("kind", r.error().kind().id());
            g.writeStringField("message", r.error().message());
            g.writeEndObject();
        }
        g.writeArrayFieldStart("checkFailures");
        for (String f : checkFailures) {
            g.writeString(f);
        }
        g.writeEndArray();
        for (Map.Entry<String, ?> e : extra.entrySet()) {
            g.writeFieldName(e.getKey());
            if (e.getValue() == null) {
                g.writeNull();
            } else {
                mapper.writeValue(g, e.getValue());
            }
        }
        g.writeFieldName(bodyField);
        if (r.body() == null) {
            g.writeNull();
        } else {
            mapper.writeValue(g, r.body());
        }
        g.writeEndObject();
    }

    @Override
    public void close() {
        if (arrayGen != null) {
            try {
                arrayGen.writeEndArray();
                arrayGen.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            out.println();
        }
        out.flush();
    }
}
