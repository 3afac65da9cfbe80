package io.labhooks.support;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

import org.apache.camel.CamelContext;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.junit.jupiter.SpringExtension;

/**
 * The machine's PostgreSQL (CI's at 127.0.0.1:5432/test, or LABHOOKS_TEST_POSTGRES_URL), one fresh schema per
 * test class, dropped afterwards. Never skipped: if PostgreSQL is unreachable the test fails.
 *
 * <p>A Spring Boot test class registers it and points its box at the schema:
 * <pre>
 * &#64;RegisterExtension
 * static final TestPostgres POSTGRES = new TestPostgres();
 *
 * &#64;DynamicPropertySource
 * static void postgres(DynamicPropertyRegistry registry) {
 *     POSTGRES.use(registry);
 * }
 * </pre>
 * After the class's tests it stops the box's Camel (pollers still running would fail on the vanished tables), then
 * drops the schema. JUnit runs it before Spring closes the test's context.
 */
public final class TestPostgres implements AfterAllCallback {

    public static final String URL = System.getenv().getOrDefault("LABHOOKS_TEST_POSTGRES_URL", "jdbc:postgresql://127.0.0.1:5432/test");
    public static final String USER = System.getenv().getOrDefault("LABHOOKS_TEST_POSTGRES_USER", "postgres");

    private final String schema = "labhooks_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);

    public String schema() {
        return schema;
    }

    /** The JDBC URL of this schema. */
    public String url() {
        return URL + "?currentSchema=" + schema;
    }

    /** Points the box's database, and Flyway, at the schema. */
    public void use(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", this::url);
        registry.add("spring.datasource.username", () -> USER);
        registry.add("spring.datasource.password", () -> "");
        registry.add("spring.flyway.schemas", () -> schema);
        registry.add("spring.flyway.create-schemas", () -> "true");
    }

    /** Stops the box's Camel, then drops the schema; the schema goes even when the box could not be reached. */
    @Override
    public void afterAll(ExtensionContext context) throws SQLException {
        try {
            SpringExtension.getApplicationContext(context).getBean(CamelContext.class).stop();
        } finally {
            drop();
        }
    }

    /** Drops the schema (for a test that starts its boxes itself and does not register this extension). */
    public void drop() throws SQLException {
        try (Connection connection = DriverManager.getConnection(URL, USER, "");
             Statement statement = connection.createStatement()) {
            statement.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
    }
}
