package io.labhooks.normalise;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

import io.labhooks.config.LabhooksProperties;
import io.labhooks.dedupe.EventIds;
import io.labhooks.event.EventExchange;
import io.labhooks.payload.PayloadCipher;
import io.labhooks.payload.PayloadUnreadableException;
import io.labhooks.queue.LeasedClaims;
import io.labhooks.queue.LeasedClaims.Claim;

/**
 * Stored webhooks waiting to be normalised, claimed in batches with a lease ({@link LeasedClaims}). A failing
 * event is retried a few times, then kept as FAILED with its error. An event remapped by an operator comes back
 * as a new revision, with an event id of its own that names the one it supersedes.
 */
@Component("inboundEventQueue")
public class InboundEventQueue {

    private static final Logger LOG = LoggerFactory.getLogger(InboundEventQueue.class);
    public static final String INBOUND_EVENT_ID = "inboundEventId";
    public static final String CLAIM = "inboundClaim";
    public static final String CLAIM_HELD = "claimHeld";
    public static final String ATTEMPT = "attempt";
    public static final String REVISION = "revision";
    public static final String SUPERSEDED_EVENT_ID = "supersededEventId";
    /** The resources fetched for the event (JSON text of name -> resource), or absent when none were. */
    public static final String FETCHED = "fetched";
    /** ENRICHED or WEBHOOK_ONLY when the event waited for a fetch, absent otherwise; FETCH_NOTE says what is missing. */
    public static final String FETCH_OUTCOME = "fetchOutcome";
    public static final String FETCH_NOTE = "fetchNote";
    /** For a snapshot polled from the provider's API: the polled resource's name (its mapping sees it as $poll). */
    public static final String POLLED_RESOURCE = "polledResource";
    /** ... and the id it was polled by (its mapping sees it as $polledId): a snapshot may not carry it itself. */
    public static final String POLLED_ID = "polledId";

    private final JdbcTemplate jdbc;
    private final LeasedClaims claims;
    private final Clock clock;
    private final LabhooksProperties.Pipeline settings;
    private final PayloadCipher payloads;

    public InboundEventQueue(JdbcTemplate jdbc, LeasedClaims claims, Clock clock, LabhooksProperties properties,
                             PayloadCipher payloads) {
        this.jdbc = jdbc;
        this.claims = claims;
        this.clock = clock;
        this.settings = properties.pipeline();
        this.payloads = payloads;
    }

    /** A stored body as read, what was fetched for it, and the dedupe key their encryption is bound to. */
    private record StoredBody(byte[] body, byte[] fetched, String dedupeKey) {
    }

    /** The claimed events, oldest first. */
    public List<Claim> claim() {
        return claims.claim("inbound_event", "status = 'RECEIVED' AND (next_attempt_at IS NULL OR next_attempt_at <= :now)",
                Map.of(), "id");
    }

    /**
     * Starts the attempt if the claim still holds ({@link #CLAIM_HELD}); then the raw body, decrypted, is the
     * message and what the ingest route recorded is in exchange properties. A body this box cannot decrypt (its key
     * is not configured, or is another key under the same id) is kept as FAILED at once with the reason: keys are
     * read at startup, so retrying here cannot succeed. Once the key is back, a remap maps it.
     */
    public void load(Exchange exchange) {
        Claim claim = exchange.getIn().getBody(Claim.class);
        long id = claim.id();
        exchange.setProperty(CLAIM, claim);
        exchange.setProperty(INBOUND_EVENT_ID, id);
        OptionalInt attempt = claims.start("inbound_event", claim);
        exchange.setProperty(CLAIM_HELD, attempt.isPresent());
        if (attempt.isEmpty()) {
            return;
        }
        exchange.setProperty(ATTEMPT, attempt.getAsInt());
        if (attempt.getAsInt() > settings.normaliseMaxAttempts()) {
            // Every attempt so far ended without an outcome (the box stopped during each): keep it as FAILED.
            exchange.setProperty(CLAIM_HELD, false);
            claims.finish("inbound_event", claim, "status = 'FAILED', last_error = :error",
                    Map.of("error", LeasedClaims.NO_OUTCOME));
            LOG.error("Inbound event {} kept as FAILED: {}", id, LeasedClaims.NO_OUTCOME);
            return;
        }
        byte[] body;
        try {
            body = read(id, exchange);
        } catch (PayloadUnreadableException unreadable) {
            exchange.setProperty(CLAIM_HELD, false);
            String error = unreadable.getClass().getSimpleName() + ": " + unreadable.getMessage();
            claims.finish("inbound_event", claim, "status = 'FAILED', next_attempt_at = NULL, last_error = :error",
                    Map.of("error", error));
            LOG.error("Inbound event {} kept as FAILED: {}", id, error);
            return;
        }
        exchange.getMessage().removeHeaders("*");
        exchange.getMessage().setBody(body);
    }

    /**
     * Sets on the exchange what the ingest route recorded for the stored webhook (provider, mapping, event id of its
     * current revision...), and returns its raw body, decrypted. Reads only: the normaliser through {@link #load},
     * the console's mapping preview directly. Not for a webhook whose body was purged.
     */
    public byte[] read(long id, Exchange exchange) throws PayloadUnreadableException {
        StoredBody stored = jdbc.queryForObject("""
                SELECT provider, dedupe_key, event_id, revision, provider_event_id, provider_event_type, mapping, body,
                       received_at, fetched, fetch_outcome, fetch_note, source
                FROM inbound_event WHERE id = ?""", (rs, row) -> {
            String firstEventId = rs.getString("event_id");
            int revision = rs.getInt("revision");
            exchange.setProperty(EventExchange.PROVIDER, rs.getString("provider"));
            exchange.setProperty(EventExchange.EVENT_ID, EventIds.revision(firstEventId, revision));
            exchange.setProperty(REVISION, revision);
            if (revision > 1) {
                exchange.setProperty(SUPERSEDED_EVENT_ID, EventIds.revision(firstEventId, revision - 1));
            }
            exchange.setProperty(EventExchange.PROVIDER_EVENT_ID, rs.getString("provider_event_id"));
            exchange.setProperty(EventExchange.PROVIDER_EVENT_TYPE, rs.getString("provider_event_type"));
            exchange.setProperty(EventExchange.MAPPING, rs.getString("mapping"));
            exchange.setProperty(EventExchange.RECEIVED_AT, rs.getObject("received_at", OffsetDateTime.class));
            exchange.setProperty(FETCH_OUTCOME, rs.getString("fetch_outcome"));
            exchange.setProperty(FETCH_NOTE, rs.getString("fetch_note"));
            if ("poll".equals(rs.getString("source"))) {
                exchange.setProperty(POLLED_RESOURCE, rs.getString("provider_event_type").substring("poll.".length()));
                exchange.setProperty(POLLED_ID, rs.getString("provider_event_id"));
            }
            return new StoredBody(rs.getBytes("body"), rs.getBytes("fetched"), rs.getString("dedupe_key"));
        }, id);
        if (stored.fetched() != null) {
            exchange.setProperty(FETCHED, new String(payloads.open(stored.fetched(), PayloadCipher.fetchedBinding(stored.dedupeKey())),
                    StandardCharsets.UTF_8));
        }
        return payloads.open(stored.body(), stored.dedupeKey());
    }

    /**
     * Part of the transaction that records the canonical event. A worker whose claim ran out must not record it:
     * the failure rolls that transaction back and the worker now holding the claim records it instead.
     */
    public void markNormalised(Exchange exchange) {
        boolean held = claims.finish("inbound_event", exchange.getProperty(CLAIM, Claim.class),
                "status = 'NORMALISED', normalised_at = :now, next_attempt_at = NULL, last_error = NULL",
                Map.of("now", OffsetDateTime.now(clock)));
        if (!held) {
            throw new IllegalStateException("the claim on inbound event " + exchange.getProperty(INBOUND_EVENT_ID)
                    + " ran out before it was normalised");
        }
    }

    public void markFailed(Exchange exchange) {
        Throwable failure = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String error = failure == null ? "unknown error" : failure.getClass().getSimpleName() + ": " + failure.getMessage();
        error = error.length() > 2000 ? error.substring(0, 2000) : error;
        int attempts = exchange.getProperty(ATTEMPT, Integer.class);
        long id = exchange.getProperty(INBOUND_EVENT_ID, Long.class);
        boolean exhausted = attempts >= settings.normaliseMaxAttempts();
        OffsetDateTime retryAt = OffsetDateTime.now(clock).plusSeconds(10L * attempts);
        Map<String, Object> update = new HashMap<>(); // Map.of takes no null, and FAILED has no next attempt
        update.put("status", exhausted ? "FAILED" : "RECEIVED");
        update.put("retryAt", exhausted ? null : retryAt);
        update.put("error", error);
        claims.finish("inbound_event", exchange.getProperty(CLAIM, Claim.class),
                "status = :status, next_attempt_at = :retryAt, last_error = :error", update);
        if (exhausted) {
            LOG.error("Inbound event {} ({} {}) could not be normalised after {} attempts; kept as FAILED: {}", id,
                    exchange.getProperty(EventExchange.PROVIDER), exchange.getProperty(EventExchange.PROVIDER_EVENT_TYPE),
                    attempts, error);
        } else {
            LOG.warn("Inbound event {} could not be normalised (attempt {}), will retry: {}", id, attempts, error);
        }
    }
}
