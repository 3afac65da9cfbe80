package io.labhooks.queue;

import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import io.labhooks.config.LabhooksProperties;

/**
 * Claims work rows (stored webhooks, deliveries) for a limited time. Rows are locked with SKIP LOCKED, so workers
 * never take the same row at once; the claim is a lease that simply runs out if its worker dies, after which the
 * row is claimed again. Each claim counts as an attempt.
 */
@Component
public class LeasedClaims {

    private final JdbcTemplate jdbc;
    private final TransactionTemplate transaction;
    private final Clock clock;
    private final LabhooksProperties.Pipeline settings;

    public LeasedClaims(JdbcTemplate jdbc, TransactionTemplate transaction, Clock clock, LabhooksProperties properties) {
        this.jdbc = jdbc;
        this.transaction = transaction;
        this.clock = clock;
        this.settings = properties.pipeline();
    }

    /**
     * Ids of up to one batch of rows of {@code table} that are {@code ready} and not under another live claim,
     * in {@code order}. The ready condition may use the placeholder {@code :now}.
     */
    public List<Long> claim(String table, String ready, String order) {
        OffsetDateTime now = OffsetDateTime.now(clock);
        String readyNow = ready.replace(":now", "?");
        List<Object> parameters = new ArrayList<>();
        for (int at = ready.indexOf(":now"); at >= 0; at = ready.indexOf(":now", at + 1)) {
            parameters.add(now);
        }
        parameters.add(now);
        parameters.add(settings.batchSize());
        return transaction.execute(status -> {
            List<Long> ids = jdbc.queryForList("SELECT id FROM " + table + " WHERE " + readyNow
                            + " AND (claimed_until IS NULL OR claimed_until < ?) ORDER BY " + order
                            + " FETCH FIRST ? ROWS ONLY FOR UPDATE SKIP LOCKED",
                    Long.class, parameters.toArray());
            for (Long id : ids) {
                jdbc.update("UPDATE " + table + " SET claimed_until = ?, attempts = attempts + 1 WHERE id = ?",
                        now.plusSeconds(settings.claimSeconds()), id);
            }
            return ids;
        });
    }
}
