package dev.kiln.cli.db;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.OptionalInt;

/**
 * The fast path of {@link ResultsDb#open}: reads the Flyway history table directly and answers the
 * schema version when the database is exactly at this Kiln's, so the usual open skips Flyway's start-up
 * (about a second of class loading and classpath scanning). Anything else (a new, an older or a failed
 * schema) goes to Flyway; a newer one is refused here already.
 */
final class SchemaVersion {
    /** The newest {@code db/migration/V<n>__*.sql} this Kiln ships (SchemaVersionTest keeps it true). */
    static final int LATEST = 1;

    private SchemaVersion() {
    }

    /** {@link #LATEST} when no migration is needed, else empty; throws NEWER_SCHEMA for a newer database. */
    static OptionalInt upToDate(Connection c, Dialect dialect) throws SQLException {
        String table = (dialect.schema() == null ? "" : dialect.schema() + ".") + Migrations.HISTORY_TABLE;
        record Row(String version, boolean success) {
        }
        List<Row> rows = Sql.query(c, "SELECT version, success FROM " + table + " WHERE version IS NOT NULL",
                rs -> new Row(rs.getString(1), rs.getBoolean(2)));
        int newest = 0;
        boolean failed = false;
        for (Row r : rows) {
            try {
                newest = Math.max(newest, Integer.parseInt(r.version()));
            } catch (NumberFormatException e) {
                return OptionalInt.empty(); // not a version Kiln writes: let Flyway judge
            }
            failed |= !r.success();
        }
        if (newest > LATEST) {
            throw newer(newest);
        }
        return newest == LATEST && !failed ? OptionalInt.of(LATEST) : OptionalInt.empty();
    }

    static ResultsDbException newer(Object version) {
        return new ResultsDbException(ResultsDbException.Reason.NEWER_SCHEMA, "this database was written by a newer "
                + "Kiln (schema v" + version + "); upgrade kiln (this one knows schema v" + LATEST + ")", null);
    }
}
