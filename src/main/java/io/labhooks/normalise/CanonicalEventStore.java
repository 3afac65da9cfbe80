package io.labhooks.normalise;

import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;

import io.labhooks.delivery.DeliveryQueue;

/**
 * Records a batch of canonical events and queues one delivery of each per sink that takes its type ({@link
 * DeliveryQueue#queue}), in the same transaction as the order-state projection and the inbound events' NORMALISED
 * marks: either all of it happens or none of it. Every write to canonical_event is made here (an erasure's too).
 */
@Component("canonicalEventStore")
public class CanonicalEventStore {

    private final JdbcTemplate jdbc;
    private final NamedParameterJdbcTemplate named;
    private final ObjectMapper json;
    private final DeliveryQueue deliveries;
    private final InboundEventQueue inboundEvents;
    private final Clock clock;

    public CanonicalEventStore(JdbcTemplate jdbc, NamedParameterJdbcTemplate named, ObjectMapper json, DeliveryQueue deliveries, InboundEventQueue inboundEvents,
                               Clock clock) {
        this.jdbc = jdbc;
        this.named = named;
        this.json = json;
        this.deliveries = deliveries;
        this.inboundEvents = inboundEvents;
        this.clock = clock;
    }

    /**
     * Records a batch of projected canonical events (the exchanges they were mapped in, the events, and each one's
     * order key) in a few statements: the events in one batch of inserts, read back for their sequence numbers, every
     * delivery of the batch in one statement, and the inbound events' NORMALISED marks in one batch. In the caller's
     * transaction. The events get sequence numbers in the batch's order, which is the order their orders' deliveries
     * go out in.
     */
    public void record(List<Exchange> exchanges, List<ObjectNode> events, List<String> orderKeys) throws JsonProcessingException {
        OffsetDateTime now = OffsetDateTime.now(clock);
        List<Object[]> rows = new ArrayList<>();
        List<String> eventIds = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            ObjectNode event = events.get(i);
            JsonNode status = event.path("order").path("status");
            String eventId = event.path("eventId").asText();
            eventIds.add(eventId);
            rows.add(new Object[] {eventId, exchanges.get(i).getProperty(InboundEventQueue.INBOUND_EVENT_ID, Long.class),
                    event.path("provider").asText(), event.path("type").asText(), event.path("providerEventType").asText(),
                    orderKeys.get(i), status.isTextual() ? status.asText() : null, event.path("outOfOrder").asBoolean(),
                    OffsetDateTime.parse(event.path("occurredAt").asText()), OffsetDateTime.parse(event.path("receivedAt").asText()),
                    json.writeValueAsString(event), now});
        }
        jdbc.batchUpdate("""
                INSERT INTO canonical_event (event_id, inbound_event_id, provider, type, provider_event_type, order_key,
                                             order_status, out_of_order, occurred_at, received_at, payload, recorded_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", rows);
        Map<String, Long> seqs = new HashMap<>();
        named.query("SELECT event_id, seq FROM canonical_event WHERE event_id IN (:ids)", Map.of("ids", eventIds),
                rs -> { seqs.put(rs.getString(1), rs.getLong(2)); });
        List<DeliveryQueue.Queued> queued = new ArrayList<>();
        long previous = Long.MIN_VALUE;
        for (int i = 0; i < events.size(); i++) {
            long seq = seqs.get(eventIds.get(i));
            if (seq <= previous) {
                // deliveries go out in sequence order: a batch numbered otherwise is recorded event by event instead
                throw new IllegalStateException("a batch's canonical events were not numbered in the batch's order");
            }
            previous = seq;
            queued.add(new DeliveryQueue.Queued(seq, orderKeys.get(i), events.get(i).path("type").asText()));
        }
        deliveries.queue(queued, now);
        for (Exchange exchange : exchanges) {
            String superseded = exchange.getProperty(InboundEventQueue.SUPERSEDED_EVENT_ID, String.class);
            if (superseded != null) {
                deliveries.supersede(superseded, exchange.getProperty(InboundEventQueue.REVISION, Integer.class), now);
            }
        }
        inboundEvents.markNormalised(exchanges);
    }

    /** The sequence numbers of the order's canonical events. */
    public List<Long> eventsOfOrder(String orderKey) {
        return jdbc.queryForList("SELECT seq FROM canonical_event WHERE order_key = ?", Long.class, orderKey);
    }

    /** The stored webhooks the order's canonical events were mapped from. */
    public List<Long> inboundEventsOfOrder(String orderKey) {
        return jdbc.queryForList("SELECT DISTINCT inbound_event_id FROM canonical_event WHERE order_key = ?", Long.class, orderKey);
    }

    /** The sequence numbers of every canonical event (every revision) mapped from the given stored webhooks. */
    public List<Long> eventsOfInbound(Collection<Long> inboundEventIds) {
        if (inboundEventIds.isEmpty()) {
            return List.of();
        }
        return named.queryForList("SELECT seq FROM canonical_event WHERE inbound_event_id IN (:ids)",
                Map.of("ids", inboundEventIds), Long.class);
    }

    /**
     * Deletes the order's canonical events and every revision of the stored webhooks they came from (the same raw
     * data, even where mapped to another order key), for an erasure whose deliveries are already gone; the number
     * deleted.
     */
    public int forget(String orderKey, Collection<Long> inboundEventIds) {
        int deleted = jdbc.update("DELETE FROM canonical_event WHERE order_key = ?", orderKey);
        if (!inboundEventIds.isEmpty()) {
            deleted += named.update("DELETE FROM canonical_event WHERE inbound_event_id IN (:ids)", Map.of("ids", inboundEventIds));
        }
        return deleted;
    }
}
