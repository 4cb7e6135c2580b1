package dev.kiln.cli.report;

import dev.kiln.protocol.burnin.GpuTestResult;
import dev.kiln.protocol.check.CheckResult;
import dev.kiln.protocol.fabric.FabricFinding;

import java.util.Objects;

/**
 * Something a stage found on a node.
 *
 * @param stage   the stage that found it (a {@link Stage#name()}); null when not known
 * @param id      the check or test id, e.g. {@code gpu.ecc.uncorrectable}, {@code burnin.memory}, {@code fabric.p2p}
 * @param subject what it concerns, e.g. "GPU 3 (serial 1654922001234)", "mlx5_0/1"; may be null
 * @param message one sentence for a person
 * @param action  what a technician does next; null when nothing is to be done
 */
public record Finding(Severity severity, String stage, String id, String subject, String message, String action) {
    public Finding {
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(id, "id");
        message = message == null ? "" : message;
    }

    /** A check result (from {@code kiln check}) as a finding of stage {@code stage}. */
    public static Finding of(String stage, CheckResult r) {
        String subject = r.gpu() != null ? gpuSubject(r.gpu().index(), r.gpu().serial()) : r.subject();
        String message = r.message();
        if (r.observed() != null || r.expected() != null) {
            message = message + " (observed " + r.observed() + ", expected " + r.expected() + ")";
        }
        return new Finding(Severity.of(r.status()), stage, r.id(), subject, message, r.action());
    }

    /** A fabric finding as a finding of stage {@code stage}. */
    public static Finding of(String stage, FabricFinding f) {
        String subject = f.subject() + (f.ends().isEmpty() ? "" : ": " + String.join(" <-> ", f.ends()));
        String message = (f.culprit() == null ? "" : f.culprit() + " ") + "(observed " + f.observed() + ", expected "
                + f.expected() + ")";
        return new Finding(Severity.parse(f.severity()), stage, f.test(), subject, message.trim(), f.action());
    }

    /** A burn-in test that did not pass on one GPU as a finding of stage {@code stage}. */
    public static Finding of(String stage, GpuTestResult r) {
        String message = r.reason() != null ? r.reason()
                : r.findings().isEmpty() ? r.verdict() : String.join("; ", r.findings());
        return new Finding(Severity.parse(r.verdict()), stage, r.test(), gpuSubject(r.gpuIndex(), r.serial()), message,
                null);
    }

    private static String gpuSubject(Integer index, String serial) {
        return "GPU " + (index == null ? "?" : index) + (serial == null ? "" : " (serial " + serial + ")");
    }
}
