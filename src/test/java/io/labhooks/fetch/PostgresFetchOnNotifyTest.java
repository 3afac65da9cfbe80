package io.labhooks.fetch;

import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.labhooks.support.TestPostgres;

/** Fetch on notify on a real PostgreSQL ({@link TestPostgres}): never skipped, fails if it is unreachable. */
class PostgresFetchOnNotifyTest extends FetchOnNotifyTest {

    @RegisterExtension
    static final TestPostgres POSTGRES = new TestPostgres();

    @DynamicPropertySource
    static void postgres(DynamicPropertyRegistry registry) {
        POSTGRES.use(registry);
    }
}
