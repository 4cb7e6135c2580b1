package dev.kiln.cli.db;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.cli.ExitCodes;
import dev.kiln.cli.UsageException;
import dev.kiln.cli.output.OutputFormat;
import dev.kiln.cli.output.Table;
import dev.kiln.protocol.KilnJson;

import java.io.PrintWriter;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Opens the results database and prints {@link NodeHistory} as a table, JSON or JSON lines. */
final class HistoryReport {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ISO_INSTANT;

    private HistoryReport() {
    }

    static int run(String node, String dbFlag, OutputFormat format, PrintWriter out, PrintWriter err) {
        String url = ResultsDb.resolveUrl(dbFlag, null);
        NodeHistory history;
        String where;
        try (ResultsDb db = ResultsDb.open(url)) {
            where = db.url();
            history = db.history(node);
        } catch (ResultsDbException e) {
            if (e.reason().userFixable()) {
                throw new UsageException(e.getMessage());
            }
            throw e;
        }
        switch (format) {
            case table -> table(history, out);
            case json -> {
                out.println(KilnJson.write(KilnJson.pretty(), json(history, where)));
                out.flush();
            }
            case jsonl -> {
                for (NodeHistory.Entry e : history.timeline()) {
                    ObjectNode line = KilnJson.mapper().valueToTree(e);
                    line.put("node", node);
                    out.println(KilnJson.write(KilnJson.mapper(), line));
                }
                out.flush();
            }
        }
        if (history.isEmpty()) {
            err.println("kiln history: nothing recorded for node " + node + " in " + where);
        } else {
            VerdictRecord v = history.latestVerdict();
            err.println("node " + node + ": " + history.runs().size() + " run(s), " + history.attempts().size()
                    + " stage attempt(s), " + history.verdicts().size() + " verdict(s); "
                    + (v == null ? "no verdict yet"
                    : "latest verdict " + v.verdict().outcome().name().toLowerCase(Locale.ROOT)
                    + " (run " + v.verdict().runId() + ", " + time(v.decidedAt()) + ")"));
        }
        err.flush();
        return ExitCodes.OK;
    }

    private static void table(NodeHistory history, PrintWriter out) {
        List<NodeHistory.Entry> entries = history.timeline();
        if (entries.isEmpty()) {
            return;
        }
        Table t = new Table("TIME (UTC)", "RUN", "WHAT", "STAGE", "#", "RESULT", "DETAIL");
        for (NodeHistory.Entry e : entries) {
            t.add(time(e.at()), e.runId(), e.kind(), e.stage(), e.attempt() == null ? null : e.attempt().toString(),
                    e.result(), e.detail());
        }
        t.print(out);
    }

    /** Everything, with the JSON the database keeps as text (plans, evidence, findings) embedded as JSON. */
    static ObjectNode json(NodeHistory h, String where) {
        ObjectMapper m = KilnJson.mapper();
        ObjectNode root = m.createObjectNode();
        root.put("node", h.node());
        root.put("database", where);
        VerdictRecord latest = h.latestVerdict();
        root.set("latestVerdict", latest == null ? null : m.valueToTree(latest));
        root.set("timeline", m.valueToTree(h.timeline()));
        root.set("runs", embedJson(m.valueToTree(h.runs())));
        root.set("attempts", embedJson(m.valueToTree(h.attempts())));
        root.set("verdicts", m.valueToTree(h.verdicts()));
        root.set("hooks", m.valueToTree(h.hooks()));
        root.set("leaseTakeovers", m.valueToTree(h.leaseEvents()));
        return root;
    }

    /** {@code fooJson: "{...}"} becomes {@code foo: {...}} (left as text if it is not valid JSON). */
    private static ArrayNode embedJson(ArrayNode items) {
        for (JsonNode item : items) {
            ObjectNode o = (ObjectNode) item;
            List<String> names = new ArrayList<>();
            o.fieldNames().forEachRemaining(names::add);
            for (String name : names) {
                if (name.endsWith("Json")) {
                    JsonNode value = o.remove(name);
                    if (value.isTextual()) {
                        try {
                            value = KilnJson.mapper().readTree(value.asText());
                        } catch (JsonProcessingException e) {
                            // not JSON after all: keep the text
                        }
                    }
                    o.set(name.substring(0, name.length() - "Json".length()), value);
                }
            }
        }
        return items;
    }

    private static String time(Instant t) {
        return t == null ? null : TIME.format(t.truncatedTo(ChronoUnit.SECONDS));
    }

}
