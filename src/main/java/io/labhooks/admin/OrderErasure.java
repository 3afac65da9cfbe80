package io.labhooks.admin;

import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import io.labhooks.delivery.DeliveryQueue;
import io.labhooks.orderstate.OrderLinks;
import io.labhooks.poll.PollWatches;
import io.labhooks.orderstate.OrderLocks;

/**
 * Erases everything the box holds about one order, on request (e.g. a patient's erasure request): its order
 * state, canonical events, deliveries with their attempts, the raw webhooks they came from and the links of its
 * ids (a later event naming one starts afresh), in one transaction with its audit row. Kept: the audit row and
 * the dedupe keys (provider ids or hashes, no patient data), so a provider's late retry is answered as a
 * duplicate instead of bringing the data back. Rows already delivered into a sink (lab_event_feed) belong to
 * the receiving system and are not touched.
 */
@Component
public class OrderErasure {

    private final NamedParameterJdbcTemplate jdbc;
    private final TransactionTemplate transaction;
    private final OrderLocks locks;
    private final OrderLinks links;
    private final PollWatches watches;
    private final DeliveryQueue deliveryQueue;
    private final AuditLog audit;
    private final Clock clock;

    public OrderErasure(NamedParameterJdbcTemplate jdbc, TransactionTemplate transaction, OrderLocks locks, OrderLinks links,
                        PollWatches watches, DeliveryQueue deliveries, AuditLog audit, Clock clock) {
        this.deliveryQueue = deliveries;
        this.watches = watches;
        this.jdbc = jdbc;
        this.transaction = transaction;
        this.locks = locks;
        this.links = links;
        this.audit = audit;
        this.clock = clock;
    }

    public Map<String, Object> erase(String orderKey, String actor) {
        return transaction.execute(tx -> {
            Map<String, Object> key = Map.of("key", orderKey, "now", OffsetDateTime.now(clock));
            List<String> lockedIds = links.lockIdsOf(orderKey); // ids before the order, as the projection locks them
            locks.lock(orderKey); // no event of the order is recorded while it is erased
            // Lock the order's deliveries first: an attempt in flight would otherwise finish on rows that are gone.
            List<Map<String, Object>> deliveries = jdbc.queryForList("""
                    SELECT id, claimed_until FROM delivery WHERE canonical_event_seq IN
                        (SELECT seq FROM canonical_event WHERE order_key = :key) FOR UPDATE""", key);
            Integer inFlight = jdbc.queryForObject("""
                    SELECT COUNT(*) FROM delivery WHERE claimed_until > :now AND canonical_event_seq IN
                        (SELECT seq FROM canonical_event WHERE order_key = :key)""", key, Integer.class);
            if (inFlight != null && inFlight > 0) {
                throw new AdminRequestException(409, "a delivery of order " + orderKey + " is being attempted right now; try again shortly");
            }
            List<Long> inbound = jdbc.queryForList(
                    "SELECT DISTINCT inbound_event_id FROM canonical_event WHERE order_key = :key", key, Long.class);
            Map<String, Object> erased = new LinkedHashMap<>();
            erased.put("orderKey", orderKey);
            erased.put("deliveryAttempts", jdbc.queryForObject("""
                    SELECT COUNT(*) FROM delivery_attempt WHERE delivery_id IN (SELECT id FROM delivery WHERE canonical_event_seq IN
                        (SELECT seq FROM canonical_event WHERE order_key = :key))""", key, Integer.class));
            erased.put("deliveries", deliveryQueue.forget("SELECT seq FROM canonical_event WHERE order_key = ?", orderKey));
            int canonical = jdbc.update("DELETE FROM canonical_event WHERE order_key = :key", key);
            int inboundErased = 0;
            if (!inbound.isEmpty()) {
                // Revisions of these webhooks mapped to another order key go too: they are the same raw data.
                deliveryQueue.forget("SELECT seq FROM canonical_event WHERE inbound_event_id IN ("
                        + String.join(", ", Collections.nCopies(inbound.size(), "?")) + ")", inbound.toArray());
                canonical += jdbc.update("DELETE FROM canonical_event WHERE inbound_event_id IN (:ids)", Map.of("ids", inbound));
                inboundErased = jdbc.update("DELETE FROM inbound_event WHERE id IN (:ids)", Map.of("ids", inbound));
            }
            erased.put("canonicalEvents", canonical);
            erased.put("inboundEvents", inboundErased);
            erased.put("orderState", jdbc.update("DELETE FROM order_state WHERE order_key = :key", key));
            erased.put("links", links.forget(orderKey, lockedIds));
            erased.put("pollWatches", watches.forget(orderKey));
            if (deliveries.isEmpty() && canonical == 0 && (Integer) erased.get("orderState") == 0
                    && (Integer) erased.get("links") == 0) {
                throw new AdminRequestException(404, "no order " + orderKey);
            }
            locks.forget(orderKey);
            audit.record(actor, "erase-order", "order " + orderKey, erased.toString());
            return erased;
        });
    }
}
