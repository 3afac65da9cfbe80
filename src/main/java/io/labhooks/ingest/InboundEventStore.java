package io.labhooks.ingest;

import java.time.OffsetDateTime;

import org.apache.camel.Exchange;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

import io.labhooks.dedupe.DedupeKeys;
import io.labhooks.dedupe.EventIds;

/**
 * Writes the accepted webhook, byte for byte, as an inbound event waiting to be normalised. Runs inside the
 * transaction that also records the dedupe key, so both commit together before the provider is acknowledged.
 */
@Component("inboundEventStore")
public class InboundEventStore {

    private final JdbcTemplate jdbc;

    public InboundEventStore(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    public void store(Exchange exchange) {
        byte[] raw = exchange.getProperty(WebhookExchange.RAW_BODY, byte[].class);
        String dedupeKey = exchange.getProperty(WebhookExchange.DEDUPE_KEY, String.class);
        // The key was free (the idempotent consumer just took it), yet earlier webhooks may have held it before
        // their dedupe window passed: this one is then a new event and needs an event id of its own.
        Integer earlier = jdbc.queryForObject("SELECT COUNT(*) FROM inbound_event WHERE dedupe_key = ?", Integer.class, dedupeKey);
        if (earlier != null && earlier > 0) {
            exchange.setProperty(WebhookExchange.EVENT_ID, EventIds.generation(dedupeKey, earlier + 1));
        }
        jdbc.update("""
                INSERT INTO inbound_event (provider, dedupe_key, event_id, provider_event_id, provider_event_type,
                                           mapping, body, body_sha256, received_at, status, dedupe_expires_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'RECEIVED', ?)""",
                exchange.getProperty(WebhookExchange.PROVIDER, String.class),
                dedupeKey,
                exchange.getProperty(WebhookExchange.EVENT_ID, String.class),
                exchange.getProperty(WebhookExchange.PROVIDER_EVENT_ID, String.class),
                exchange.getProperty(WebhookExchange.PROVIDER_EVENT_TYPE, String.class),
                exchange.getProperty(WebhookExchange.MAPPING, String.class),
                raw,
                DedupeKeys.sha256Hex(raw),
                exchange.getProperty(WebhookExchange.RECEIVED_AT, OffsetDateTime.class),
                exchange.getProperty(WebhookExchange.DEDUPE_EXPIRES_AT, OffsetDateTime.class));
    }
}
