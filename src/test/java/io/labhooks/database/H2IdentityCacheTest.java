package io.labhooks.database;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.labhooks.support.ProviderSigner;

/**
 * The box's own migrations, as it runs them at start: on H2 the identity columns written for every event take
 * their numbers from a cache of 1,000 (each time H2's cache of 32 ran out it wrote a commit of its own).
 * {@link PostgresIdentityCacheTest} is the other half.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext
class H2IdentityCacheTest {

    static final List<String> COLUMNS = List.of("INBOUND_EVENT.ID", "CANONICAL_EVENT.SEQ", "DELIVERY.ID", "DELIVERY_ATTEMPT.ID");

    @DynamicPropertySource
    static void h2(DynamicPropertyRegistry registry) {
        ProviderSigner.registerSecrets(registry);
        registry.add("spring.datasource.url", () -> "jdbc:h2:mem:identity-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    }

    @Autowired
    JdbcTemplate jdbc;

    @Test
    void theEventTablesNumbersComeFromACacheOfAThousand() {
        for (String column : COLUMNS) {
            String[] parts = column.split("\\.");
            assertThat(jdbc.queryForObject("SELECT IDENTITY_CACHE FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = 'PUBLIC'"
                    + " AND TABLE_NAME = ? AND COLUMN_NAME = ?", Long.class, parts[0], parts[1])).as(column).isEqualTo(1000);
        }
    }
}
