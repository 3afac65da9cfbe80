package io.labhooks.ingest;

import java.time.OffsetDateTime;

import org.apache.camel.Exchange;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

import io.labhooks.dedupe.DedupeKeys;
import io.labhooks.dedupe.EventIds;
import io.labhooks.event.EventExchange;
import io.labhooks.fetch.ProviderApis;
import io.labhooks.payload.PayloadCipher;

/**
 * Writes the accepted webhook, byte for byte, as an inbound event waiting to be normalised (or first to have the
 * resources it points at fetched, FETCHING). Runs inside the
 * transaction that also records the dedupe key, so both commit together before the provider is acknowledged.
 * The body is encrypted under the newest payload key when one is set ({@link PayloadCipher}); body_sha256 is the
 * hash of the bytes received either way.
 */
@Component("inboundEventStore")
public class InboundEventStore {

    private final JdbcTemplate jdbc;
    private final PayloadCipher payloads;
    private final ProviderApis apis;

    public InboundEventStore(JdbcTemplate jdbc, PayloadCipher payloads, ProviderApis apis) {
        this.jdbc = jdbc;
        this.payloads = payloads;
        this.apis = apis;
    }

    public void store(Exchange exchange) {
        byte[] raw = exchange.getProperty(WebhookExchange.RAW_BODY, byte[].class);
        String dedupeKey = exchange.getProperty(EventExchange.DEDUPE_KEY, String.class);
        // The key was free (the idempotent consumer just took it), yet earlier webhooks may have held it before
        // their dedupe window passed: this one is then a new event and needs an event id of its own.
        Integer earlier = jdbc.queryForObject("SELECT COUNT(*) FROM inbound_event WHERE dedupe_key = ?", Integer.class, dedupeKey);
        if (earlier != null && earlier > 0) {
            exchange.setProperty(EventExchange.EVENT_ID, EventIds.generation(dedupeKey, earlier + 1));
        }
        PayloadCipher.Stored stored = payloads.seal(raw, dedupeKey);
        // The fetch stage takes the events whose provider API has resources for their type; the normaliser the rest.
        String provider = exchange.getProperty(EventExchange.PROVIDER, String.class);
        String eventType = exchange.getProperty(EventExchange.PROVIDER_EVENT_TYPE, String.class);
        String status = apis.fetchesOn(provider, eventType) ? "FETCHING" : "RECEIVED";
        jdbc.update("""
                INSERT INTO inbound_event (provider, dedupe_key, event_id, provider_event_id, provider_event_type,
                                           mapping, body, body_sha256, received_at, status, dedupe_expires_at,
                                           payload_key_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                provider,
                dedupeKey,
                exchange.getProperty(EventExchange.EVENT_ID, String.class),
                exchange.getProperty(EventExchange.PROVIDER_EVENT_ID, String.class),
                eventType,
                exchange.getProperty(EventExchange.MAPPING, String.class),
                stored.body(),
                DedupeKeys.sha256Hex(raw),
                exchange.getProperty(EventExchange.RECEIVED_AT, OffsetDateTime.class),
                status,
                exchange.getProperty(WebhookExchange.DEDUPE_EXPIRES_AT, OffsetDateTime.class),
                stored.keyId());
    }

    /**
     * Stores a snapshot polled from a provider's API that differs from the last one, as an inbound event like a
     * webhook (source 'poll', type {@code poll.<resource>}, provider event id the id it was polled by), waiting to be
     * normalised. Polled snapshots have no
     * dedupe window: each change is its own event, its key naming the watch and the poll.
     */
    public void storePolled(String provider, String resource, String polledId, String mapping, byte[] snapshot,
                            String dedupeKey, OffsetDateTime receivedAt) {
        PayloadCipher.Stored stored = payloads.seal(snapshot, dedupeKey);
        jdbc.update("""
                INSERT INTO inbound_event (provider, dedupe_key, event_id, provider_event_id, provider_event_type, mapping,
                                           body, body_sha256, received_at, status, payload_key_id, source)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'RECEIVED', ?, 'poll')""",
                provider, dedupeKey, EventIds.of(dedupeKey), polledId, "poll." + resource, mapping, stored.body(),
                DedupeKeys.sha256Hex(snapshot), receivedAt, stored.keyId());
    }
}
