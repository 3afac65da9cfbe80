package io.labhooks.pipeline;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.UUID;

import org.apache.camel.CamelContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The pipeline on a real PostgreSQL (CI's at 127.0.0.1:5432/test, or LABHOOKS_TEST_POSTGRES_URL), in a schema of
 * its own that is dropped afterwards. Never skipped: if PostgreSQL is unreachable this fails.
 */
class PostgresWebhookPipelineTest extends WebhookPipelineTest {

    static final String URL = System.getenv().getOrDefault("LABHOOKS_TEST_POSTGRES_URL", "jdbc:postgresql://127.0.0.1:5432/test");
    static final String USER = System.getenv().getOrDefault("LABHOOKS_TEST_POSTGRES_USER", "postgres");
    static final String SCHEMA = "labhooks_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);

    @DynamicPropertySource
    static void postgres(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", () -> URL + "?currentSchema=" + SCHEMA);
        registry.add("spring.datasource.username", () -> USER);
        registry.add("spring.datasource.password", () -> "");
        registry.add("spring.flyway.schemas", () -> SCHEMA);
        registry.add("spring.flyway.create-schemas", () -> "true");
    }

    /** Captured so the pollers can be stopped before their tables go (Spring closes the context after @AfterAll). */
    static CamelContext camel;

    @BeforeEach
    void rememberCamel(@Autowired CamelContext context) {
        camel = context;
    }

    @AfterAll
    static void dropSchema() throws Exception {
        if (camel != null) {
            camel.stop();
        }
        try (Connection connection = DriverManager.getConnection(URL, USER, "");
             Statement statement = connection.createStatement()) {
            statement.execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
        }
    }
}
