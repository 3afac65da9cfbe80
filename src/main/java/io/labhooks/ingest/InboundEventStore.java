package io.labhooks.ingest;

import java.time.OffsetDateTime;

import org.apache.camel.Exchange;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

import io.labhooks.dedupe.DedupeKeys;
import io.labhooks.payload.PayloadCipher;

/**
 * Writes the accepted webhook, byte for byte, as an inbound event waiting to be normalised. Runs inside the
 * transaction that also records the dedupe key, so both commit together before the provider is acknowledged.
 * The body is encrypted under the newest payload key when one is set ({@link PayloadCipher}); body_sha256 is the
 * hash of the bytes received either way.
 */
@Component("inboundEventStore")
public class InboundEventStore {

    private final JdbcTemplate jdbc;
    private final PayloadCipher payloads;

    public InboundEventStore(JdbcTemplate jdbc, PayloadCipher payloads) {
        this.jdbc = jdbc;
        this.payloads = payloads;
    }

    public void store(Exchange exchange) {
        byte[] raw = exchange.getProperty(WebhookExchange.RAW_BODY, byte[].class);
        PayloadCipher.Stored stored = payloads.seal(raw, exchange.getProperty(WebhookExchange.DEDUPE_KEY, String.class));
        jdbc.update("""
                INSERT INTO inbound_event (provider, dedupe_key, event_id, provider_event_id, provider_event_type,
                                           mapping, body, body_sha256, received_at, status, payload_key_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'RECEIVED', ?)""",
                exchange.getProperty(WebhookExchange.PROVIDER, String.class),
                exchange.getProperty(WebhookExchange.DEDUPE_KEY, String.class),
                exchange.getProperty(WebhookExchange.EVENT_ID, String.class),
                exchange.getProperty(WebhookExchange.PROVIDER_EVENT_ID, String.class),
                exchange.getProperty(WebhookExchange.PROVIDER_EVENT_TYPE, String.class),
                exchange.getProperty(WebhookExchange.MAPPING, String.class),
                stored.body(),
                DedupeKeys.sha256Hex(raw),
                exchange.getProperty(WebhookExchange.RECEIVED_AT, OffsetDateTime.class),
                stored.keyId());
    }
}
