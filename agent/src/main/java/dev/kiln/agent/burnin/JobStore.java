package dev.kiln.agent.burnin;

import dev.kiln.agent.core.AtomicFiles;
import dev.kiln.protocol.KilnJson;
import dev.kiln.protocol.burnin.JobStatus;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Where jobs live on disk: {@code <stateDir>/jobs/<id>.json} (written atomically), or a temporary
 * directory when the agent has no state directory. Unreadable files are noted, never fatal.
 */
final class JobStore {
    private static final Logger LOG = Logger.getLogger(JobStore.class.getName());

    private final Optional<Path> stateDir;
    private final List<String> notes = new ArrayList<>();
    private Path dir; // null until a job needs it or existing jobs are found

    JobStore(Optional<Path> stateDir) {
        this.stateDir = stateDir;
    }

    /** The jobs directory, created on first use. */
    synchronized Path dir() {
        if (dir != null) {
            return dir;
        }
        try {
            if (stateDir.isPresent()) {
                dir = Files.createDirectories(stateDir.get().resolve("jobs"));
            } else {
                dir = Files.createTempDirectory("kiln-jobs-");
                notes.add("no state directory: burn-in jobs are kept in " + dir + " and forgotten when the agent stops");
            }
        } catch (IOException e) {
            throw new JobException(500, "internal_error", "cannot create the jobs directory: " + e.getMessage());
        }
        return dir;
    }

    /** Writes a job's file; a failed write is logged, never fatal. Nothing is written before {@link #dir()}. */
    synchronized void write(JobStatus status) {
        if (dir == null) {
            return;
        }
        try {
            AtomicFiles.write(dir.resolve(status.id() + ".json"), KilnJson.mapper().writeValueAsBytes(status));
        } catch (IOException e) {
            LOG.warning(() -> "cannot write job " + status.id() + ": " + e.getMessage());
        }
    }

    /** Every job file under the state directory (none without one); unreadable ones are noted and skipped. */
    synchronized List<JobStatus> readAll() {
        Path jobsDir = stateDir.map(d -> d.resolve("jobs")).orElse(null);
        if (jobsDir == null || !Files.isDirectory(jobsDir)) {
            return List.of();
        }
        dir = jobsDir;
        List<JobStatus> found = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(jobsDir, "*.json")) {
            for (Path f : files) {
                if (f.getFileName().toString().endsWith(".worker.json")) {
                    continue;
                }
                try {
                    JobStatus s = KilnJson.mapper().readValue(f.toFile(), JobStatus.class);
                    if (s == null || !JobStatus.KIND.equals(s.kind()) || s.id() == null || s.state() == null) {
                        throw new IOException("not a " + JobStatus.KIND + " document");
                    }
                    found.add(s);
                } catch (IOException | RuntimeException e) {
                    String why = "job file " + f + " is unreadable (" + e.getMessage() + "); ignored";
                    LOG.warning(why);
                    notes.add(why);
                }
            }
        } catch (IOException e) {
            notes.add("cannot list " + jobsDir + ": " + e.getMessage());
        }
        return found;
    }

    /** Removes a job's files (state, event lines, worker job, log and faults); what cannot be removed is noted. */
    synchronized void delete(String id) {
        if (dir == null) {
            return;
        }
        for (String suffix : List.of(".json", ".jsonl", ".worker.json", ".worker.log", ".faults.yaml")) {
            try {
                Files.deleteIfExists(dir.resolve(id + suffix));
            } catch (IOException e) {
                notes.add("cannot remove " + dir.resolve(id + suffix) + ": " + e.getMessage());
            }
        }
    }

    synchronized List<String> notes() {
        return List.copyOf(notes);
    }
}
