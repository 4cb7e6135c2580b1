package dev.kiln.cli.db;

/** For tests outside this package: a fresh PostgreSQL database from {@link TestPostgres}, or the test is skipped. */
public final class TestDatabases {
    private TestDatabases() {
    }

    /** A new database's URL; skips the calling test (or fails it under KILN_TEST_PG_REQUIRED=1) without a server. */
    public static String postgres() throws Exception {
        return TestPostgres.require().newDatabaseUrl();
    }
}
