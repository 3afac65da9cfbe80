package io.labhooks.orderstate;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
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
 *
 * <p>A batch of events is linked together, with what event by event would give: each event sees the links the
 * events before it in the batch make. Its statements are per batch, not per event: every id of the batch locked
 * in one, their links read in one per provider, every order locked in one, and the new links written in one.
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

    /** One event's provider, the order its own ids name, and the ids it may be linked by. */
    private record Named(String eventId, String provider, String orderKey, Set<LinkRef> ids) {
    }

    /**
     * The key of each event's order (null where an event names no order), whose locks are then held (ids first,
     * then the orders: see {@link OrderLinks}), with each event's ids linked to it. In the recording transaction.
     */
    public List<String> orderKeysOf(List<? extends JsonNode> events) {
        List<Named> named = events.stream()
                .map(event -> new Named(event.path("eventId").asText(), event.path("provider").asText(), OrderKeys.of(event),
                        refs.of(event))).toList();
        Map<String, Set<LinkRef>> idsByProvider = new LinkedHashMap<>();
        List<String> idLocks = new ArrayList<>();
        for (Named event : named) {
            idsByProvider.computeIfAbsent(event.provider(), provider -> new LinkedHashSet<>()).addAll(event.ids());
            event.ids().forEach(ref -> idLocks.add(OrderLinks.lockName(event.provider(), ref.kind(), ref.value())));
        }
        locks.lock(idLocks);
        Map<String, List<OrderLinks.Link>> found = find(idsByProvider);
        Set<String> locked = new LinkedHashSet<>();
        Resolution resolution;
        while (true) {
            resolution = resolve(named, found);
            List<String> toLock = resolution.orderKeys().stream().filter(key -> key != null && !locked.contains(key)).toList();
            locks.lock(toLock);
            locked.addAll(toLock);
            if (found.values().stream().allMatch(List::isEmpty)) {
                break; // no one else can link these ids: this transaction holds their locks
            }
            // An order may have been erased while this waited for its lock, and its links with it.
            Map<String, List<OrderLinks.Link>> again = find(idsByProvider);
            if (again.equals(found)) {
                break;
            }
            found = again;
        }
        resolution.conflicts().forEach(conflict -> {
            metrics.counter("labhooks.orders.link.conflicts", "provider", conflict.event().provider()).increment();
            LOG.warn("Event {} of {} names ids linked to {} orders: recorded on {}, linked first; {} left as they are, not merged",
                    conflict.event().eventId(), conflict.event().provider(), conflict.others().size() + 1,
                    conflict.orderKey(), conflict.others());
        });
        links.link(resolution.newLinks());
        return resolution.orderKeys();
    }

    private Map<String, List<OrderLinks.Link>> find(Map<String, Set<LinkRef>> idsByProvider) {
        Map<String, List<OrderLinks.Link>> found = new HashMap<>();
        idsByProvider.forEach((provider, ids) -> found.put(provider, links.find(provider, ids)));
        return found;
    }

    private record Conflict(Named event, String orderKey, Set<String> others) {
    }

    private record Resolution(List<String> orderKeys, List<OrderLinks.NewLink> newLinks, List<Conflict> conflicts) {
    }

    /** Event by event, in the batch's order: each event's order, and the links the batch adds. */
    private Resolution resolve(List<Named> events, Map<String, List<OrderLinks.Link>> stored) {
        List<String> orderKeys = new ArrayList<>();
        List<OrderLinks.NewLink> added = new ArrayList<>();
        List<Conflict> conflicts = new ArrayList<>();
        for (Named event : events) {
            // the stored links, oldest first, then those made by earlier events of the batch
            List<OrderLinks.Link> found = new ArrayList<>();
            stored.getOrDefault(event.provider(), List.of()).stream().filter(link -> event.ids().contains(link.ref())).forEach(found::add);
            added.stream().filter(link -> link.provider().equals(event.provider()) && event.ids().contains(link.ref()))
                    .map(link -> new OrderLinks.Link(link.ref(), link.orderKey())).forEach(found::add);
            String orderKey = found.isEmpty() ? event.orderKey() : found.get(0).orderKey();
            orderKeys.add(orderKey);
            if (orderKey == null) {
                continue; // ids, but no order to link them to: nothing of it is kept, as before linking
            }
            Set<String> orders = found.stream().map(OrderLinks.Link::orderKey).collect(Collectors.toCollection(LinkedHashSet::new));
            if (orders.size() > 1) {
                orders.remove(orderKey);
                conflicts.add(new Conflict(event, orderKey, orders));
            }
            Set<LinkRef> unlinked = new LinkedHashSet<>(event.ids());
            found.forEach(link -> unlinked.remove(link.ref()));
            unlinked.forEach(ref -> added.add(new OrderLinks.NewLink(event.provider(), ref, orderKey)));
        }
        return new Resolution(orderKeys, added, conflicts);
    }
}
