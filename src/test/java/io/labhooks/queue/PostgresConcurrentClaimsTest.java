package io.labhooks.queue;

import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.labhooks.support.TestPostgres;

/** Concurrent claims on a real PostgreSQL ({@link TestPostgres}): never skipped, fails if it is unreachable. */
class PostgresConcurrentClaimsTest extends ConcurrentClaimsTest {

    @RegisterExtension
    static final TestPostgres POSTGRES = new TestPostgres();

    @DynamicPropertySource
    static void postgres(DynamicPropertyRegistry registry) {
        POSTGRES.use(registry);
    }
}
