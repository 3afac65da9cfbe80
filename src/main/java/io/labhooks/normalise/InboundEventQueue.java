package io.labhooks.normalise;

import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.List;

import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

import io.labhooks.config.LabhooksProperties;
import io.labhooks.ingest.WebhookExchange;
import io.labhooks.queue.LeasedClaims;

/**
 * Stored webhooks waiting to be normalised, claimed in batches with a lease ({@link LeasedClaims}). A failing
 * event is retried a few times, then kept as FAILED with its error.
 */
@Component("inboundEventQueue")
public class InboundEventQueue {

    private static final Logger LOG = LoggerFactory.getLogger(InboundEventQueue.class);
    public static final String INBOUND_EVENT_ID = "inboundEventId";

    private final JdbcTemplate jdbc;
    private final LeasedClaims claims;
    private final Clock clock;
    private final LabhooksProperties.Pipeline settings;

    public InboundEventQueue(JdbcTemplate jdbc, LeasedClaims claims, Clock clock, LabhooksProperties properties) {
        this.jdbc = jdbc;
        this.claims = claims;
        this.clock = clock;
        this.settings = properties.pipeline();
    }

    /** Ids of the claimed events, oldest first. */
    public List<Long> claim() {
        return claims.claim("inbound_event", "status = 'RECEIVED'", "id");
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
