package io.labhooks.orderstate;

import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.labhooks.support.TestPostgres;

/** One batch's projection on a real PostgreSQL ({@link TestPostgres}): never skipped, fails if it is unreachable. */
class PostgresBatchProjectionTest extends BatchProjectionTest {

    @RegisterExtension
    static final TestPostgres POSTGRES = new TestPostgres();

    @DynamicPropertySource
    static void postgres(DynamicPropertyRegistry registry) {
        POSTGRES.use(registry);
    }
}
