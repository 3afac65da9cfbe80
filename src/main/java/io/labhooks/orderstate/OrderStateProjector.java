package io.labhooks.orderstate;

import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Keeps one row per order with the furthest canonical status reached, whatever order the provider's webhooks
 * arrive in. An event whose status ranks below the stored one is kept and delivered but flagged
 * {@code outOfOrder: true}, and does not move the order back. Rules: providers.md §7.4.
 */
@Component("orderStateProjector")
public class OrderStateProjector {

    /** Appointment changes may take an order back from APPOINTMENT_SCHEDULED (§7.4). */
    private static final Set<String> APPOINTMENT_REWINDS = Set.of("APPOINTMENT_RESCHEDULED", "APPOINTMENT_CANCELLED");

    private final JdbcTemplate jdbc;
    private final NamedParameterJdbcTemplate named;
    private final OrderLinking linking;
    private final Clock clock;

    public OrderStateProjector(JdbcTemplate jdbc, NamedParameterJdbcTemplate named, OrderLinking linking, Clock clock) {
        this.jdbc = jdbc;
        this.named = named;
        this.linking = linking;
        this.clock = clock;
    }

    record Stored(OrderStatus status, OffsetDateTime occurredAt, long version, String lastEventId) {
    }

    /** An order's row as the batch leaves it, with the ids its applied events bring where the row has none. */
    private static final class Projected {
        Stored stored;
        final boolean inserted;
        final String provider;
        String providerOrderId;
        String externalOrderId;
        boolean changed;

        Projected(Stored stored, boolean inserted, String provider, String providerOrderId, String externalOrderId) {
            this.stored = stored;
            this.inserted = inserted;
            this.provider = provider;
            this.providerOrderId = providerOrderId;
            this.externalOrderId = externalOrderId;
        }
    }

    /**
     * Projects a batch of canonical events, in its order, as event by event would: each event's order is found
     * ({@link OrderLinking}) and its state moved on or the event flagged, in place. The order rows are read in one
     * statement and written once each. Returns each event's order key (null where it names none). Runs in the
     * transaction that records the events.
     */
    public List<String> project(List<ObjectNode> events) {
        // Locked, and the events' ids linked, before any status is looked at: events without one link too.
        List<String> orderKeys = linking.orderKeysOf(events);
        Map<String, Projected> orders = read(orderKeys.stream().filter(Objects::nonNull).distinct().toList());
        for (int i = 0; i < events.size(); i++) {
            ObjectNode event = events.get(i);
            String orderKey = orderKeys.get(i);
            ObjectNode order = event.with("order");
            JsonNode statusNode = order.get("status");
            if (orderKey == null || statusNode == null || statusNode.isNull()) {
                continue;
            }
            OrderStatus incoming = OrderStatus.valueOf(statusNode.asText());
            OffsetDateTime occurredAt = OffsetDateTime.parse(event.path("occurredAt").asText());
            String eventId = event.path("eventId").asText();
            Projected projected = orders.get(orderKey);
            if (projected == null) {
                orders.put(orderKey, new Projected(new Stored(incoming, occurredAt, 1, eventId), true,
                        event.path("provider").asText(), text(order, "providerOrderId"), text(order, "externalOrderId")));
                continue;
            }
            Stored stored = projected.stored;
            // A corrected revision of the very event that set the order's state replaces it, even backwards: the
            // state was only ever that far because of the mapping bug the revision fixes.
            boolean correctsCurrentState = stored.lastEventId().equals(event.path("supersedesEventId").asText(null));
            Decision decision = correctsCurrentState ? Decision.APPLY
                    : decide(stored, incoming, event.path("type").asText(), occurredAt);
            if (decision == Decision.APPLY) {
                projected.stored = new Stored(incoming, occurredAt, stored.version() + 1, eventId);
                projected.changed = true;
                if (projected.providerOrderId == null) {
                    projected.providerOrderId = text(order, "providerOrderId");
                }
                if (projected.externalOrderId == null) {
                    projected.externalOrderId = text(order, "externalOrderId");
                }
            } else {
                order.put("status", stored.status().name());
                event.put("outOfOrder", decision == Decision.OUT_OF_ORDER);
            }
        }
        write(orders);
        return orderKeys;
    }

    private Map<String, Projected> read(List<String> orderKeys) {
        Map<String, Projected> orders = new HashMap<>();
        if (orderKeys.isEmpty()) {
            return orders;
        }
        // The row's own ids are not read: an update keeps them where set (COALESCE), and takes the event's otherwise.
        named.query("""
                SELECT order_key, status, status_occurred_at, version, last_event_id FROM order_state
                WHERE order_key IN (:keys) FOR UPDATE""", Map.of("keys", orderKeys), rs -> {
            orders.put(rs.getString(1), new Projected(new Stored(OrderStatus.valueOf(rs.getString(2)),
                    rs.getObject(3, OffsetDateTime.class), rs.getLong(4), rs.getString(5)), false, null, null, null));
        });
        return orders;
    }

    private void write(Map<String, Projected> orders) {
        OffsetDateTime now = OffsetDateTime.now(clock);
        List<Object[]> inserts = new ArrayList<>();
        List<Object[]> updates = new ArrayList<>();
        orders.forEach((orderKey, order) -> {
            Stored state = order.stored;
            if (order.inserted) {
                inserts.add(new Object[] {orderKey, order.provider, order.providerOrderId, order.externalOrderId,
                        state.status().name(), state.status().rank(), state.occurredAt(), state.lastEventId(), state.version(), now});
            } else if (order.changed) {
                updates.add(new Object[] {state.status().name(), state.status().rank(), state.occurredAt(), state.lastEventId(),
                        state.version(), now, order.providerOrderId, order.externalOrderId, orderKey});
            }
        });
        if (!inserts.isEmpty()) {
            jdbc.batchUpdate("""
                    INSERT INTO order_state (order_key, provider, provider_order_id, external_order_id, status, status_rank,
                                             status_occurred_at, last_event_id, version, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", inserts);
        }
        if (!updates.isEmpty()) {
            jdbc.batchUpdate("""
                    UPDATE order_state SET status = ?, status_rank = ?, status_occurred_at = ?, last_event_id = ?,
                           version = ?, updated_at = ?,
                           provider_order_id = COALESCE(provider_order_id, ?), external_order_id = COALESCE(external_order_id, ?)
                    WHERE order_key = ?""", updates);
        }
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
