package io.labhooks.dedupe;

import jakarta.persistence.EntityManagerFactory;
import org.apache.camel.processor.idempotent.jpa.JpaMessageIdRepository;
import org.apache.camel.processor.idempotent.jpa.MessageProcessed;
import org.springframework.boot.autoconfigure.domain.EntityScan;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Camel's JPA idempotent repository, wired so its key joins the ingest route's transaction: the shared
 * EntityManager and Spring's transaction manager make the key and the stored inbound event commit or roll back
 * together. The unique constraint that settles concurrent copies lives in the Flyway migration.
 */
@Configuration
@EntityScan(basePackageClasses = MessageProcessed.class)
class DedupeRepositoryConfiguration {

    @Bean
    JpaMessageIdRepository dedupeRepository(EntityManagerFactory entityManagerFactory,
                                            PlatformTransactionManager transactionManager) {
        TransactionTemplate transaction = new TransactionTemplate(transactionManager);
        JpaMessageIdRepository repository = new JpaMessageIdRepository(entityManagerFactory,
                work -> transaction.executeWithoutResult(status -> work.run()), "labhooks-ingest");
        repository.setSharedEntityManager(true);
        repository.setJoinTransaction(false);
        return repository;
    }
}
