package io.labhooks.delivery;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import org.flywaydb.core.Flyway;
import org.springframework.boot.autoconfigure.jdbc.DataSourceProperties;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.jdbc.DataSourceBuilder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.DependsOn;
import org.springframework.context.annotation.Primary;

import io.labhooks.config.LabhooksProperties;

/**
 * The database the JDBC sink writes to: the box's own by default, another one when labhooks.sinks.jdbc.url is
 * set. Either way its tables (lab_event_feed, lab_order_status) come from db/sink, tracked in their own Flyway
 * history table so they can share a database with other schemas.
 */
@Configuration
class SinkDataSourceConfiguration {

    /** The box's own database (spring.datasource.*), declared here because a second DataSource follows. */
    @Bean
    @Primary
    @ConfigurationProperties("spring.datasource.hikari")
    HikariDataSource dataSource(DataSourceProperties properties) {
        return properties.initializeDataSourceBuilder().type(HikariDataSource.class).build();
    }

    @Bean
    @DependsOn("flywayInitializer")
    DataSource sinkDataSource(DataSource dataSource, LabhooksProperties properties) {
        LabhooksProperties.JdbcSink jdbc = properties.sinks().jdbc();
        DataSource target = jdbc.url() == null || jdbc.url().isBlank() ? dataSource
                : DataSourceBuilder.create().url(jdbc.url()).username(jdbc.username()).password(jdbc.password()).build();
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
}
