package io.labhooks.delivery;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import org.apache.camel.LoggingLevel;
import org.apache.camel.spring.spi.LegacyTransactionErrorHandlerBuilder;
import org.apache.camel.spring.spi.SpringTransactionPolicy;
import org.flywaydb.core.Flyway;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.jdbc.DataSourceProperties;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.jdbc.DataSourceBuilder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.DependsOn;
import org.springframework.context.annotation.Primary;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;

import io.labhooks.config.LabhooksProperties;
import io.labhooks.database.H2Durability;

/**
 * The database the JDBC sink writes to: the box's own by default, another one when labhooks.sinks.jdbc.url is
 * set. Either way its tables (lab_event_feed, lab_order_status) come from db/sink, tracked in their own Flyway
 * history table so they can share a database with other schemas.
 */
@Configuration
class SinkDataSourceConfiguration {

    private static final String BOX_DATABASE = "LABHOOKS_DB_URL";
    private static final String SINK_DATABASE = "LABHOOKS_JDBC_SINK_URL";
    /** The logger of the JDBC sink's transaction error handler; off by default (application.yaml). */
    private static final String TRANSACTION_LOG = "labhooks.sink-transaction";

    /** The box's own database (spring.datasource.*), declared here because a second DataSource follows. */
    @Bean
    @Primary
    @ConfigurationProperties("spring.datasource.hikari")
    HikariDataSource dataSource(DataSourceProperties properties) {
        String url = H2Durability.url(properties.determineUrl(), BOX_DATABASE);
        HikariDataSource dataSource = properties.initializeDataSourceBuilder().type(HikariDataSource.class).url(url).build();
        if (url != null && url.startsWith("jdbc:postgresql:")) {
            if (!url.contains("reWriteBatchedInserts")) {
                // The driver sends a batch of inserts (the attempts a batch of outcomes records) as multi-row inserts:
                // a few statements for a hundred rows rather than a hundred.
                dataSource.addDataSourceProperty("reWriteBatchedInserts", "true");
            }
            if (!url.contains("options=")) {
                // Every statement is planned for the tables as they are now. The queues grow from nothing to a backlog
                // of thousands and back within minutes; a plan PostgreSQL keeps for a prepared statement, made while a
                // table was small, would read the whole table for each claimed batch once it is large (bench/README).
                dataSource.addDataSourceProperty("options", "-c plan_cache_mode=force_custom_plan");
            }
        }
        H2Durability.verify(dataSource, url, BOX_DATABASE);
        return dataSource;
    }

    // No destroy method: by default this is the box's own pool, and closing it here would close it under every
    // bean still stopping (a box hands its claims back as it stops). A separate sink pool ends with the process.
    @Bean(destroyMethod = "")
    @DependsOn("flywayInitializer")
    DataSource sinkDataSource(DataSource dataSource, LabhooksProperties properties) {
        LabhooksProperties.JdbcSink jdbc = properties.sinks().jdbc();
        DataSource target = dataSource;
        if (jdbc.url() != null && !jdbc.url().isBlank()) {
            String url = H2Durability.url(jdbc.url(), SINK_DATABASE);
            target = DataSourceBuilder.create().url(url).username(jdbc.username()).password(jdbc.password()).build();
            H2Durability.verify(target, url, SINK_DATABASE);
        }
        if (jdbc.enabled()) {
            Flyway.configure()
                    .dataSource(target)
                    .locations("classpath:db/sink")
                    .table("flyway_sink_history")
                    .baselineOnMigrate(true)
                    .baselineVersion("0")
                    .load()
                    .migrate();
        }
        return target;
    }

    /**
     * The JDBC sink's transaction ({@code transacted: {ref: sinkTransaction}} in sinks/jdbc.camel.yaml): its
     * statements for one delivery commit together, once. A policy rather than a transaction manager bean, which
     * would displace the box's own.
     */
    @Bean
    SpringTransactionPolicy sinkTransaction(@Qualifier("sinkDataSource") DataSource sinkDataSource) {
        return new SpringTransactionPolicy(new DataSourceTransactionManager(sinkDataSource));
    }

    /**
     * The error handler of the JDBC sink's transacted route (routeConfiguration sink-transaction-errors): it rolls back
     * and logs to {@value #TRANSACTION_LOG}, which application.yaml turns off. Camel's default one logs the failure at
     * ERROR, and a database's message quotes the refused row; the delivery queue logs each failure once, without those
     * values. Declared in Java because Camel 4.17 builds the YAML {@code springTransactionErrorHandler} as a plain error
     * handler, which a transacted route refuses.
     */
    @Bean
    LegacyTransactionErrorHandlerBuilder sinkTransactionErrors(SpringTransactionPolicy sinkTransaction) {
        LegacyTransactionErrorHandlerBuilder errors = new LegacyTransactionErrorHandlerBuilder();
        errors.setSpringTransactionPolicy(sinkTransaction);
        errors.setRollbackLoggingLevel(LoggingLevel.OFF);
        errors.log(TRANSACTION_LOG);
        return errors;
    }
}
