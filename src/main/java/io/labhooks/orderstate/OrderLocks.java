package io.labhooks.orderstate;

import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;

import io.labhooks.database.DatabaseProduct;

/**
 * A lock per order, held until the caller's transaction ends. Recording an event of an order takes it, so on
 * several boxes one order's canonical events are committed in the order of their sequence numbers (the delivery
 * queue relies on that to deliver them in order); erasing an order takes it, so nothing of the order is recorded
 * half-way through. The ids an order is linked by have locks too ({@link OrderLinks}), always taken before any
 * order's. Several keys taken together are always taken in one order, so two callers of the same keys cannot
 * deadlock.
 *
 * <p>On PostgreSQL it is a transaction-level advisory lock on a 64-bit hash of the key, any number of keys in one
 * statement (in hash order): no row is written, where a row lock would cost an insert for every new order and id
 * and a tuple lock for every later one (3.4 row writes of each drained event in bench/README). Two keys of one
 * hash would only wait for each other. Elsewhere (H2) it is a row in order_lock, in key order, taken with SELECT
 * FOR UPDATE (all of a call's keys in one statement) and inserted for a new order; two first events of one new
 * order racing to insert make one transaction fail, and it is retried.
 */
@Component
public class OrderLocks {

    private static final String ADVISORY = """
            SELECT COUNT(*) FROM (SELECT pg_advisory_xact_lock(h) FROM
                (SELECT DISTINCT hashtextextended(k, 0) AS h FROM UNNEST(CAST(? AS VARCHAR ARRAY)) AS keys (k) ORDER BY h) AS sorted
            ) AS locked""";

    private final JdbcTemplate jdbc;
    private final NamedParameterJdbcTemplate named;
    private final boolean advisory;

    public OrderLocks(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
        this.named = new NamedParameterJdbcTemplate(jdbc);
        this.advisory = DatabaseProduct.of(jdbc) == DatabaseProduct.POSTGRESQL;
    }

    public void lock(String key) {
        lock(List.of(key));
    }

    /** Locks every key, each once, in one order (see the class comment). */
    public void lock(Collection<String> keys) {
        if (keys.isEmpty()) {
            return;
        }
        if (advisory) {
            jdbc.queryForObject(ADVISORY, Integer.class, (Object) keys.stream().distinct().toArray(String[]::new));
            return;
        }
        // Each chunk's rows in one statement (H2 walks an IN list in sorted order, so in key order), then its new keys'
        // rows inserted in one batch: two statements for a batch's keys instead of one or two per key.
        List<String> sorted = keys.stream().distinct().sorted().toList();
        for (int from = 0; from < sorted.size(); from += 500) {
            List<String> chunk = sorted.subList(from, Math.min(sorted.size(), from + 500));
            Set<String> existing = new HashSet<>(named.queryForList(
                    "SELECT order_key FROM order_lock WHERE order_key IN (:keys) FOR UPDATE", Map.of("keys", chunk), String.class));
            List<Object[]> missing = chunk.stream().filter(key -> !existing.contains(key)).map(key -> new Object[] {key}).toList();
            if (!missing.isEmpty()) {
                jdbc.batchUpdate("INSERT INTO order_lock (order_key) VALUES (?)", missing);
            }
        }
    }

    /** Part of an erasure, under the lock: the key's row goes (on PostgreSQL, one left by an earlier version). */
    public void forget(String orderKey) {
        jdbc.update("DELETE FROM order_lock WHERE order_key = ?", orderKey);
    }
}
