package io.labhooks.normalise;

import java.time.Clock;
import java.time.OffsetDateTime;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.support.GeneratedKeyHolder;
import org.springframework.stereotype.Component;

import io.labhooks.delivery.DeliveryQueue;
import io.labhooks.orderstate.OrderStateProjector;

/**
 * Records a canonical event and queues one delivery per sink that takes its type ({@link DeliveryQueue#queue}), in
 * the same transaction as the order-state projection and the inbound event's NORMALISED mark: either all of it
 * happens or none of it.
 */
@Component("canonicalEventStore")
public class CanonicalEventStore {

    private final JdbcTemplate jdbc;
    private final ObjectMapper json;
    private final DeliveryQueue deliveries;
    private final InboundEventQueue inboundEvents;
    private final Clock clock;

    public CanonicalEventStore(JdbcTemplate jdbc, ObjectMapper json, DeliveryQueue deliveries, InboundEventQueue inboundEvents,
                               Clock clock) {
        this.jdbc = jdbc;
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
}
