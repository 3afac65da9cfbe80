package io.labhooks.orderstate;

import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * The order_link table, and only this class writes or reads it: which order each id of a provider's (an order
 * id, a test registration, a kit, ...) was first recorded under. Each id also has a lock ({@link OrderLocks}), so
 * that two events naming one new id cannot link it to two orders. Ids are always locked before any order, all of
 * an event's together (so in the one order {@link OrderLocks} takes several keys in), by the projection and by an
 * erasure alike: that one order of locking is what keeps two workers from deadlocking.
 */
@Component
public class OrderLinks {

    /** An id linked to an order. */
    public record Link(LinkRef ref, String orderKey) {
    }

    /** A provider's id to be linked to an order. */
    public record NewLink(String provider, LinkRef ref, String orderKey) {
    }

    private final NamedParameterJdbcTemplate jdbc;
    private final OrderLocks locks;
    private final Clock clock;

    public OrderLinks(NamedParameterJdbcTemplate jdbc, OrderLocks locks, Clock clock) {
        this.jdbc = jdbc;
        this.locks = locks;
        this.clock = clock;
    }

    /** An id's lock name, where order keys ("provider|id") never start with "link:". */
    static String lockName(String provider, String kind, String value) {
        return "link:" + provider + "|" + kind + "|" + value;
    }

    /** Locks the provider's ids until the transaction ends. Before any order lock (see the class comment). */
    public void lock(String provider, Collection<LinkRef> refs) {
        locks.lock(refs.stream().map(ref -> lockName(provider, ref.kind(), ref.value())).toList());
    }

    /** Those of the provider's ids that are linked, oldest link first. */
    public List<Link> find(String provider, Collection<LinkRef> refs) {
        if (refs.isEmpty()) {
            return List.of();
        }
        // By value (indexed), the kind checked here: one query however many ids the event names.
        return jdbc.query("""
                SELECT kind, ref_value, order_key FROM order_link WHERE provider = :provider AND ref_value IN (:values)
                ORDER BY linked_at, order_key, kind, ref_value""",
                Map.of("provider", provider, "values", refs.stream().map(LinkRef::value).distinct().toList()),
                (rs, n) -> new Link(new LinkRef(rs.getString(1), rs.getString(2)), rs.getString(3)))
                .stream().filter(link -> refs.contains(link.ref())).toList();
    }

    /** Links the ids to their orders. The caller holds their locks and found them unlinked. */
    public void link(List<NewLink> added) {
        if (added.isEmpty()) {
            return;
        }
        OffsetDateTime now = OffsetDateTime.now(clock);
        // one statement for a batch's links (a few hundred rows at most per statement, well under any driver's limit)
        for (int from = 0; from < added.size(); from += 500) {
            List<NewLink> chunk = added.subList(from, Math.min(added.size(), from + 500));
            List<Object> values = new ArrayList<>();
            for (NewLink link : chunk) {
                values.addAll(List.of(link.provider(), link.ref().kind(), link.ref().value(), link.orderKey(), now));
            }
            jdbc.getJdbcTemplate().update("INSERT INTO order_link (provider, kind, ref_value, order_key, linked_at) VALUES "
                    + String.join(", ", Collections.nCopies(chunk.size(), "(?, ?, ?, ?, ?)")), values.toArray());
        }
    }

    /** The orders one of whose ids (of any provider and kind) is this value: for the operator's search. */
    public List<String> orderKeysNamedBy(String value) {
        return jdbc.queryForList("""
                SELECT DISTINCT order_key FROM order_link WHERE ref_value = :value ORDER BY order_key FETCH FIRST 20 ROWS ONLY""",
                Map.of("value", value), String.class);
    }

    /**
     * Part of an erasure, before it takes the order's own lock: locks the order's ids and returns their lock
     * names, for {@link #forget}. An id linked meanwhile is linked by a worker that holds the order's lock, so
     * the erasure, waiting for that lock, still deletes its link.
     */
    public List<String> lockIdsOf(String orderKey) {
        List<String> names = jdbc.query("SELECT provider, kind, ref_value FROM order_link WHERE order_key = :key",
                Map.of("key", orderKey), (rs, n) -> lockName(rs.getString(1), rs.getString(2), rs.getString(3)))
                .stream().distinct().toList();
        locks.lock(names);
        return names;
    }

    /**
     * Part of an erasure, under the order's lock: deletes its links, and the lock rows of the ids locked by
     * {@link #lockIdsOf} (only those: deleting a lock row another worker holds would wait for it, while that
     * worker may be waiting for the order's lock). Returns the number of links deleted.
     */
    public int forget(String orderKey, List<String> lockedIds) {
        int deleted = jdbc.update("DELETE FROM order_link WHERE order_key = :key", Map.of("key", orderKey));
        lockedIds.forEach(locks::forget);
        return deleted;
    }
}
