package dev.kiln.cli.db;

/**
 * A results database problem, with a message meant for the technician. {@link #reason()} tells a
 * command whether the user can fix it (a URL, a server, a file, a version) or it is a failure inside
 * Kiln or the database.
 */
public final class ResultsDbException extends RuntimeException {
    /** What went wrong, coarsely. */
    public enum Reason {
        /** The URL is not a SQLite file or PostgreSQL URL, or names a directory that does not exist. */
        BAD_URL,
        /** The PostgreSQL server could not be reached (refused, unknown host, timeout). */
        UNREACHABLE,
        /** The server refused the user, the password, or a privilege (e.g. CREATE SCHEMA). */
        ACCESS_DENIED,
        /** The file or database holds something other than Kiln results. */
        NOT_KILN,
        /** A newer Kiln migrated this database; this Kiln does not know its schema. */
        NEWER_SCHEMA,
        /** No run with that id. */
        UNKNOWN_RUN,
        /** Anything else: a failed statement, a full disk, a lock held past the busy timeout. */
        FAILED;

        /** Whether a user can fix it by changing --db, the server, the file or the Kiln version. */
        public boolean userFixable() {
            return this != FAILED;
        }
    }

    private final Reason reason;

    public ResultsDbException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
