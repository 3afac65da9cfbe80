package io.labhooks.payload;

import java.util.List;

import org.junit.jupiter.api.AfterAll;

import io.labhooks.support.TestPostgres;

/** Raw payloads at rest on a real PostgreSQL ({@link TestPostgres}): never skipped, fails if it is unreachable. */
class PostgresPayloadEncryptionTest extends PayloadEncryptionTest {

    static final String SCHEMA = TestPostgres.newSchema();

    @Override
    List<String> database() {
        return List.of("--spring.datasource.url=" + TestPostgres.URL + "?currentSchema=" + SCHEMA,
                "--spring.datasource.username=" + TestPostgres.USER, "--spring.datasource.password=",
                "--spring.flyway.schemas=" + SCHEMA, "--spring.flyway.create-schemas=true");
    }

    /** Every box of the test is closed by then. */
    @AfterAll
    static void dropSchema() throws Exception {
        TestPostgres.drop(SCHEMA);
    }
}
