package io.labhooks.support;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

import org.apache.camel.CamelContext;
import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * The machine's PostgreSQL (CI's at 127.0.0.1:5432/test, or LABHOOKS_TEST_POSTGRES_URL), one fresh schema per
 * test class, dropped afterwards. Never skipped: if PostgreSQL is unreachable the test fails.
 */
public final class TestPostgres {

    public static final String URL = System.getenv().getOrDefault("LABHOOKS_TEST_POSTGRES_URL", "jdbc:postgresql://127.0.0.1:5432/test");
    public static final String USER = System.getenv().getOrDefault("LABHOOKS_TEST_POSTGRES_USER", "postgres");

    private TestPostgres() {
    }

    public static String newSchema() {
        return "labhooks_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    /** Points the box's database, and Flyway, at the schema. */
    public static void use(DynamicPropertyRegistry registry, String schema) {
        registry.add("spring.datasource.url", () -> URL + "?currentSchema=" + schema);
        registry.add("spring.datasource.username", () -> USER);
        registry.add("spring.datasource.password", () -> "");
        registry.add("spring.flyway.schemas", () -> schema);
        registry.add("spring.flyway.create-schemas", () -> "true");
    }

    /**
     * Stops the box's pollers, then drops the schema. Called from @AfterAll, which runs before Spring closes the
     * test's context: pollers still running would otherwise fail on the vanished tables.
     */
    public static void stopAndDrop(CamelContext camel, String schema) throws SQLException {
        if (camel != null) {
            camel.stop();
        }
        drop(schema);
    }

    public static void drop(String schema) throws SQLException {
        try (Connection connection = DriverManager.getConnection(URL, USER, "");
             Statement statement = connection.createStatement()) {
            statement.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
    }
}
