package io.labhooks.normalise;

import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.EmptyResultDataAccessException;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
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

    private final NamedParameterJdbcTemplate jdbc;
    private final LeasedClaims claims;
    private final Clock clock;
    private final LabhooksProperties.Pipeline settings;
    private final PayloadCipher payloads;

    public InboundEventQueue(NamedParameterJdbcTemplate jdbc, LeasedClaims claims, Clock clock, LabhooksProperties properties,
                             PayloadCipher payloads) {
        this.jdbc = jdbc;
        this.claims = claims;
        this.clock = clock;
        this.settings = properties.pipeline();
        this.payloads = payloads;
    }

    /** A stored webhook as read for normalising: what the ingest route recorded, its body still sealed. */
    public record StoredEvent(Claim claim, int attempt, long id, String provider, String dedupeKey, String eventId,
                              int revision, String providerEventId, String providerEventType, String mapping, byte[] body,
                              OffsetDateTime receivedAt, byte[] fetched, String fetchOutcome, String fetchNote, String source) {
    }

    private static final String SELECT_STORED = """
            SELECT id, provider, dedupe_key, event_id, revision, provider_event_id, provider_event_type, mapping, body,
                   received_at, fetched, fetch_outcome, fetch_note, source
            FROM inbound_event WHERE id IN (:ids)""";

    /** A stored webhook the normaliser may claim: waiting, and due if it failed before; claimed in CLAIM_ORDER. */
    public static final String CLAIMABLE = "status = 'RECEIVED' AND (next_attempt_at IS NULL OR next_attempt_at <= :now)";
    /** Oldest first: ix_inbound_event_status's columns (H2 reads an index as sorted only for its leading columns). */
    public static final String CLAIM_ORDER = "status, id";

    /** The claimed events, oldest first, their attempts started (one commit for the claim and the start). */
    public List<LeasedClaims.Started> claim() {
        return claims.claimStarted("inbound_event", CLAIMABLE, Map.of(), CLAIM_ORDER, settings.batchSize());
    }

    /**
     * Reads the stored webhooks of a claimed batch, in one statement, in the batch's order. An event whose attempts
     * all ended without an outcome (the box stopped during each) is kept as FAILED instead.
     */
    public List<StoredEvent> begin(List<LeasedClaims.Started> batch) {
        Map<Long, LeasedClaims.Started> started = new LinkedHashMap<>(); // in the batch's order
        for (LeasedClaims.Started claimed : batch) {
            if (claimed.attempt() > settings.normaliseMaxAttempts()) {
                claims.finish("inbound_event", claimed.claim(), "status = 'FAILED', last_error = :error",
                        Map.of("error", LeasedClaims.NO_OUTCOME));
                LOG.error("Inbound event {} kept as FAILED: {}", claimed.claim().id(), LeasedClaims.NO_OUTCOME);
            } else {
                started.put(claimed.claim().id(), claimed);
            }
        }
        if (started.isEmpty()) {
            return List.of();
        }
        Map<Long, StoredEvent> stored = new HashMap<>();
        jdbc.query(SELECT_STORED, Map.of("ids", started.keySet()), rs -> {
            LeasedClaims.Started claimed = started.get(rs.getLong("id"));
            stored.put(claimed.claim().id(), stored(rs, claimed.claim(), claimed.attempt()));
        });
        return started.keySet().stream().map(stored::get).filter(Objects::nonNull).toList();
    }

    private static StoredEvent stored(ResultSet rs, Claim claim, int attempt) throws SQLException {
        return new StoredEvent(claim, attempt, rs.getLong("id"), rs.getString("provider"), rs.getString("dedupe_key"),
                rs.getString("event_id"), rs.getInt("revision"), rs.getString("provider_event_id"),
                rs.getString("provider_event_type"), rs.getString("mapping"), rs.getBytes("body"),
                rs.getObject("received_at", OffsetDateTime.class), rs.getBytes("fetched"), rs.getString("fetch_outcome"),
                rs.getString("fetch_note"), rs.getString("source"));
    }

    /**
     * One event of a begun batch ({@link StoredEvent} as the body) becomes the message: its raw body, decrypted, with
     * what the ingest route recorded in exchange properties ({@link #CLAIM_HELD} true). A body this box cannot decrypt
     * (its key is not configured, or is another key under the same id) is kept as FAILED at once with the reason:
     * keys are read at startup, so retrying here cannot succeed. Once the key is back, a remap maps it.
     */
    public void open(Exchange exchange) {
        StoredEvent event = exchange.getIn().getBody(StoredEvent.class);
        exchange.setProperty(CLAIM, event.claim());
        exchange.setProperty(INBOUND_EVENT_ID, event.id());
        exchange.setProperty(ATTEMPT, event.attempt());
        byte[] body;
        try {
            body = open(event, exchange);
        } catch (PayloadUnreadableException unreadable) {
            exchange.setProperty(CLAIM_HELD, false);
            String error = unreadable.getClass().getSimpleName() + ": " + unreadable.getMessage();
            claims.finish("inbound_event", event.claim(), "status = 'FAILED', next_attempt_at = NULL, last_error = :error",
                    Map.of("error", error));
            LOG.error("Inbound event {} kept as FAILED: {}", event.id(), error);
            return;
        }
        exchange.setProperty(CLAIM_HELD, true);
        exchange.getMessage().removeHeaders("*");
        exchange.getMessage().setBody(body);
    }

    /**
     * Sets on the exchange what the ingest route recorded for the stored webhook (provider, mapping, event id of its
     * current revision...), and returns its raw body, decrypted. Reads only, for the console's mapping preview. Not
     * for a webhook whose body was purged.
     */
    public byte[] read(long id, Exchange exchange) throws PayloadUnreadableException {
        List<StoredEvent> found = jdbc.query(SELECT_STORED, Map.of("ids", List.of(id)), (rs, row) -> stored(rs, null, 0));
        if (found.isEmpty()) {
            throw new EmptyResultDataAccessException("no inbound event " + id, 1);
        }
        return open(found.get(0), exchange);
    }

    private byte[] open(StoredEvent stored, Exchange exchange) throws PayloadUnreadableException {
        exchange.setProperty(EventExchange.PROVIDER, stored.provider());
        exchange.setProperty(EventExchange.EVENT_ID, EventIds.revision(stored.eventId(), stored.revision()));
        exchange.setProperty(REVISION, stored.revision());
        if (stored.revision() > 1) {
            exchange.setProperty(SUPERSEDED_EVENT_ID, EventIds.revision(stored.eventId(), stored.revision() - 1));
        }
        exchange.setProperty(EventExchange.PROVIDER_EVENT_ID, stored.providerEventId());
        exchange.setProperty(EventExchange.PROVIDER_EVENT_TYPE, stored.providerEventType());
        exchange.setProperty(EventExchange.MAPPING, stored.mapping());
        exchange.setProperty(EventExchange.RECEIVED_AT, stored.receivedAt());
        exchange.setProperty(FETCH_OUTCOME, stored.fetchOutcome());
        exchange.setProperty(FETCH_NOTE, stored.fetchNote());
        if ("poll".equals(stored.source())) {
            exchange.setProperty(POLLED_RESOURCE, stored.providerEventType().substring("poll.".length()));
            exchange.setProperty(POLLED_ID, stored.providerEventId());
        }
        if (stored.fetched() != null) {
            exchange.setProperty(FETCHED, new String(payloads.open(stored.fetched(), PayloadCipher.fetchedBinding(stored.dedupeKey())),
                    StandardCharsets.UTF_8));
        }
        return payloads.open(stored.body(), stored.dedupeKey());
    }

    /**
     * Part of the transaction that records the batch's canonical events. A worker whose claim ran out must not
     * record them: the failure rolls that transaction back and the worker now holding the claim records it instead.
     */
    public void markNormalised(List<Exchange> exchanges) {
        List<Claim> batch = exchanges.stream().map(exchange -> exchange.getProperty(CLAIM, Claim.class)).toList();
        Map<String, Object> set = Map.of("now", OffsetDateTime.now(clock));
        boolean[] held = claims.finish("inbound_event",
                "status = 'NORMALISED', normalised_at = :now, next_attempt_at = NULL, last_error = NULL", batch,
                Collections.nCopies(batch.size(), set));
        for (int i = 0; i < held.length; i++) {
            if (!held[i]) {
                throw new IllegalStateException("the claim on inbound event " + batch.get(i).id() + " ran out before it was normalised");
            }
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
