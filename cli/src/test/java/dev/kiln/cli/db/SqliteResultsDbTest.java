package dev.kiln.cli.db;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The contract on SQLite temp files, plus what only a file can get wrong. */
class SqliteResultsDbTest extends ResultsDbContract {
    @TempDir
    Path dir;
    private int n;

    @Override
    String newUrl() {
        return "jdbc:sqlite:" + dir.resolve("kiln-" + (++n) + ".db");
    }

    @Override
    String historyTable() {
        return "kiln_schema_history";
    }

    @Test
    void usesWriteAheadLoggingAndOurHistoryTable() throws Exception {
        String url = newUrl();
        try (ResultsDb db = ResultsDb.open(url)) {
            assertThat(db.shared()).isFalse();
            assertThat(db.url()).isEqualTo(url);
        }
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("PRAGMA journal_mode")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualToIgnoringCase("wal");
            }
            try (ResultSet rs = s.executeQuery("SELECT version, success FROM kiln_schema_history")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo("1");
            }
        }
    }

    @Test
    void defaultLocationIsKilnHomeElseXdgStateAndItsDirectoryIsCreated() throws Exception {
        assertThat(ResultsDb.defaultUrl(Map.of("KILN_HOME", "/srv/kiln"), Path.of("/home/t")))
                .isEqualTo("jdbc:sqlite:/srv/kiln/kiln.db");
        assertThat(ResultsDb.defaultUrl(Map.of(), Path.of("/home/t")))
                .isEqualTo("jdbc:sqlite:/home/t/.local/state/kiln/kiln.db");
        assertThat(ResultsDb.resolveUrl(null, null, Map.of("KILN_DB", "jdbc:postgresql://db/kiln"), Path.of("/h")))
                .isEqualTo("jdbc:postgresql://db/kiln");
        assertThat(ResultsDb.resolveUrl(" ", "jdbc:sqlite:/c.db", Map.of("KILN_DB", "x"), Path.of("/h")))
                .isEqualTo("jdbc:sqlite:/c.db");
        assertThat(ResultsDb.resolveUrl("jdbc:sqlite:/f.db", "jdbc:sqlite:/c.db", Map.of(), Path.of("/h")))
                .isEqualTo("jdbc:sqlite:/f.db");
        assertThat(ResultsDb.resolveUrl(null, null, Map.of(), Path.of("/h")))
                .isEqualTo("jdbc:sqlite:/h/.local/state/kiln/kiln.db");

        // open() creates the default directory (here: user.home pointed at a temp dir) but no other
        String home = System.getProperty("user.home");
        System.setProperty("user.home", dir.resolve("home").toString());
        try {
            String url = ResultsDb.defaultUrl();
            if (System.getenv("KILN_HOME") == null) {
                assertThat(url).isEqualTo("jdbc:sqlite:" + dir.resolve("home/.local/state/kiln/kiln.db"));
                try (ResultsDb db = ResultsDb.open(url)) {
                    assertThat(db.schemaVersion()).isEqualTo(1);
                }
                assertThat(dir.resolve("home/.local/state/kiln/kiln.db")).isRegularFile();
            }
        } finally {
            System.setProperty("user.home", home);
        }
    }

    @Test
    void badUrlsSayWhatToUse() {
        assertReason("jdbc:mysql://db/kiln", ResultsDbException.Reason.BAD_URL, "unsupported database URL",
                "jdbc:sqlite:/path/kiln.db");
        assertReason("", ResultsDbException.Reason.BAD_URL, "empty database URL");
        assertReason("jdbc:sqlite::memory:", ResultsDbException.Reason.BAD_URL, "not a database file");
        assertReason("jdbc:sqlite:" + dir.resolve("missing/kiln.db"), ResultsDbException.Reason.BAD_URL,
                "directory " + dir.resolve("missing") + " does not exist");
        assertReason("jdbc:sqlite:" + dir, ResultsDbException.Reason.BAD_URL, "is a directory");
        assertReason("jdbc:postgresql://db:notaport/kiln", ResultsDbException.Reason.BAD_URL,
                "not a valid database URL");
    }

    @Test
    void refusesFilesThatAreNotKilnDatabases() throws Exception {
        Path text = dir.resolve("notes.txt");
        Files.writeString(text, "this is not a database, just some notes about rack 7\n".repeat(50));
        assertReason("jdbc:sqlite:" + text, ResultsDbException.Reason.NOT_KILN,
                text + " is not a Kiln results database (not an SQLite file)");
        assertThat(Files.readString(text)).startsWith("this is not a database").as("left untouched");

        Path other = dir.resolve("other.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + other); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE inventory (serial TEXT)");
        }
        assertReason("jdbc:sqlite:" + other, ResultsDbException.Reason.NOT_KILN,
                other + " is not a Kiln results database (it has other tables: inventory)");
    }

    @Test
    void redactsPasswords() {
        assertThat(ResultsDb.redact("jdbc:postgresql://db/kiln?user=k&password=s3cret&ssl=true"))
                .isEqualTo("jdbc:postgresql://db/kiln?user=k&password=***&ssl=true");
    }

    static void assertReason(String url, ResultsDbException.Reason reason, String... messageParts) {
        assertThatThrownBy(() -> ResultsDb.open(url).close()).isInstanceOf(ResultsDbException.class)
                .satisfies(e -> {
                    assertThat(((ResultsDbException) e).reason()).isEqualTo(reason);
                    for (String part : messageParts) {
                        assertThat(e.getMessage()).contains(part);
                    }
                });
    }
}
