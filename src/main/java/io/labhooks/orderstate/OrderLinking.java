package io.labhooks.orderstate;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Which order an event belongs to when a provider keys one order by several ids: the order any of the event's
 * ids is already linked to, else the order {@link OrderKeys} names (so an order's key is that of its first event,
 * as before linking). The event's ids not linked yet are then linked to it, status or not. Ids linked to
 * different orders are a conflict: the event goes to the oldest-linked order and nothing is merged, because
 * merging would rewrite histories already delivered; each such event is counted and logged.
 */
@Component
public class OrderLinking {

    private static final Logger LOG = LoggerFactory.getLogger(OrderLinking.class);

    private final LinkRefs refs;
    private final OrderLinks links;
    private final OrderLocks locks;
    private final MeterRegistry metrics;

    public OrderLinking(LinkRefs refs, OrderLinks links, OrderLocks locks, MeterRegistry metrics) {
        this.refs = refs;
        this.links = links;
        this.locks = locks;
        this.metrics = metrics;
    }

    /**
     * The key of the event's order, whose lock is then held (ids first, then the order: see {@link OrderLinks}),
     * with the event's ids linked to it; null when the event names no order. In the recording transaction.
     */
    public String orderKeyOf(JsonNode event) {
        String provider = event.path("provider").asText();
        String named = OrderKeys.of(event);
        Set<LinkRef> ids = refs.of(event);
        links.lock(provider, ids);
        List<OrderLinks.Link> found = links.find(provider, ids);
        String orderKey = found.isEmpty() ? named : found.get(0).orderKey();
        while (orderKey != null) {
            locks.lock(orderKey);
            if (found.isEmpty()) {
                break; // no one else can link these ids: this transaction holds their locks
            }
            // The order may have been erased while this waited for its lock, and its links with it.
            List<OrderLinks.Link> again = links.find(provider, ids);
            if (again.equals(found)) {
                break;
            }
            found = again;
            orderKey = found.isEmpty() ? named : found.get(0).orderKey();
        }
        if (orderKey == null) {
            return null; // ids, but no order to link them to: nothing of it is kept, as before linking
        }
        Set<String> orders = found.stream().map(OrderLinks.Link::orderKey).collect(Collectors.toCollection(LinkedHashSet::new));
        if (orders.size() > 1) {
            metrics.counter("labhooks.orders.link.conflicts", "provider", provider).increment();
            orders.remove(orderKey);
            LOG.warn("Event {} of {} names ids linked to {} orders: recorded on {}, linked first; {} left as they are, not merged",
                    event.path("eventId").asText(), provider, orders.size() + 1, orderKey, orders);
        }
        Set<LinkRef> unlinked = new LinkedHashSet<>(ids);
        found.forEach(link -> unlinked.remove(link.ref()));
        links.link(provider, unlinked, orderKey);
        return orderKey;
    }
}
