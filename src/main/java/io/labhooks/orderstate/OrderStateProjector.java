package io.labhooks.orderstate;

import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Keeps one row per order with the furthest canonical status reached, whatever order the provider's webhooks
 * arrive in. An event whose status ranks below the stored one is kept and delivered but flagged
 * {@code outOfOrder: true}, and does not move the order back. Rules: providers.md §7.4.
 */
@Component("orderStateProjector")
public class OrderStateProjector {

    public static final String ORDER_KEY = "orderKey";
    /** Appointment changes may take an order back from APPOINTMENT_SCHEDULED (§7.4). */
    private static final Set<String> APPOINTMENT_REWINDS = Set.of("APPOINTMENT_RESCHEDULED", "APPOINTMENT_CANCELLED");

    private final JdbcTemplate jdbc;
    private final ObjectMapper json;
    private final OrderLinking linking;
    private final Clock clock;

    public OrderStateProjector(JdbcTemplate jdbc, ObjectMapper json, OrderLinking linking, Clock clock) {
        this.jdbc = jdbc;
        this.json = json;
        this.linking = linking;
        this.clock = clock;
    }

    record Stored(OrderStatus status, OffsetDateTime occurredAt, long version, String lastEventId) {
    }

    /** Runs in the transaction that records the canonical event. */
    public void project(Exchange exchange) throws JsonProcessingException {
        ObjectNode event = (ObjectNode) json.readTree(exchange.getIn().getBody(String.class));
        ObjectNode order = event.with("order");
        // Locked, and the event's ids linked to it, before the status is looked at: events without one link too.
        String orderKey = linking.orderKeyOf(event);
        exchange.setProperty(ORDER_KEY, orderKey);
        JsonNode statusNode = order.get("status");
        if (orderKey == null || statusNode == null || statusNode.isNull()) {
            return;
        }
        OrderStatus incoming = OrderStatus.valueOf(statusNode.asText());
        OffsetDateTime occurredAt = OffsetDateTime.parse(event.path("occurredAt").asText());
        List<Stored> rows = jdbc.query(
                "SELECT status, status_occurred_at, version, last_event_id FROM order_state WHERE order_key = ? FOR UPDATE",
                (rs, n) -> new Stored(OrderStatus.valueOf(rs.getString(1)), rs.getObject(2, OffsetDateTime.class), rs.getLong(3),
                        rs.getString(4)),
                orderKey);
        String eventId = event.path("eventId").asText();
        if (rows.isEmpty()) {
            jdbc.update("""
                    INSERT INTO order_state (order_key, provider, provider_order_id, external_order_id, status, status_rank,
                                             status_occurred_at, last_event_id, version, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?)""",
                    orderKey, event.path("provider").asText(), text(order, "providerOrderId"), text(order, "externalOrderId"),
                    incoming.name(), incoming.rank(), occurredAt, eventId, OffsetDateTime.now(clock));
        } else {
            Stored stored = rows.get(0);
            // A corrected revision of the very event that set the order's state replaces it, even backwards: the
            // state was only ever that far because of the mapping bug the revision fixes.
            boolean correctsCurrentState = stored.lastEventId().equals(event.path("supersedesEventId").asText(null));
            Decision decision = correctsCurrentState ? Decision.APPLY
                    : decide(stored, incoming, event.path("type").asText(), occurredAt);
            if (decision == Decision.APPLY) {
                jdbc.update("""
                        UPDATE order_state SET status = ?, status_rank = ?, status_occurred_at = ?, last_event_id = ?,
                               version = version + 1, updated_at = ?,
                               provider_order_id = COALESCE(provider_order_id, ?), external_order_id = COALESCE(external_order_id, ?)
                        WHERE order_key = ?""",
                        incoming.name(), incoming.rank(), occurredAt, eventId, OffsetDateTime.now(clock),
                        text(order, "providerOrderId"), text(order, "externalOrderId"), orderKey);
            } else {
                order.put("status", stored.status().name());
                event.put("outOfOrder", decision == Decision.OUT_OF_ORDER);
            }
        }
        exchange.getMessage().setBody(json.writeValueAsString(event));
    }

    enum Decision { APPLY, KEEP, OUT_OF_ORDER }

    static Decision decide(Stored stored, OrderStatus incoming, String eventType, OffsetDateTime occurredAt) {
        OrderStatus current = stored.status();
        if (incoming.sideState()) {
            if (current.resultsFinal()) {
                return Decision.OUT_OF_ORDER;
            }
            return current.sideState() && occurredAt.isBefore(stored.occurredAt()) ? Decision.KEEP : Decision.APPLY;
        }
        if (current == OrderStatus.APPOINTMENT_SCHEDULED && APPOINTMENT_REWINDS.contains(eventType)) {
            // A reschedule or cancel may take the order back, but only if it happened after the schedule it undoes.
            return occurredAt.isBefore(stored.occurredAt()) ? Decision.OUT_OF_ORDER : Decision.APPLY;
        }
        if (incoming.rank() > current.rank()) {
            return Decision.APPLY;
        }
        if (incoming.rank() == current.rank()) {
            return occurredAt.isBefore(stored.occurredAt()) ? Decision.KEEP : Decision.APPLY;
        }
        return Decision.OUT_OF_ORDER;
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    /** Deletes the order's state, for an erasure that holds the order's lock; the number of rows deleted. */
    public int forget(String orderKey) {
        return jdbc.update("DELETE FROM order_state WHERE order_key = ?", orderKey);
    }
}
