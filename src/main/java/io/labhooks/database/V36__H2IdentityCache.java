package io.labhooks.database;

import java.sql.Statement;

import org.flywaydb.core.api.migration.BaseJavaMigration;
import org.flywaydb.core.api.migration.Context;
import org.springframework.stereotype.Component;

/**
 * On H2, the identity columns of the tables written for every event hand out numbers from a cache of 1,000
 * instead of H2's 32. H2 records how far a sequence has gone with a commit of its own each time its cache runs
 * out; with every commit written to the file at once ({@link H2Durability}), those commits were 8.5% of the box's
 * CPU while a backlog drained (bench/README.md, 2026-12-04). H2 has one counter per table for the whole database,
 * so numbers still rise in the order they are taken; after a crash the next number is past any given out, as
 * before. PostgreSQL is left as it is: there a cache is per session, and numbers taken by two sessions would no
 * longer rise in the order their events were recorded, which the delivery queue's order relies on. A Java
 * migration (picked up by Spring Boot's Flyway set-up as a bean) because the SQL is H2's alone.
 */
@Component
public class V36__H2IdentityCache extends BaseJavaMigration {

    @Override
    public void migrate(Context context) throws Exception {
        if (!"H2".equals(context.getConnection().getMetaData().getDatabaseProductName())) {
            return;
        }
        try (Statement statement = context.getConnection().createStatement()) {
            statement.execute("ALTER TABLE inbound_event ALTER COLUMN id SET CACHE 1000");
            statement.execute("ALTER TABLE canonical_event ALTER COLUMN seq SET CACHE 1000");
            statement.execute("ALTER TABLE delivery ALTER COLUMN id SET CACHE 1000");
            statement.execute("ALTER TABLE delivery_attempt ALTER COLUMN id SET CACHE 1000");
        }
    }
}
