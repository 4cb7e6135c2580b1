package dev.kiln.cli.db;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The contract against a real PostgreSQL server ({@link TestPostgres}: {@code $KILN_TEST_PG_URL} or a
 * throwaway cluster); skipped, with the reason, when there is none.
 */
class PostgresResultsDbTest extends ResultsDbContract {
    TestPostgres pg;

    @BeforeEach
    void server() {
        pg = TestPostgres.require();
    }

    @Override
    String newUrl() throws Exception {
        return pg.newDatabaseUrl();
    }

    @Override
    String historyTable() {
        return "kiln.kiln_schema_history";
    }

    @Test
    void keepsItsTablesInTheKilnSchema() throws Exception {
        String url = newUrl();
        try (ResultsDb db = ResultsDb.open(url)) {
            assertThat(db.shared()).isTrue();
            db.createRun(run("r1"));
        }
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement();
             var rs = s.executeQuery("SELECT count(*) FROM kiln.runs")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(1);
        }
    }

    @Test
    void refusesASchemaHoldingSomethingElse() throws Exception {
        String url = newUrl();
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA kiln");
            s.execute("CREATE TABLE kiln.inventory (serial TEXT)");
        }
        SqliteResultsDbTest.assertReason(url, ResultsDbException.Reason.NOT_KILN,
                "is not a Kiln results database (it has other tables: inventory)");
    }

    @Test
    void otherTablesInThePublicSchemaAreFine() throws Exception {
        String url = newUrl();
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE public.inventory (serial TEXT)");
        }
        try (ResultsDb db = ResultsDb.open(url)) {
            assertThat(db.schemaVersion()).isEqualTo(1);
        }
    }

    @Test
    void unreachableServerAndMissingDatabaseAreExplained() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        SqliteResultsDbTest.assertReason("jdbc:postgresql://127.0.0.1:" + port + "/kiln?user=kiln&password=pw",
                ResultsDbException.Reason.UNREACHABLE, "cannot reach PostgreSQL at jdbc:postgresql://127.0.0.1:"
                        + port + "/kiln?user=kiln&password=***");
        String url = newUrl();
        String missing = url.replaceFirst("/kiln_t[0-9_]+", "/no_such_db");
        SqliteResultsDbTest.assertReason(missing, ResultsDbException.Reason.BAD_URL, "no_such_db");
    }
}
