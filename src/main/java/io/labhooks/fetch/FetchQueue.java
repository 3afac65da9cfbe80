package io.labhooks.fetch;

import java.io.IOException;
import java.sql.Types;
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
import org.springframework.jdbc.core.SqlParameterValue;
import org.springframework.stereotype.Component;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.labhooks.payload.PayloadCipher;
import io.labhooks.payload.PayloadUnreadableException;
import io.labhooks.queue.LeasedClaims;
import io.labhooks.queue.LeasedClaims.Claim;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The fetch stage's work queue: stored webhooks in status FETCHING, claimed with a lease like every stage's work
 * ({@link LeasedClaims}), so several boxes share it and a box that dies mid-fetch loses nothing. Each attempt's
 * answers are written with the event in one update: what was fetched (encrypted like the raw body, bound to the same
 * row), and either the next attempt's time or the way on: RECEIVED for the normaliser (ENRICHED, or WEBHOOK_ONLY once
 * the budget is spent) or REJECTED. An event whose provider API is no longer configured goes on from its webhook.
 */
@Component("fetchQueue")
public class FetchQueue {

    private static final Logger LOG = LoggerFactory.getLogger(FetchQueue.class);
    static final String TABLE = "inbound_event";

    private final JdbcTemplate jdbc;
    private final LeasedClaims claims;
    private final ProviderApis apis;
    private final ResourceFetcher fetcher;
    private final PayloadCipher payloads;
    private final ObjectMapper json;
    private final Clock clock;
    private final MeterRegistry metrics;

    public FetchQueue(JdbcTemplate jdbc, LeasedClaims claims, ProviderApis apis, ResourceFetcher fetcher,
                      PayloadCipher payloads, ObjectMapper json, Clock clock, MeterRegistry metrics) {
        this.jdbc = jdbc;
        this.claims = claims;
        this.apis = apis;
        this.fetcher = fetcher;
        this.payloads = payloads;
        this.json = json;
        this.clock = clock;
        this.metrics = metrics;
    }

    private record Waiting(String provider, String eventType, String dedupeKey, byte[] body, byte[] fetched,
                           OffsetDateTime receivedAt) {
    }

    /** An event the provider's fetcher may claim: waiting for a fetch that is due; claimed in CLAIM_ORDER. */
    public static final String CLAIMABLE = "status = 'FETCHING' AND provider = :provider"
            + " AND (next_attempt_at IS NULL OR next_attempt_at <= :now)";
    /** Oldest first: ix_inbound_event_status's columns (H2 reads an index as sorted only for its leading columns). */
    public static final String CLAIM_ORDER = "status, id";

    /** The provider's events waiting for a fetch that is due, oldest first. */
    public List<Claim> claim(String provider) {
        return claims.claim(TABLE, CLAIMABLE, Map.of("provider", provider), CLAIM_ORDER);
    }

    /**
     * An attempt that failed in the box itself (not in an answer of the API): asked again later, like a failed call,
     * so it still goes on from its webhook once the budget is spent.
     */
    public void markFailed(Exchange exchange) {
        Claim claim = exchange.getIn().getBody(Claim.class);
        Throwable failure = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String why = failure == null ? "unknown error" : failure.getClass().getSimpleName() + ": " + failure.getMessage();
        LOG.error("Fetch for inbound event {} failed in the box, will retry: {}", claim.id(), why);
        Map<String, Object> set = new HashMap<>();
        set.put("at", OffsetDateTime.now(clock).plusMinutes(1));
        set.put("note", clip(why));
        claims.finish(TABLE, claim, "next_attempt_at = :at, fetch_note = :note", set);
    }

    /** One attempt for one claimed event (the message body is its {@link Claim}). */
    public void fetch(Exchange exchange) throws IOException {
        Claim claim = exchange.getIn().getBody(Claim.class);
        OptionalInt attempt = claims.start(TABLE, claim);
        if (attempt.isEmpty()) {
            return; // the lease ran out first: another worker has it now
        }
        Waiting event = jdbc.queryForObject("""
                SELECT provider, provider_event_type, dedupe_key, body, fetched, received_at
                FROM inbound_event WHERE id = ?""", (rs, n) -> new Waiting(rs.getString(1), rs.getString(2),
                rs.getString(3), rs.getBytes(4), rs.getBytes(5), rs.getObject(6, OffsetDateTime.class)), claim.id());
        ProviderApi api = apis.of(event.provider()).orElse(null);
        if (api == null) {
            goOn(claim, attempt.getAsInt(), "WEBHOOK_ONLY", null, event,
                    "the " + event.provider() + " API is no longer configured on this box");
            return;
        }
        JsonNode webhook;
        ObjectNode fetched;
        try {
            webhook = json.readTree(payloads.open(event.body(), event.dedupeKey()));
            fetched = event.fetched() == null ? json.createObjectNode()
                    : (ObjectNode) json.readTree(payloads.open(event.fetched(), PayloadCipher.fetchedBinding(event.dedupeKey())));
        } catch (PayloadUnreadableException unreadable) {
            // Keys are read at startup: another attempt cannot decrypt it either. The normaliser keeps it as FAILED.
            goOn(claim, attempt.getAsInt(), "WEBHOOK_ONLY", null, event, unreadable.getMessage());
            return;
        }
        OffsetDateTime now = OffsetDateTime.now(clock);
        ResourceFetcher.Outcome outcome = fetcher.fetch(api, event.eventType(), webhook, fetched, attempt.getAsInt(),
                event.receivedAt(), now);
        int attempts = attempt.getAsInt();
        if (outcome instanceof ResourceFetcher.Outcome.Enriched enriched) {
            goOn(claim, attempts, "ENRICHED", enriched.fetched(), event, null);
        } else if (outcome instanceof ResourceFetcher.Outcome.WebhookOnly webhookOnly) {
            LOG.warn("Inbound event {} ({} {}) goes on from its webhook alone: {}", claim.id(), event.provider(),
                    event.eventType(), webhookOnly.why());
            goOn(claim, attempts, "WEBHOOK_ONLY", webhookOnly.fetched(), event, webhookOnly.why());
        } else if (outcome instanceof ResourceFetcher.Outcome.Rejected rejected) {
            Map<String, Object> set = sealed(rejected.fetched(), event);
            set.put("note", clip(rejected.why()));
            set.put("attempts", attempts);
            claims.finish(TABLE, claim, "status = 'REJECTED', fetch_outcome = 'REJECTED', fetch_note = :note,"
                    + " last_error = :note, next_attempt_at = NULL, fetched = :fetched, fetched_key_id = :keyId,"
                    + " fetch_attempts = :attempts, attempts = 0", set);
            metrics.counter("labhooks.fetch.rejected", "provider", event.provider()).increment();
            LOG.warn("Inbound event {} ({} {}) rejected, never to be delivered: {}", claim.id(), event.provider(),
                    event.eventType(), rejected.why());
        } else if (outcome instanceof ResourceFetcher.Outcome.Retry retry) {
            Map<String, Object> set = sealed(retry.fetched(), event);
            set.put("at", retry.at());
            set.put("note", clip(retry.why()));
            claims.finish(TABLE, claim, "next_attempt_at = :at, fetch_note = :note, fetched = :fetched,"
                    + " fetched_key_id = :keyId", set);
        }
    }

    /**
     * On to the normaliser as RECEIVED, with a fresh attempt count for normalising. {@code fetched} null: what is
     * stored stays as it is.
     */
    private void goOn(Claim claim, int attempts, String outcome, ObjectNode fetched, Waiting event, String note) {
        Map<String, Object> set = fetched == null ? new HashMap<>() : sealed(fetched, event);
        set.put("outcome", outcome);
        set.put("note", note == null ? null : clip(note));
        set.put("attempts", attempts);
        String storeFetched = fetched == null ? "" : " fetched = :fetched, fetched_key_id = :keyId,";
        claims.finish(TABLE, claim, "status = 'RECEIVED', fetch_outcome = :outcome, fetch_note = :note," + storeFetched
                + " next_attempt_at = NULL, fetch_attempts = :attempts, attempts = 0", set);
        metrics.counter("labhooks.fetch.events", "provider", event.provider(), "outcome", outcome).increment();
    }

    /** The fetched JSON as the row stores it (NULL when nothing was fetched), under the newest payload key. */
    private Map<String, Object> sealed(ObjectNode fetched, Waiting event) {
        Map<String, Object> set = new HashMap<>(); // Map.of takes no null
        if (fetched.isEmpty()) {
            set.put("fetched", new SqlParameterValue(Types.BINARY, null));
            set.put("keyId", null);
            return set;
        }
        PayloadCipher.Stored stored;
        try {
            stored = payloads.seal(json.writeValueAsBytes(fetched), PayloadCipher.fetchedBinding(event.dedupeKey()));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        set.put("fetched", new SqlParameterValue(Types.BINARY, stored.body()));
        set.put("keyId", stored.keyId());
        return set;
    }

    private static String clip(String text) {
        return text.length() > 1000 ? text.substring(0, 1000) : text;
    }
}
