package io.labhooks.ingest;

import java.time.OffsetDateTime;

import org.apache.camel.Exchange;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

import io.labhooks.dedupe.DedupeKeys;

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
        jdbc.update("""
                INSERT INTO inbound_event (provider, dedupe_key, event_id, provider_event_id, provider_event_type,
                                           mapping, body, body_sha256, received_at, status)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'RECEIVED')""",
                exchange.getProperty(WebhookExchange.PROVIDER, String.class),
                exchange.getProperty(WebhookExchange.DEDUPE_KEY, String.class),
                exchange.getProperty(WebhookExchange.EVENT_ID, String.class),
                exchange.getProperty(WebhookExchange.PROVIDER_EVENT_ID, String.class),
                exchange.getProperty(WebhookExchange.PROVIDER_EVENT_TYPE, String.class),
                exchange.getProperty(WebhookExchange.MAPPING, String.class),
                raw,
                DedupeKeys.sha256Hex(raw),
                exchange.getProperty(WebhookExchange.RECEIVED_AT, OffsetDateTime.class));
    }
}
