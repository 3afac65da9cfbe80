package io.labhooks.admin;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;

import io.labhooks.orderstate.OrderLinks;
import io.labhooks.payload.PayloadCipher;
import io.labhooks.payload.PayloadUnreadableException;

/**
 * What an operator can look up: stored webhooks, canonical events with their timeline, orders with their
 * history, and deliveries. Read-only; a raw payload is decrypted, redacted unless asked for, and that read is
 * audited by the caller.
 */
@Component
public class EventQueries {

    private static final String INBOUND_COLUMNS = """
            id, provider, provider_event_type, provider_event_id, event_id, revision, status, attempts, received_at,
            normalised_at, next_attempt_at, last_error, body_purged_at, payload_key_id, fetch_outcome, fetch_note,
            fetch_attempts""";
    private static final String CANONICAL_COLUMNS = """
            seq, event_id, inbound_event_id, provider, type, provider_event_type, order_key, order_status,
            out_of_order, occurred_at, received_at, recorded_at""";

    private final NamedParameterJdbcTemplate jdbc;
    private final ObjectMapper json;
    private final RawPayloadRedaction redaction;
    private final PayloadCipher payloads;
    private final OrderLinks links;

    public EventQueries(NamedParameterJdbcTemplate jdbc, ObjectMapper json, RawPayloadRedaction redaction,
                        PayloadCipher payloads, OrderLinks links) {
        this.jdbc = jdbc;
        this.json = json;
        this.redaction = redaction;
        this.payloads = payloads;
        this.links = links;
    }

    /** Newest first. Type is the provider's event type; order matches the canonical events' order key. */
    public List<Map<String, Object>> inboundEvents(EventFilter filter) {
        EventFilter.Where where = filter.where("provider", "provider_event_type", EventFilter.INBOUND_EVENT_OF_ORDER,
                "status", "received_at");
        return Rows.shown(jdbc.queryForList("SELECT " + INBOUND_COLUMNS + " FROM inbound_event WHERE " + where.sql()
                + " ORDER BY id DESC FETCH FIRST :limit ROWS ONLY", where.parameters));
    }

    /**
     * One stored webhook with its payload (redacted unless {@code raw}) and the canonical events made from it. A
     * payload this box cannot decrypt is shown as null, with the reason in payloadError.
     */
    public Map<String, Object> inboundEvent(long id, boolean raw) {
        List<Map<String, Object>> rows = jdbc.queryForList("SELECT " + INBOUND_COLUMNS + ", body, dedupe_key FROM inbound_event"
                + " WHERE id = :id", Map.of("id", id));
        if (rows.isEmpty()) {
            throw new AdminRequestException(404, "no inbound event " + id);
        }
        Map<String, Object> row = rows.get(0); // Spring's rows match column names in any case (H2 upper, PostgreSQL lower)
        byte[] body = (byte[]) row.remove("body");
        String dedupeKey = (String) row.remove("dedupe_key");
        Map<String, Object> shown = Rows.shown(row);
        try {
            shown.put("payload", shown.get("bodyPurgedAt") != null ? null : payload(payloads.open(body, dedupeKey), raw));
        } catch (PayloadUnreadableException unreadable) {
            shown.put("payload", null);
            shown.put("payloadError", unreadable.getMessage());
        }
        shown.put("canonicalEvents", jdbc.queryForList("SELECT event_id FROM canonical_event WHERE inbound_event_id = :id ORDER BY seq",
                Map.of("id", id), String.class));
        return shown;
    }

    /** Newest first. Type is the canonical type; status the order status after the event. */
    public List<Map<String, Object>> canonicalEvents(EventFilter filter) {
        EventFilter.Where where = filter.where("provider", "type", "order_key", "order_status", "received_at");
        return Rows.shown(jdbc.queryForList("SELECT " + CANONICAL_COLUMNS + " FROM canonical_event WHERE " + where.sql()
                + " ORDER BY seq DESC FETCH FIRST :limit ROWS ONLY", where.parameters));
    }

    /** The canonical event, its deliveries and its timeline: received, mapped, each delivery attempt. */
    public Map<String, Object> canonicalEvent(String eventId) {
        List<Map<String, Object>> rows = jdbc.queryForList("SELECT " + CANONICAL_COLUMNS + ", payload FROM canonical_event"
                + " WHERE event_id = :eventId", Map.of("eventId", eventId));
        if (rows.isEmpty()) {
            throw new AdminRequestException(404, "no canonical event " + eventId);
        }
        Map<String, Object> row = Rows.shown(rows.get(0));
        Object payload = row.remove("payload");
        Map<String, Object> inbound = Rows.shown(jdbc.queryForMap(
                "SELECT id, received_at, provider_event_id FROM inbound_event WHERE id = :id", Map.of("id", row.get("inboundEventId"))));
        List<Map<String, Object>> deliveries = Rows.shown(jdbc.queryForList("""
                SELECT id, sink, status, attempts, next_attempt_at, delivered_at, last_error FROM delivery
                WHERE canonical_event_seq = :seq ORDER BY id""", Map.of("seq", row.get("seq"))));
        List<Map<String, Object>> attempts = Rows.shown(jdbc.queryForList("""
                SELECT d.sink, a.attempt, a.started_at, a.finished_at, a.outcome, a.error FROM delivery_attempt a
                JOIN delivery d ON d.id = a.delivery_id WHERE d.canonical_event_seq = :seq ORDER BY a.id""",
                Map.of("seq", row.get("seq"))));

        List<Map<String, Object>> timeline = new ArrayList<>();
        timeline.add(step(inbound.get("receivedAt"), "received",
                "signature verified, stored as inbound event " + inbound.get("id") + " and acknowledged"));
        timeline.add(step(row.get("recordedAt"), "mapped", "canonical event " + eventId + " recorded"
                + (Boolean.TRUE.equals(row.get("outOfOrder")) ? " (out of order)" : "")));
        for (Map<String, Object> attempt : attempts) {
            Map<String, Object> step = step(attempt.get("finishedAt"), "delivery attempt",
                    "to " + attempt.get("sink") + ", attempt " + attempt.get("attempt") + ": " + attempt.get("outcome"));
            step.put("sink", attempt.get("sink"));
            step.put("attempt", attempt.get("attempt"));
            step.put("startedAt", attempt.get("startedAt"));
            step.put("outcome", attempt.get("outcome"));
            step.put("error", attempt.get("error"));
            timeline.add(step);
        }
        timeline.sort(Comparator.comparing(s -> s.get("at") == null ? Instant.MAX : Instant.parse((String) s.get("at"))));

        Map<String, Object> shown = new LinkedHashMap<>(row);
        shown.put("event", parse((String) payload));
        shown.put("deliveries", deliveries);
        shown.put("timeline", timeline);
        return shown;
    }

    /** The order's state and every canonical event of it, oldest first. */
    public Map<String, Object> order(String orderKey) {
        List<Map<String, Object>> state = Rows.shown(jdbc.queryForList("""
                SELECT order_key, provider, provider_order_id, external_order_id, status, status_occurred_at,
                       last_event_id, updated_at FROM order_state WHERE order_key = :key""", Map.of("key", orderKey)));
        List<Map<String, Object>> history = Rows.shown(jdbc.queryForList("SELECT " + CANONICAL_COLUMNS
                + " FROM canonical_event WHERE order_key = :key ORDER BY seq", Map.of("key", orderKey)));
        if (state.isEmpty() && history.isEmpty()) {
            throw new AdminRequestException(404, "no order " + orderKey);
        }
        Map<String, Object> order = new LinkedHashMap<>();
        order.put("orderKey", orderKey);
        order.put("state", state.isEmpty() ? null : state.get(0));
        order.put("history", history);
        return order;
    }

    /** Deliveries in a status (DEAD: the dead letters), oldest first, optionally to one sink. */
    public List<Map<String, Object>> deliveries(String status, String sink, int limit) {
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("status", status);
        parameters.put("sink", sink);
        parameters.put("limit", limit);
        return Rows.shown(jdbc.queryForList("""
                SELECT d.id, d.sink, d.status, d.attempts, d.next_attempt_at, d.delivered_at, d.last_error,
                       c.event_id, c.provider, c.type, c.order_key
                FROM delivery d JOIN canonical_event c ON c.seq = d.canonical_event_seq
                WHERE d.status = :status AND (CAST(:sink AS VARCHAR(64)) IS NULL OR d.sink = :sink)
                ORDER BY d.id FETCH FIRST :limit ROWS ONLY""", parameters));
    }

    /** A page of {@link #inboundEvents(EventFilter)}: only rows older than id {@code olderThan} (keyset paging). */
    public List<Map<String, Object>> inboundEvents(EventFilter filter, Long olderThan) {
        EventFilter.Where where = filter.where("provider", "provider_event_type", EventFilter.INBOUND_EVENT_OF_ORDER,
                "status", "received_at");
        where.parameters.put("olderThan", olderThan == null ? Long.MAX_VALUE : olderThan);
        return Rows.shown(jdbc.queryForList("SELECT " + INBOUND_COLUMNS + " FROM inbound_event WHERE " + where.sql()
                + " AND id < :olderThan ORDER BY id DESC FETCH FIRST :limit ROWS ONLY", where.parameters));
    }

    /** A page of {@link #canonicalEvents(EventFilter)}: only events older than seq {@code olderThan} (keyset paging). */
    public List<Map<String, Object>> canonicalEvents(EventFilter filter, Long olderThan) {
        EventFilter.Where where = filter.where("provider", "type", "order_key", "order_status", "received_at");
        where.parameters.put("olderThan", olderThan == null ? Long.MAX_VALUE : olderThan);
        return Rows.shown(jdbc.queryForList("SELECT " + CANONICAL_COLUMNS + " FROM canonical_event WHERE " + where.sql()
                + " AND seq < :olderThan ORDER BY seq DESC FETCH FIRST :limit ROWS ONLY", where.parameters));
    }

    /**
     * The orders a search names: an order key, the clinic's externalOrderId, a provider's order id, any other id
     * linked to an order (a test registration, kit, appointment, ...), or the provider event id of one of its
     * webhooks. Several when one externalOrderId spans providers.
     */
    public List<String> orderKeysMatching(String search) {
        TreeSet<String> keys = new TreeSet<>(jdbc.queryForList("""
                SELECT order_key FROM order_state WHERE order_key = :s OR external_order_id = :s OR provider_order_id = :s
                UNION
                SELECT c.order_key FROM canonical_event c JOIN inbound_event i ON i.id = c.inbound_event_id
                WHERE i.provider_event_id = :s AND c.order_key IS NOT NULL
                UNION
                SELECT order_key FROM canonical_event WHERE order_key = :s
                ORDER BY 1 FETCH FIRST 20 ROWS ONLY""", Map.of("s", search), String.class));
        keys.addAll(links.orderKeysNamedBy(search));
        return keys.stream().limit(20).toList();
    }

    /**
     * Per provider: webhooks stored since {@code since}, those whose mapping FAILED, and when the last one was
     * received. Three indexed queries rather than one scan of every stored webhook.
     */
    public Map<String, Map<String, Object>> providerActivity(java.time.OffsetDateTime since) {
        Map<String, Map<String, Object>> providers = new java.util.TreeMap<>();
        jdbc.query("SELECT provider, MAX(received_at) AS last_received_at FROM inbound_event GROUP BY provider", row -> {
            providers.computeIfAbsent(row.getString("provider"), p -> new LinkedHashMap<>())
                    .put("lastReceivedAt", row.getObject("last_received_at", java.time.OffsetDateTime.class).toInstant());
        });
        jdbc.query("SELECT provider, COUNT(*) AS n FROM inbound_event WHERE received_at >= :since GROUP BY provider",
                Map.of("since", since), row -> {
                    providers.computeIfAbsent(row.getString("provider"), p -> new LinkedHashMap<>()).put("received", row.getLong("n"));
                });
        jdbc.query("SELECT provider, COUNT(*) AS n FROM inbound_event WHERE status = 'FAILED' GROUP BY provider", row -> {
            providers.computeIfAbsent(row.getString("provider"), p -> new LinkedHashMap<>()).put("failed", row.getLong("n"));
        });
        return providers;
    }

    /** Audit rows newest first, older than id {@code olderThan}, optionally by operator (a substring) and action. */
    public List<Map<String, Object>> audit(EventFilter filter, String actor, String action, Long olderThan) {
        EventFilter.Where where = filter.where(null, null, null, null, "at");
        where.parameters.put("olderThan", olderThan == null ? Long.MAX_VALUE : olderThan);
        where.parameters.put("actor", actor == null || actor.isBlank() ? null : "%" + actor.strip() + "%");
        where.parameters.put("action", action == null || action.isBlank() ? null : action.strip());
        return Rows.shown(jdbc.queryForList("SELECT id, at, actor, action, target, detail FROM admin_audit WHERE "
                + where.sql() + " AND id < :olderThan AND (CAST(:actor AS VARCHAR(255)) IS NULL OR actor LIKE :actor)"
                + " AND (CAST(:action AS VARCHAR(64)) IS NULL OR action = :action)"
                + " ORDER BY id DESC FETCH FIRST :limit ROWS ONLY", where.parameters));
    }

    /** Newest first. */
    public List<Map<String, Object>> audit(EventFilter filter) {
        EventFilter.Where where = filter.where(null, null, null, null, "at");
        return Rows.shown(jdbc.queryForList("SELECT id, at, actor, action, target, detail FROM admin_audit WHERE "
                + where.sql() + " ORDER BY id DESC FETCH FIRST :limit ROWS ONLY", where.parameters));
    }

    private Object payload(byte[] body, boolean raw) {
        try {
            var tree = json.readTree(body);
            return raw ? tree : redaction.redact(tree);
        } catch (java.io.IOException notJson) {
            return raw ? new String(body, StandardCharsets.UTF_8) : RawPayloadRedaction.REDACTED;
        }
    }

    private Object parse(String payload) {
        try {
            return json.readTree(payload);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a stored canonical event is not JSON", e);
        }
    }

    private static Map<String, Object> step(Object at, String what, String detail) {
        Map<String, Object> step = new LinkedHashMap<>();
        step.put("at", at);
        step.put("step", what);
        step.put("detail", detail);
        return step;
    }
}
