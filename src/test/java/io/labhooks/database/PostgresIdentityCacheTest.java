package io.labhooks.database;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Locale;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.labhooks.support.ProviderSigner;
import io.labhooks.support.TestPostgres;

/**
 * On PostgreSQL the box's migrations leave the identity columns without a cache: there a cache is per session, and
 * numbers taken by two sessions would no longer rise in the order their events were recorded, which the delivery
 * queue's order relies on ({@link V36__H2IdentityCache}).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext
class PostgresIdentityCacheTest {

    @RegisterExtension
    static final TestPostgres POSTGRES = new TestPostgres();

    @DynamicPropertySource
    static void postgres(DynamicPropertyRegistry registry) {
        ProviderSigner.registerSecrets(registry);
        POSTGRES.use(registry);
    }

    @Autowired
    JdbcTemplate jdbc;

    @Test
    void theEventTablesNumbersKeepNoCache() {
        for (String column : H2IdentityCacheTest.COLUMNS) {
            String[] parts = column.toLowerCase(Locale.ROOT).split("\\.");
            assertThat(jdbc.queryForObject("SELECT seqcache FROM pg_sequence WHERE seqrelid = CAST(pg_get_serial_sequence(?, ?) AS regclass)",
                    Long.class, parts[0], parts[1])).as(column).isEqualTo(1);
        }
    }
}
