package io.labhooks.payload;

import java.util.List;

import org.junit.jupiter.api.AfterAll;

import io.labhooks.support.TestPostgres;

/** Raw payloads at rest on a real PostgreSQL ({@link TestPostgres}): never skipped, fails if it is unreachable. */
class PostgresPayloadEncryptionTest extends PayloadEncryptionTest {

    static final TestPostgres POSTGRES = new TestPostgres();

    @Override
    List<String> database() {
        return List.of("--spring.datasource.url=" + POSTGRES.url(),
                "--spring.datasource.username=" + TestPostgres.USER, "--spring.datasource.password=",
                "--spring.flyway.schemas=" + POSTGRES.schema(), "--spring.flyway.create-schemas=true");
    }

    /** Every box of the test is closed by then. */
    @AfterAll
    static void dropSchema() throws Exception {
        POSTGRES.drop();
    }
}
