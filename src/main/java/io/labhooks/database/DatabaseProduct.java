package io.labhooks.database;

import org.springframework.jdbc.core.ConnectionCallback;
import org.springframework.jdbc.core.JdbcTemplate;

/** Which database the box's connections go to, for the few statements H2 and PostgreSQL need written differently. */
public enum DatabaseProduct {
    H2, POSTGRESQL, OTHER;

    /** As the JDBC driver names it (one connection checked out, once, by each caller that needs it). */
    public static DatabaseProduct of(JdbcTemplate jdbc) {
        String name = jdbc.execute((ConnectionCallback<String>) connection -> connection.getMetaData().getDatabaseProductName());
        return switch (name == null ? "" : name) {
            case "H2" -> H2;
            case "PostgreSQL" -> POSTGRESQL;
            default -> OTHER;
        };
    }
}
