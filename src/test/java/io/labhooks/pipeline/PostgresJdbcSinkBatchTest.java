package io.labhooks.pipeline;

import org.apache.camel.CamelContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.labhooks.support.TestPostgres;

/** The JDBC sink's batches on a real PostgreSQL ({@link TestPostgres}): never skipped, fails if it is unreachable. */
class PostgresJdbcSinkBatchTest extends JdbcSinkBatchTest {

    static final String SCHEMA = TestPostgres.newSchema();

    @DynamicPropertySource
    static void postgres(DynamicPropertyRegistry registry) {
        TestPostgres.use(registry, SCHEMA);
    }

    /** Captured so the pollers can be stopped before their tables go. */
    static CamelContext camel;

    @BeforeEach
    void rememberCamel(@Autowired CamelContext context) {
        camel = context;
    }

    @AfterAll
    static void dropSchema() throws Exception {
        TestPostgres.stopAndDrop(camel, SCHEMA);
    }
}
