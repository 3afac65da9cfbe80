package io.labhooks.orderstate;

import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * A row lock per order, held until the caller's transaction ends. Recording an event of an order takes it, so
 * on several boxes one order's canonical events are committed in the order of their sequence numbers (the
 * delivery queue relies on that to deliver them in order); erasing an order takes it, so nothing of the order
 * is recorded half-way through. Written as SELECT FOR UPDATE, then INSERT for a new order: the same on H2 and
 * PostgreSQL. Two first events of one new order racing to insert make one transaction fail; it is retried.
 * The ids an order is linked by have rows here too ({@link OrderLinks}), always locked before any order.
 */
@Component
public class OrderLocks {

    private final JdbcTemplate jdbc;

    public OrderLocks(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    public void lock(String orderKey) {
        if (jdbc.queryForList("SELECT order_key FROM order_lock WHERE order_key = ? FOR UPDATE", String.class, orderKey).isEmpty()) {
            jdbc.update("INSERT INTO order_lock (order_key) VALUES (?)", orderKey);
        }
    }

    /** Part of an erasure, under the lock. */
    public void forget(String orderKey) {
        jdbc.update("DELETE FROM order_lock WHERE order_key = ?", orderKey);
    }
}
