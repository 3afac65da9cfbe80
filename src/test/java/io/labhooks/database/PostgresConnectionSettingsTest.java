package io.labhooks.database;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
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
 * On a PostgreSQL URL that sets neither, the box's connections plan every statement for the tables as they are
 * (no plan kept from when a queue was small) and the driver sends batched inserts as multi-row inserts. Read back
 * from the database session and the pool, on a real PostgreSQL.
 */
@SpringBootTest
@DirtiesContext
class PostgresConnectionSettingsTest {

    @RegisterExtension
    static final TestPostgres POSTGRES = new TestPostgres();

    @DynamicPropertySource
    static void postgres(DynamicPropertyRegistry registry) {
        ProviderSigner.registerSecrets(registry);
        POSTGRES.use(registry);
    }

    @Autowired
    JdbcTemplate jdbc;
    @Autowired
    HikariDataSource dataSource;

    @Test
    void everyStatementIsPlannedAfreshAndBatchedInsertsAreRewritten() {
        assertThat(jdbc.queryForObject("SHOW plan_cache_mode", String.class)).isEqualTo("force_custom_plan");
        assertThat(dataSource.getDataSourceProperties()).containsEntry("reWriteBatchedInserts", "true");
    }
}
