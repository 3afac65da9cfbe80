package io.labhooks.dedupe;

import javax.sql.DataSource;

import org.apache.camel.processor.idempotent.jdbc.JdbcMessageIdRepository;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Camel's JDBC idempotent repository, on the box's own database and transaction manager, so its key joins the
 * ingest route's transaction: the key and the stored inbound event commit or roll back together. The table is
 * Flyway's (V3); the primary key settles concurrent copies of one event, the loser being answered as a duplicate.
 */
@Configuration
class DedupeRepositoryConfiguration {

    static final String TABLE = "camel_messageprocessed";
    static final String PROCESSOR = "labhooks-ingest";

    @Bean
    JdbcMessageIdRepository dedupeRepository(DataSource dataSource, PlatformTransactionManager transactionManager) {
        JdbcMessageIdRepository repository = new JdbcMessageIdRepository(dataSource,
                new TransactionTemplate(transactionManager), PROCESSOR);
        repository.setCreateTableIfNotExists(false);
        // No setTableName: the repository would then rebuild every statement below from its own column names.
        repository.setTableExistsString("SELECT 1 FROM " + TABLE + " WHERE 1 = 0");
        repository.setQueryString("SELECT COUNT(*) FROM " + TABLE + " WHERE processor_name = ? AND message_id = ?");
        repository.setInsertString("INSERT INTO " + TABLE + " (processor_name, message_id, created_at) VALUES (?, ?, ?)");
        repository.setDeleteString("DELETE FROM " + TABLE + " WHERE processor_name = ? AND message_id = ?");
        repository.setClearString("DELETE FROM " + TABLE + " WHERE processor_name = ?");
        return repository;
    }
}
