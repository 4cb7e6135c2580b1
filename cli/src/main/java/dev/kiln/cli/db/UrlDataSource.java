package dev.kiln.cli.db;

import javax.sql.DataSource;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.logging.Logger;

/**
 * Hands Flyway connections opened exactly like Kiln's own ({@link Dialect#driverProperties()}), so its
 * SQLite connections wait on a busy file and take the write lock up front like ours.
 */
final class UrlDataSource implements DataSource {
    private final String url;
    private final Dialect dialect;

    UrlDataSource(String url, Dialect dialect) {
        this.url = url;
        this.dialect = dialect;
    }

    @Override
    public Connection getConnection() {
        return ResultsDb.connect(url, dialect);
    }

    @Override
    public Connection getConnection(String username, String password) {
        return getConnection();
    }

    @Override
    public PrintWriter getLogWriter() {
        return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {
    }

    @Override
    public void setLoginTimeout(int seconds) {
    }

    @Override
    public int getLoginTimeout() {
        return 0;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> iface) throws SQLException {
        throw new SQLException("not a wrapper");
    }

    @Override
    public boolean isWrapperFor(Class<?> iface) {
        return false;
    }
}
