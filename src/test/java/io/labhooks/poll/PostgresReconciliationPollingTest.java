package io.labhooks.poll;

import org.apache.camel.CamelContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.labhooks.support.TestPostgres;

/** Reconciliation polling on a real PostgreSQL ({@link TestPostgres}): never skipped, fails if it is unreachable. */
class PostgresReconciliationPollingTest extends ReconciliationPollingTest {

    static final String SCHEMA = TestPostgres.newSchema();
    static CamelContext camel;

    @DynamicPropertySource
    static void postgres(DynamicPropertyRegistry registry) {
        TestPostgres.use(registry, SCHEMA);
    }

    @BeforeEach
    void rememberCamel(@Autowired CamelContext context) {
        camel = context;
    }

    @AfterAll
    static void dropSchema() throws Exception {
        TestPostgres.stopAndDrop(camel, SCHEMA);
    }
}
