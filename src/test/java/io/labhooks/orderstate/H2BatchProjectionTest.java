package io.labhooks.orderstate;

import java.util.UUID;

import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** One batch's projection on H2, an in-memory database of its own. */
class H2BatchProjectionTest extends BatchProjectionTest {

    @DynamicPropertySource
    static void h2(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", () -> "jdbc:h2:mem:batch-projection-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    }
}
