package io.labhooks.admin;

import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import io.labhooks.delivery.DeliveryQueue;
import io.labhooks.normalise.CanonicalEventStore;
import io.labhooks.orderstate.OrderLinks;
import io.labhooks.orderstate.OrderLocks;
import io.labhooks.orderstate.OrderStateProjector;
import io.labhooks.poll.PollWatches;
import io.labhooks.store.InboundEventStore;

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

    private final TransactionTemplate transaction;
    private final OrderLocks locks;
    private final OrderLinks links;
    private final PollWatches watches;
    private final DeliveryQueue deliveries;
    private final CanonicalEventStore canonicalEvents;
    private final InboundEventStore inboundEvents;
    private final OrderStateProjector orderStates;
    private final AuditLog audit;
    private final Clock clock;

    public OrderErasure(TransactionTemplate transaction, OrderLocks locks, OrderLinks links, PollWatches watches,
                        DeliveryQueue deliveries, CanonicalEventStore canonicalEvents, InboundEventStore inboundEvents,
                        OrderStateProjector orderStates, AuditLog audit, Clock clock) {
        this.transaction = transaction;
        this.locks = locks;
        this.links = links;
        this.watches = watches;
        this.deliveries = deliveries;
        this.canonicalEvents = canonicalEvents;
        this.inboundEvents = inboundEvents;
        this.orderStates = orderStates;
        this.audit = audit;
        this.clock = clock;
    }

    public Map<String, Object> erase(String orderKey, String actor) {
        return transaction.execute(tx -> {
            List<String> lockedIds = links.lockIdsOf(orderKey); // ids before the order, as the projection locks them
            locks.lock(orderKey); // no event of the order is recorded while it is erased
            List<Long> events = canonicalEvents.eventsOfOrder(orderKey);
            // Lock the order's deliveries first: an attempt in flight would otherwise finish on rows that are gone.
            DeliveryQueue.Held held = deliveries.hold(events, OffsetDateTime.now(clock));
            if (held.inFlight() > 0) {
                throw new AdminRequestException(409, "a delivery of order " + orderKey + " is being attempted right now; try again shortly");
            }
            List<Long> inbound = canonicalEvents.inboundEventsOfOrder(orderKey);
            Map<String, Object> erased = new LinkedHashMap<>();
            erased.put("orderKey", orderKey);
            erased.put("deliveryAttempts", held.attempts());
            erased.put("deliveries", deliveries.forget(events));
            // Revisions of these webhooks mapped to another order key go too: they are the same raw data.
            deliveries.forget(canonicalEvents.eventsOfInbound(inbound));
            int canonical = canonicalEvents.forget(orderKey, inbound);
            erased.put("canonicalEvents", canonical);
            erased.put("inboundEvents", inboundEvents.forget(inbound));
            int orderState = orderStates.forget(orderKey);
            erased.put("orderState", orderState);
            int linksForgotten = links.forget(orderKey, lockedIds);
            erased.put("links", linksForgotten);
            erased.put("pollWatches", watches.forget(orderKey));
            if (held.deliveries() == 0 && canonical == 0 && orderState == 0 && linksForgotten == 0) {
                throw new AdminRequestException(404, "no order " + orderKey);
            }
            locks.forget(orderKey);
            audit.record(actor, "erase-order", "order " + orderKey, erased.toString());
            return erased;
        });
    }
}
