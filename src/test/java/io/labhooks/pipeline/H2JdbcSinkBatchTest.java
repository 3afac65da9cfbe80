package io.labhooks.pipeline;

import java.util.UUID;

import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The JDBC sink's batches on the embedded default database. */
class H2JdbcSinkBatchTest extends JdbcSinkBatchTest {

    @DynamicPropertySource
    static void h2(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", () -> "jdbc:h2:mem:jdbc-sink-batch-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    }
}
