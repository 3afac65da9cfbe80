package io.labhooks.pipeline;

import java.util.UUID;

import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** Delivery resilience on the embedded default database. */
class H2DeliveryResilienceTest extends DeliveryResilienceTest {

    @DynamicPropertySource
    static void h2(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", () -> "jdbc:h2:mem:resilience-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    }
}
