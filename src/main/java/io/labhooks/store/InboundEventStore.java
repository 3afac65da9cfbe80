package io.labhooks.store;

import java.time.OffsetDateTime;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.camel.Exchange;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;

import io.labhooks.dedupe.DedupeKeys;
import io.labhooks.dedupe.EventIds;
import io.labhooks.event.EventExchange;
import io.labhooks.fetch.ProviderApis;
import io.labhooks.payload.PayloadCipher;

/**
 * The stored webhooks (table inbound_event), between ingest and the stages after it. Every write to them is made
 * here, but for the claims and outcomes of the two stages that work through them (FetchQueue, InboundEventQueue,
 * through {@link io.labhooks.queue.LeasedClaims}). Ingest writes the accepted webhook, byte for byte, as an inbound event waiting to be normalised (or first to have the
 * resources it points at fetched, FETCHING). Runs inside the
 * transaction that also records the dedupe key, so both commit together before the provider is acknowledged.
 * The body is encrypted under the newest payload key when one is set ({@link PayloadCipher}); body_sha256 is the
 * hash of the bytes received either way.
 */
@Component("inboundEventStore")
public class InboundEventStore {

    private final JdbcTemplate jdbc;
    private final NamedParameterJdbcTemplate named;
    private final PayloadCipher payloads;
    private final ProviderApis apis;

    public InboundEventStore(JdbcTemplate jdbc, NamedParameterJdbcTemplate named, PayloadCipher payloads, ProviderApis apis) {
        this.jdbc = jdbc;
        this.named = named;
        this.payloads = payloads;
        this.apis = apis;
    }

    public void store(Exchange exchange) {
        byte[] raw = exchange.getProperty(EventExchange.RAW_BODY, byte[].class);
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
                exchange.getProperty(EventExchange.DEDUPE_EXPIRES_AT, OffsetDateTime.class),
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

    /** A stored webhook whose dedupe window has passed: its key may be released. */
    public record DedupeHold(long id, String dedupeKey) {
    }

    /**
     * Up to {@code batch} stored webhooks whose dedupe window has passed, locked for the caller's transaction (rows
     * another box is releasing are skipped).
     */
    public List<DedupeHold> dedupeWindowsPassed(OffsetDateTime now, int batch) {
        return named.query("""
                SELECT id, dedupe_key FROM inbound_event WHERE dedupe_expires_at <= :now
                ORDER BY dedupe_expires_at FETCH FIRST :batch ROWS ONLY FOR UPDATE SKIP LOCKED""",
                Map.of("now", now, "batch", batch), (rs, row) -> new DedupeHold(rs.getLong("id"), rs.getString("dedupe_key")));
    }

    /** Marks the webhooks' dedupe keys released (they no longer hold one). */
    public void dedupeReleased(Collection<Long> ids) {
        named.update("UPDATE inbound_event SET dedupe_expires_at = NULL WHERE id IN (:ids)", Map.of("ids", ids));
    }

    /**
     * Purges the raw payloads (and fetched resources) of up to 500 webhooks received before {@code receivedBefore}
     * that were mapped or REJECTED: one waiting or FAILED keeps its payload. A purged payload is empty and under no
     * key. The number purged.
     */
    public int purgeRawPayloads(OffsetDateTime now, OffsetDateTime receivedBefore) {
        return jdbc.update("""
                UPDATE inbound_event SET body = ?, body_purged_at = ?, payload_key_id = NULL, fetched = NULL,
                                         fetched_key_id = NULL
                WHERE id IN (SELECT id FROM inbound_event
                             WHERE status IN ('NORMALISED', 'REJECTED') AND body_purged_at IS NULL AND received_at < ?
                             ORDER BY id FETCH FIRST 500 ROWS ONLY)""",
                new byte[0], now, receivedBefore);
    }

    /**
     * Queues NORMALISED or FAILED webhooks to be mapped again, none in flight or purged (checked here, in the same
     * statement: a poller or the purge may have got to a row since the caller read it). One already mapped becomes
     * its next revision. The number queued.
     */
    public int remap(List<?> ids, OffsetDateTime now) {
        int queued = 0;
        for (int from = 0; from < ids.size(); from += 1000) { // databases bound the parameters per statement
            queued += named.update("""
                    UPDATE inbound_event SET revision = CASE WHEN status = 'NORMALISED' THEN revision + 1 ELSE revision END,
                           status = 'RECEIVED', attempts = 0, next_attempt_at = NULL, last_error = NULL,
                           claimed_until = NULL, claimed_by = NULL
                    WHERE id IN (:ids) AND status IN ('NORMALISED', 'FAILED') AND body_purged_at IS NULL
                    AND (claimed_until IS NULL OR claimed_until < :now)""",
                    Map.of("ids", ids.subList(from, Math.min(from + 1000, ids.size())), "now", now));
        }
        return queued;
    }

    /** Replaces the fetched resources of a webhook with the same resources sealed under another key. */
    public void resealFetched(long id, PayloadCipher.Stored fetched) {
        named.update("UPDATE inbound_event SET fetched = :fetched, fetched_key_id = :newest WHERE id = :id",
                Map.of("fetched", fetched.body(), "newest", fetched.keyId(), "id", id));
    }

    /**
     * Replaces a webhook's raw payload with the same payload sealed under another key, unless it was purged or
     * resealed since it was read under {@code readUnderKey} (null: not encrypted). 1 if it was replaced, else 0.
     */
    public int resealBody(long id, PayloadCipher.Stored body, String readUnderKey) {
        Map<String, Object> parameters = new HashMap<>(); // the key read may be null
        parameters.put("id", id);
        parameters.put("body", body.body());
        parameters.put("newest", body.keyId());
        parameters.put("old", readUnderKey);
        return named.update("UPDATE inbound_event SET body = :body, payload_key_id = :newest"
                + " WHERE id = :id AND body_purged_at IS NULL AND "
                + (readUnderKey == null ? "payload_key_id IS NULL" : "payload_key_id = :old"), parameters);
    }

    /** Deletes stored webhooks, for an erasure whose canonical events are already gone; the number deleted. */
    public int forget(Collection<Long> ids) {
        return ids.isEmpty() ? 0 : named.update("DELETE FROM inbound_event WHERE id IN (:ids)", Map.of("ids", ids));
    }
}
