package dev.kiln.cli.db;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.MigrationState;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.logging.Log;
import org.flywaydb.core.api.logging.LogCreator;

import javax.sql.DataSource;
import java.sql.SQLException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The only class that touches Flyway: brings a database to this Kiln's schema, or refuses one that a
 * newer Kiln migrated. Migrations are {@code db/migration/V<n>__*.sql} on the classpath, one file for
 * both databases ({@link Dialect#placeholders()}); the history table is {@value #HISTORY_TABLE}.
 */
final class Migrations {
    static final String HISTORY_TABLE = "kiln_schema_history";
    static final String LOCATION = "classpath:db/migration";

    private Migrations() {
    }

    /**
     * Migrates if needed and answers the schema version the database is at. A failure caused by a SQL
     * error comes out as that {@link SQLException} (the caller knows how to explain it), any other as a
     * {@link ResultsDbException}.
     */
    static int migrate(Dialect dialect, DataSource dataSource) throws SQLException {
        try {
            return migrateOrThrow(dialect, dataSource);
        } catch (FlywayException e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof SQLException sql) {
                    throw sql;
                }
            }
            throw new ResultsDbException(ResultsDbException.Reason.FAILED,
                    "migrating the results database failed: " + e.getMessage(), e);
        }
    }

    private static int migrateOrThrow(Dialect dialect, DataSource dataSource) {
        var config = Flyway.configure(Migrations.class.getClassLoader())
                .dataSource(dataSource)
                .locations(LOCATION)
                .failOnMissingLocations(true)
                .table(HISTORY_TABLE)
                .placeholders(dialect.placeholders())
                .connectRetries(0)
                .loggers(QuietLog.class.getName());
        if (dialect.schema() != null) {
            config.schemas(dialect.schema()).createSchemas(true);
        }
        Flyway flyway = config.load();
        MigrationInfoService info = flyway.info();
        MigrationVersion newest = null;
        boolean future = false;
        for (MigrationInfo m : info.applied()) {
            if (m.getVersion() == null) {
                continue;
            }
            if (m.getState() == MigrationState.FUTURE_SUCCESS || m.getState() == MigrationState.FUTURE_FAILED) {
                future = true;
            }
            if (newest == null || m.getVersion().compareTo(newest) > 0) {
                newest = m.getVersion();
            }
        }
        if (future) {
            throw SchemaVersion.newer(newest.getVersion());
        }
        if (info.pending().length > 0) {
            flyway.migrate();
            return known(flyway.info());
        }
        return newest == null ? 0 : Integer.parseInt(newest.getVersion());
    }

    /** The newest schema version this Kiln ships. */
    private static int known(MigrationInfoService info) {
        int v = 0;
        for (MigrationInfo m : info.all()) {
            if (m.getVersion() != null && m.getState() != MigrationState.FUTURE_SUCCESS
                    && m.getState() != MigrationState.FUTURE_FAILED) {
                v = Math.max(v, Integer.parseInt(m.getVersion().getVersion()));
            }
        }
        return v;
    }

    /**
     * Flyway's chatter ("Migrating schema ... to version 1") goes to the JUL logger {@code dev.kiln.cli.db.flyway}
     * at FINE, its warnings and errors at WARNING and SEVERE. Without it Flyway would pick whatever logging
     * library is on the classpath and print INFO lines on stderr. Public only for Flyway, which
     * instantiates it by name ({@code loggers}).
     */
    public static final class QuietLog implements LogCreator {
        private static final Logger LOG = Logger.getLogger("dev.kiln.cli.db.flyway");

        public QuietLog() {
        }

        @Override
        public Log createLogger(Class<?> clazz) {
            return new Log() {
                @Override
                public boolean isDebugEnabled() {
                    return LOG.isLoggable(Level.FINER);
                }

                @Override
                public void debug(String message) {
                    LOG.finer(message);
                }

                @Override
                public void info(String message) {
                    LOG.fine(message);
                }

                @Override
                public void warn(String message) {
                    LOG.warning(message);
                }

                @Override
                public void error(String message) {
                    LOG.severe(message);
                }

                @Override
                public void error(String message, Exception e) {
                    LOG.log(Level.SEVERE, message, e);
                }

                @Override
                public void notice(String message) {
                    LOG.fine(message);
                }
            };
        }
    }
}
