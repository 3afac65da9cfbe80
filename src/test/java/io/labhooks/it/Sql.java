package io.labhooks.it;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Plain JDBC from the test JVM to a box's database, one short connection per call (with H2's AUTO_SERVER, a
 * connection made while a box runs goes through that box's server, and a box killed under it only breaks that
 * call).
 */
record Sql(String url, String user, String password) {

    List<Map<String, Object>> rows(String sql, Object... parameters) {
        try (Connection connection = DriverManager.getConnection(url, user, password);
             PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                statement.setObject(i + 1, parameters[i]);
            }
            try (ResultSet result = statement.executeQuery()) {
                ResultSetMetaData meta = result.getMetaData();
                List<Map<String, Object>> rows = new ArrayList<>();
                while (result.next()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (int c = 1; c <= meta.getColumnCount(); c++) {
                        row.put(meta.getColumnLabel(c).toLowerCase(), result.getObject(c));
                    }
                    rows.add(row);
                }
                return rows;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    long count(String sql, Object... parameters) {
        return ((Number) rows(sql, parameters).get(0).values().iterator().next()).longValue();
    }

    /** {status -> rows} of a queue table (inbound_event or delivery). */
    Map<String, Long> statuses(String table) {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (Map<String, Object> row : rows("SELECT status, COUNT(*) AS n FROM " + table + " GROUP BY status ORDER BY status")) {
            counts.put((String) row.get("status"), ((Number) row.get("n")).longValue());
        }
        return counts;
    }

    /** {k -> n} of a query selecting a key column {@code k} and a count {@code n}. */
    Map<String, Long> counts(String sql) {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (Map<String, Object> row : rows(sql)) {
            counts.put(String.valueOf(row.get("k")), ((Number) row.get("n")).longValue());
        }
        return counts;
    }

    void execute(String sql) {
        try (Connection connection = DriverManager.getConnection(url, user, password)) {
            connection.createStatement().execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }
}
