package io.labhooks.normalise;

import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.List;

import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import io.labhooks.config.LabhooksProperties;
import io.labhooks.ingest.WebhookExchange;

/**
 * Stored webhooks waiting to be normalised. A worker claims a batch for a limited time (rows locked with
 * SKIP LOCKED, so several workers or instances never take the same one); a claim that runs out because its worker
 * died is simply claimed again. A failing event is retried a few times, then kept as FAILED with its error.
 */
@Component("inboundEventQueue")
public class InboundEventQueue {

    private static final Logger LOG = LoggerFactory.getLogger(InboundEventQueue.class);
    public static final String INBOUND_EVENT_ID = "inboundEventId";

    private final JdbcTemplate jdbc;
    private final TransactionTemplate transaction;
    private final Clock clock;
    private final LabhooksProperties.Pipeline settings;

    public InboundEventQueue(JdbcTemplate jdbc, TransactionTemplate transaction, Clock clock,
                             LabhooksProperties properties) {
        this.jdbc = jdbc;
        this.transaction = transaction;
        this.clock = clock;
        this.settings = properties.pipeline();
    }

    /** Ids of the claimed events, oldest first. */
    public List<Long> claim() {
        OffsetDateTime now = OffsetDateTime.now(clock);
        return transaction.execute(status -> {
            List<Long> ids = jdbc.queryForList("""
                    SELECT id FROM inbound_event
                    WHERE status = 'RECEIVED' AND (claimed_until IS NULL OR claimed_until < ?)
                    ORDER BY id FETCH FIRST ? ROWS ONLY FOR UPDATE SKIP LOCKED""",
                    Long.class, now, settings.batchSize());
            for (Long id : ids) {
                jdbc.update("UPDATE inbound_event SET claimed_until = ?, attempts = attempts + 1 WHERE id = ?",
                        now.plusSeconds(settings.claimSeconds()), id);
            }
            return ids;
        });
    }

    /** Puts the raw body in the message and what the ingest route recorded in exchange properties. */
    public void load(Exchange exchange) {
        long id = exchange.getIn().getBody(Long.class);
        byte[] body = jdbc.queryForObject("""
                SELECT provider, event_id, provider_event_id, provider_event_type, mapping, body, received_at
                FROM inbound_event WHERE id = ?""", (rs, row) -> {
            exchange.setProperty(WebhookExchange.PROVIDER, rs.getString("provider"));
            exchange.setProperty(WebhookExchange.EVENT_ID, rs.getString("event_id"));
            exchange.setProperty(WebhookExchange.PROVIDER_EVENT_ID, rs.getString("provider_event_id"));
            exchange.setProperty(WebhookExchange.PROVIDER_EVENT_TYPE, rs.getString("provider_event_type"));
            exchange.setProperty(WebhookExchange.MAPPING, rs.getString("mapping"));
            exchange.setProperty(WebhookExchange.RECEIVED_AT, rs.getObject("received_at", OffsetDateTime.class));
            return rs.getBytes("body");
        }, id);
        exchange.setProperty(INBOUND_EVENT_ID, id);
        exchange.getMessage().removeHeaders("*");
        exchange.getMessage().setBody(body);
    }

    /** Part of the transaction that records the canonical event. */
    public void markNormalised(long id) {
        jdbc.update("""
                UPDATE inbound_event SET status = 'NORMALISED', normalised_at = ?, claimed_until = NULL, last_error = NULL
                WHERE id = ?""", OffsetDateTime.now(clock), id);
    }

    public void markFailed(Exchange exchange) {
        long id = exchange.getProperty(INBOUND_EVENT_ID, Long.class);
        Throwable failure = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String error = failure == null ? "unknown error" : failure.getClass().getSimpleName() + ": " + failure.getMessage();
        error = error.length() > 2000 ? error.substring(0, 2000) : error;
        Integer attempts = jdbc.queryForObject("SELECT attempts FROM inbound_event WHERE id = ?", Integer.class, id);
        boolean exhausted = attempts != null && attempts >= settings.normaliseMaxAttempts();
        OffsetDateTime retryAt = OffsetDateTime.now(clock).plusSeconds(10L * (attempts == null ? 1 : attempts));
        jdbc.update("""
                UPDATE inbound_event SET status = ?, claimed_until = ?, last_error = ?
                WHERE id = ? AND status = 'RECEIVED'""",
                exhausted ? "FAILED" : "RECEIVED", exhausted ? null : retryAt, error, id);
        if (exhausted) {
            LOG.error("Inbound event {} ({} {}) could not be normalised after {} attempts; kept as FAILED: {}", id,
                    exchange.getProperty(WebhookExchange.PROVIDER), exchange.getProperty(WebhookExchange.PROVIDER_EVENT_TYPE),
                    attempts, error);
        } else {
            LOG.warn("Inbound event {} could not be normalised (attempt {}), will retry: {}", id, attempts, error);
        }
    }
}
