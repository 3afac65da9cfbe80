package io.labhooks.normalise;

import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.jdbc.support.GeneratedKeyHolder;
import org.springframework.stereotype.Component;

import io.labhooks.delivery.DeliveryQueue;
import io.labhooks.orderstate.OrderStateProjector;

/**
 * Records a canonical event and queues one delivery per sink that takes its type ({@link DeliveryQueue#queue}), in
 * the same transaction as the order-state projection and the inbound event's NORMALISED mark: either all of it
 * happens or none of it. Every write to canonical_event is made here (an erasure's too).
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

    public void record(Exchange exchange) throws JsonProcessingException {
        String payload = exchange.getIn().getBody(String.class);
        JsonNode event = json.readTree(payload);
        long inboundEventId = exchange.getProperty(InboundEventQueue.INBOUND_EVENT_ID, Long.class);
        String type = event.path("type").asText();
        JsonNode status = event.path("order").path("status");
        GeneratedKeyHolder key = new GeneratedKeyHolder();
        jdbc.update(connection -> {
            var insert = connection.prepareStatement("""
                    INSERT INTO canonical_event (event_id, inbound_event_id, provider, type, provider_event_type, order_key,
                                                 order_status, out_of_order, occurred_at, received_at, payload, recorded_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", new String[] {"seq"});
            insert.setString(1, event.path("eventId").asText());
            insert.setLong(2, inboundEventId);
            insert.setString(3, event.path("provider").asText());
            insert.setString(4, type);
            insert.setString(5, event.path("providerEventType").asText());
            insert.setString(6, exchange.getProperty(OrderStateProjector.ORDER_KEY, String.class));
            insert.setString(7, status.isTextual() ? status.asText() : null);
            insert.setBoolean(8, event.path("outOfOrder").asBoolean());
            insert.setObject(9, OffsetDateTime.parse(event.path("occurredAt").asText()));
            insert.setObject(10, OffsetDateTime.parse(event.path("receivedAt").asText()));
            insert.setString(11, payload);
            insert.setObject(12, OffsetDateTime.now(clock));
            return insert;
        }, key);
        long seq = key.getKey().longValue();
        OffsetDateTime now = OffsetDateTime.now(clock);
        deliveries.queue(seq, exchange.getProperty(OrderStateProjector.ORDER_KEY, String.class), type, now);
        String superseded = exchange.getProperty(InboundEventQueue.SUPERSEDED_EVENT_ID, String.class);
        if (superseded != null) {
            deliveries.supersede(superseded, exchange.getProperty(InboundEventQueue.REVISION, Integer.class), now);
        }
        inboundEvents.markNormalised(exchange);
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
