package dev.kiln.cli;

import dev.kiln.cli.fanout.FanOut;
import dev.kiln.cli.fanout.NodeError;
import dev.kiln.cli.fanout.ResponseDecoder;
import dev.kiln.protocol.GpuInventory;
import dev.kiln.protocol.InventoryDocument;
import dev.kiln.protocol.NodeInfo;
import dev.kiln.protocol.ProtocolVersion;
import dev.kiln.protocol.burnin.JobStatus;
import dev.kiln.protocol.check.CheckReport;

import java.util.ArrayList;
import java.util.List;

/** The agent endpoints kiln reads, how their bodies are accepted, and the checks run on them. */
final class Agents {
    static final String NODE_PATH = "/v1/node";
    static final String INVENTORY_PATH = "/v1/inventory";
    static final String CHECKS_PATH = "/v1/checks";
    static final String JOBS_PATH = "/v1/jobs";

    private Agents() {
    }

    /** {@code GET /v1/node}: a NodeInfo of a schema version this kiln understands. */
    static final ResponseDecoder<NodeInfo> NODE_INFO = body -> {
        NodeInfo info = FanOut.json(NodeInfo.class, "a Kiln /v1/node").decode(body);
        requireSchema(info.schemaVersion());
        if (info.nvml() == null || info.mode() == null) {
            throw new ResponseDecoder.BadResponseException(NodeError.Kind.BAD_RESPONSE,
                    "answered /v1/node JSON without 'mode' or 'nvml'; is this a kiln-agent?");
        }
        return info;
    };

    /** {@code GET /v1/inventory}: an inventory document of a schema version this kiln understands. */
    static final ResponseDecoder<InventoryDocument> INVENTORY = body -> {
        InventoryDocument doc = FanOut.json(InventoryDocument.class, "a Kiln inventory").decode(body);
        requireSchema(doc.schemaVersion());
        if (!InventoryDocument.KIND.equals(doc.kind()) || doc.gpus() == null || doc.nvml() == null
                || doc.node() == null) {
            throw new ResponseDecoder.BadResponseException(NodeError.Kind.BAD_RESPONSE,
                    "answered JSON that is not a complete '" + InventoryDocument.KIND + "' document (kind "
                            + (doc.kind() == null ? "missing" : "'" + doc.kind() + "'") + ")");
        }
        return doc;
    };

    /** {@code POST /v1/checks}: a complete check report of a schema version this kiln understands. */
    static final ResponseDecoder<CheckReport> CHECK_REPORT = body -> {
        CheckReport report = FanOut.json(CheckReport.class, "a Kiln check report").decode(body);
        requireSchema(report.schemaVersion());
        if (!CheckReport.KIND.equals(report.kind()) || report.results() == null || report.verdict() == null
                || report.node() == null || report.results().stream().anyMatch(r -> r == null || r.id() == null
                || r.status() == null)) {
            throw new ResponseDecoder.BadResponseException(NodeError.Kind.BAD_RESPONSE,
                    "answered JSON that is not a complete '" + CheckReport.KIND + "' report (kind "
                            + (report.kind() == null ? "missing" : "'" + report.kind() + "'") + ")");
        }
        return report;
    };

    /** {@code POST /v1/jobs}, {@code GET|DELETE /v1/jobs/{id}}: a job status with an id and a state. */
    static final ResponseDecoder<JobStatus> JOB_STATUS = body -> {
        JobStatus job = FanOut.json(JobStatus.class, "a Kiln job").decode(body);
        requireSchema(job.schemaVersion());
        if (!JobStatus.KIND.equals(job.kind()) || job.id() == null || job.state() == null
                || (job.results() != null && job.results().stream().anyMatch(r -> r == null || r.test() == null
                || r.verdict() == null))) {
            throw new ResponseDecoder.BadResponseException(NodeError.Kind.BAD_RESPONSE,
                    "answered JSON that is not a complete '" + JobStatus.KIND + "' document (kind "
                            + (job.kind() == null ? "missing" : "'" + job.kind() + "'") + ")");
        }
        return job;
    };

    private static void requireSchema(int version) throws ResponseDecoder.BadResponseException {
        if (version != ProtocolVersion.SCHEMA_VERSION) {
            throw new ResponseDecoder.BadResponseException(NodeError.Kind.INCOMPATIBLE,
                    "the agent speaks schema version " + version + "; this kiln reads version "
                            + ProtocolVersion.SCHEMA_VERSION + " (upgrade " + (version > ProtocolVersion.SCHEMA_VERSION
                            ? "kiln" : "the agent") + ")");
        }
    }

    /**
     * The checks {@code kiln status} can run on {@code /v1/node}: NVML must be available on a node in
     * {@code real} mode. (A simulated node without NVML is a setup question, not a hardware failure.)
     */
    static List<String> check(NodeInfo info) {
        List<String> failures = new ArrayList<>();
        if (NodeInfo.MODE_REAL.equals(info.mode()) && !info.nvml().available()) {
            failures.add("NVML unavailable: " + orUnknown(info.nvml().reason()));
        }
        return failures;
    }

    /** The checks of {@code kiln inventory}: those of {@link #check(NodeInfo)} plus every GPU's state is ok. */
    static List<String> check(InventoryDocument doc) {
        List<String> failures = new ArrayList<>();
        if (NodeInfo.MODE_REAL.equals(doc.node().mode()) && !doc.nvml().available()) {
            failures.add("NVML unavailable: " + orUnknown(doc.nvml().reason()));
        }
        for (GpuInventory g : doc.gpus()) {
            if (!GpuInventory.STATE_OK.equals(g.state())) {
                failures.add("GPU " + g.index() + " " + describe(g) + ": state " + g.state()
                        + (g.recommendedAction() == null ? "" : " (" + g.recommendedAction() + ")"));
            }
        }
        return failures;
    }

    /** {@code serial S (bus B)}, with whatever identity is known. */
    static String describe(GpuInventory g) {
        String bus = g.pci() == null ? null : g.pci().busId();
        return "serial " + orUnknown(g.serial()) + (bus == null ? "" : " (" + bus + ")");
    }

    static String orUnknown(String s) {
        return s == null || s.isBlank() ? "unknown" : s;
    }
}
