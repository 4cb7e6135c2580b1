package dev.kiln.cli.db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The few JDBC moves the stores make: bind, update, query into records, read nullable columns. */
final class Sql {
    private Sql() {
    }

    @FunctionalInterface
    interface Row<T> {
        T map(ResultSet rs) throws SQLException;
    }

    static int update(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, params);
            return ps.executeUpdate();
        }
    }

    static <T> List<T> query(Connection c, String sql, Row<T> row, Object... params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, params);
            try (ResultSet rs = ps.executeQuery()) {
                List<T> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(row.map(rs));
                }
                return out;
            }
        }
    }

    static <T> Optional<T> one(Connection c, String sql, Row<T> row, Object... params) throws SQLException {
        List<T> all = query(c, sql, row, params);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.getFirst());
    }

    /** Runs an {@code INSERT ... RETURNING <key>} and answers the key. */
    static long insert(Connection c, String sql, Object... params) throws SQLException {
        return one(c, sql, rs -> rs.getLong(1), params)
                .orElseThrow(() -> new SQLException("insert returned no key: " + sql));
    }

    private static void bind(PreparedStatement ps, Object[] params) throws SQLException {
        for (int i = 0; i < params.length; i++) {
            Object p = params[i];
            if (p instanceof Enum<?> e) {
                throw new IllegalArgumentException("bind enums by id, not " + e);
            }
            ps.setObject(i + 1, p);
        }
    }

    static Long longOrNull(ResultSet rs, String col) throws SQLException {
        long v = rs.getLong(col);
        return rs.wasNull() ? null : v;
    }

    static Integer intOrNull(ResultSet rs, String col) throws SQLException {
        int v = rs.getInt(col);
        return rs.wasNull() ? null : v;
    }

    static Double doubleOrNull(ResultSet rs, String col) throws SQLException {
        double v = rs.getDouble(col);
        return rs.wasNull() ? null : v;
    }

    static Instant instant(ResultSet rs, String col) throws SQLException {
        Long ms = longOrNull(rs, col);
        return ms == null ? null : Instant.ofEpochMilli(ms);
    }
}
