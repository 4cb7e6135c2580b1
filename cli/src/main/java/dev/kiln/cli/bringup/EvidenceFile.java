package dev.kiln.cli.bringup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kiln.cli.db.StageAttempt;
import dev.kiln.cli.db.VerdictRecord;
import dev.kiln.protocol.KilnJson;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;

/**
 * A node's evidence file ({@code <runs-dir>/<run>/<node>.json}, kind {@code kiln.bringup.node}): its verdict, reasons,
 * actions, GPUs to RMA and every stage's latest attempt with the agent's answers, what a hook's {@code {report}} points
 * at. Written atomically (a temporary file moved into place), so a hook never reads half a file.
 */
final class EvidenceFile {
    private EvidenceFile() {
    }

    static void write(Path file, String runId, String node, String rack, boolean unreachable, Instant firstContact,
                      VerdictRecord v, Map<Stage, StageAttempt> recorded) throws IOException {
        ObjectNode doc = KilnJson.mapper().createObjectNode();
        doc.put("kind", "kiln.bringup.node");
        doc.put("run", runId);
        doc.put("node", node);
        doc.put("rack", rack);
        doc.put("outcome", v.verdict().outcome().name().toLowerCase(Locale.ROOT));
        doc.put("unreachable", unreachable);
        doc.put("decidedAt", v.decidedAt().toString());
        doc.put("firstContact", firstContact == null ? null : firstContact.toString());
        doc.set("reasons", KilnJson.mapper().valueToTree(v.verdict().reasons()));
        doc.set("actions", KilnJson.mapper().valueToTree(v.verdict().actions()));
        doc.set("rma", KilnJson.mapper().valueToTree(v.verdict().rma()));
        ArrayNode stages = doc.putArray("stages");
        for (Stage s : Stage.values()) {
            StageAttempt a = recorded.get(s);
            if (a == null) {
                continue;
            }
            ObjectNode st = stages.addObject();
            st.put("stage", s.id());
            st.put("attempt", a.attempt());
            st.put("state", a.state().id());
            st.put("verdict", a.verdict());
            st.put("summary", a.summary());
            st.put("jobId", a.agentJobId());
            if (a.estimatedWatts() == null) {
                st.putNull("estimatedWatts");
            } else {
                st.put("estimatedWatts", a.estimatedWatts());
            }
            st.put("startedAt", a.startedAt() == null ? null : a.startedAt().toString());
            st.put("finishedAt", a.finishedAt() == null ? null : a.finishedAt().toString());
            st.set("evidence", parse(a.evidenceJson()));
            st.set("findings", parse(a.findingsJson()));
        }
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        KilnJson.pretty().writeValue(tmp.toFile(), doc);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Stored JSON as a tree; text that is not JSON (never written so, but the database is shared) as a string. */
    private static JsonNode parse(String json) {
        if (json == null) {
            return KilnJson.mapper().nullNode();
        }
        try {
            return KilnJson.mapper().readTree(json);
        } catch (IOException e) {
            return KilnJson.mapper().getNodeFactory().textNode(json);
        }
    }
}
