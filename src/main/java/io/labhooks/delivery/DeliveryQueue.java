package io.labhooks.delivery;

import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.Exchange;
import org.apache.camel.http.base.HttpOperationFailedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.TransientDataAccessException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.SqlParameterValue;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import io.labhooks.config.LabhooksProperties;
import io.labhooks.event.EventExchange;
import io.labhooks.orderstate.OrderLocks;
import io.labhooks.queue.LeasedClaims;
import io.labhooks.queue.LeasedClaims.Claim;

/**
 * Deliveries of canonical events to sinks, kept in the database so they survive restarts and can be shared by
 * several boxes. Each sink has its own poller, so a slow or failing sink never holds up another. Due deliveries
 * are claimed with a lease ({@link LeasedClaims}), one order at a time: a delivery waits while an earlier
 * delivery of the same order to the same sink is still pending, so a receiver sees each order's events in order,
 * while other orders flow past a failing one. A failure is retried on the sink's exponential schedule with
 * jitter; a delivery that keeps failing (or that the receiver refuses outright with a 4xx) ends DEAD with its
 * last error, never silently dropped. Every attempt is kept for the operator's timeline.
 */
@Component("deliveryQueue")
public class DeliveryQueue {

    private static final Logger LOG = LoggerFactory.getLogger(DeliveryQueue.class);
    public static final String DELIVERY_ID = "deliveryId";
    /** The {@link Delivery} being attempted. */
    public static final String DELIVERY = "delivery";
    /** Whether the delivery is being attempted (false: its sink's circuit held it back). */
    public static final String ATTEMPTING = "attempting";
    public static final String SINK = "sink";
    public static final String EVENT_SEQ = "eventSeq";
    /** The order the event was recorded under (canonical_event.order_key): linking may have chosen it. */
    public static final String ORDER_KEY = "recordedOrderKey";
    public static final String ATTEMPT = "attempt";
    /** The begun batch, as {@link Delivery} records, while a batched sink takes it whole (set in deliver.camel.yaml). */
    public static final String BATCH = "deliveryBatch";

    /**
     * A delivery the sink's poller may claim: due, and its order's head of line for the sink (see
     * {@link #refreshHeads}); served by ix_delivery_head, claimed in CLAIM_ORDER.
     */
    public static final String CLAIMABLE =
            "sink = :sink AND head_of_line = TRUE AND status = 'PENDING' AND next_attempt_at <= :now";
    /**
     * Live events before replayed ones, then in canonical event order: ix_delivery_head's columns, those fixed by
     * CLAIMABLE included, because H2 reads an index as sorted only for an ORDER BY of its leading columns.
     */
    public static final String CLAIM_ORDER = "sink, head_of_line, status, replayed, canonical_event_seq";

    /** One order's deliveries to one sink: they go out one at a time, in canonical event order. */
    public record Line(String sink, String orderKey) {
    }

    private final JdbcTemplate jdbc;
    private final NamedParameterJdbcTemplate named;
    private final TransactionTemplate transaction;
    private final LeasedClaims claims;
    private final SinkCatalog sinks;
    private final SinkCircuits circuits;
    private final SinkWorkers workers;
    private final int batchSize;
    private final Clock clock;
    private final MeterRegistry metrics;
    private final OrderLocks locks;

    public DeliveryQueue(JdbcTemplate jdbc, NamedParameterJdbcTemplate named, TransactionTemplate transaction, LeasedClaims claims, SinkCatalog sinks,
                         SinkCircuits circuits, SinkWorkers workers, LabhooksProperties properties, Clock clock,
                         MeterRegistry metrics, OrderLocks locks) {
        this.jdbc = jdbc;
        this.named = named;
        this.transaction = transaction;
        this.claims = claims;
        this.sinks = sinks;
        this.circuits = circuits;
        this.workers = workers;
        this.batchSize = properties.pipeline().batchSize();
        this.clock = clock;
        this.metrics = metrics;
        this.locks = locks;
    }

    /**
     * The claimed deliveries to one sink: live events before replayed ones, then in canonical event order. A sink
     * switched off on this box claims nothing, and neither does one whose circuit is open until a probe is due.
     */
    public List<LeasedClaims.Started> claimDue(String sink) {
        if (sinks.named(sink).isEmpty() || !circuits.mayClaim(sink)) {
            return List.of();
        }
        // Batches are sent in parallel and the poller does not wait for them: claim only what the workers can
        // start soon, so one box holds at most a batch of a sink's claims and the others get the rest. Their
        // attempts start with the claim (one commit); one the circuit then holds back is handed back uncounted.
        return claims.claimStarted("delivery", CLAIMABLE, Map.of("sink", sink), CLAIM_ORDER,
                batchSize - workers.inFlight(sink));
    }

    /** A claimed delivery whose attempt has started, with the canonical event it sends. */
    public record Delivery(Claim claim, int attempt, OffsetDateTime startedAt, String sink, long eventSeq, String eventId,
                           String orderKey, String payload) {
        Line line() {
            return new Line(sink, orderKey);
        }
    }

    /** How an attempt ended: DELIVERED, PENDING again (to be retried at {@code next}) or DEAD. */
    public record Outcome(Claim claim, Line line, int attempt, OffsetDateTime startedAt, OffsetDateTime finishedAt,
                          String status, String error, OffsetDateTime next) {
    }

    /**
     * Reads the canonical events of a claimed batch, in one statement. One whose attempts all ended without an
     * outcome (the box stopped during each) ends DEAD, visibly.
     */
    public List<Delivery> begin(List<LeasedClaims.Started> claimed, String sink) {
        if (claimed.isEmpty()) {
            return List.of();
        }
        OffsetDateTime startedAt = OffsetDateTime.now(clock);
        Map<Long, LeasedClaims.Started> byId = new HashMap<>();
        claimed.forEach(started -> byId.put(started.claim().id(), started));
        Map<Long, Delivery> started = new HashMap<>();
        named.query("""
                SELECT d.id, d.sink, c.seq, c.event_id, c.payload, c.order_key
                FROM delivery d JOIN canonical_event c ON c.seq = d.canonical_event_seq WHERE d.id IN (:ids)""",
                Map.of("ids", byId.keySet()), rs -> {
                    LeasedClaims.Started claim = byId.get(rs.getLong("id"));
                    started.put(claim.claim().id(), new Delivery(claim.claim(), claim.attempt(), startedAt, rs.getString("sink"),
                            rs.getLong("seq"), rs.getString("event_id"), rs.getString("order_key"), rs.getString("payload")));
                });
        int maxAttempts = sinks.named(sink).map(Sink::retry).map(LabhooksProperties.Retry::maxAttempts).orElse(Integer.MAX_VALUE);
        List<Delivery> deliveries = new ArrayList<>();
        List<Outcome> unfinished = new ArrayList<>();
        for (LeasedClaims.Started attempt : claimed) {
            Claim claim = attempt.claim();
            Delivery delivery = started.get(claim.id());
            if (delivery == null) {
                continue;
            }
            if (delivery.attempt() > maxAttempts) {
                unfinished.add(new Outcome(claim, delivery.line(), delivery.attempt(), startedAt, startedAt, "DEAD",
                        LeasedClaims.NO_OUTCOME, null));
                LOG.error("Delivery {} is DEAD: {}", claim.id(), LeasedClaims.NO_OUTCOME);
            } else {
                deliveries.add(delivery);
            }
        }
        record(unfinished);
        return deliveries;
    }

    /**
     * One delivery of a begun batch (the body) becomes the message: the canonical event JSON, no headers, with
     * {@link #ATTEMPTING} true. A delivery the sink's circuit holds back (it opened while the batch was under way,
     * or another delivery is its probe) is handed back instead, its attempt not counted.
     */
    public void open(Exchange exchange) {
        Delivery delivery = exchange.getIn().getBody(Delivery.class);
        if (!circuits.mayAttempt(delivery.sink())) {
            claims.giveBackStarted("delivery", delivery.claim());
            exchange.setProperty(ATTEMPTING, false);
            return;
        }
        exchange.setProperty(ATTEMPTING, true);
        exchange.setProperty(DELIVERY, delivery);
        exchange.setProperty(DELIVERY_ID, delivery.claim().id());
        exchange.setProperty(SINK, delivery.sink());
        exchange.setProperty(EVENT_SEQ, delivery.eventSeq());
        exchange.setProperty(ORDER_KEY, delivery.orderKey());
        exchange.setProperty(EventExchange.EVENT_ID, delivery.eventId());
        exchange.setProperty(ATTEMPT, delivery.attempt());
        exchange.getMessage().removeHeaders("*");
        exchange.getMessage().setBody(delivery.payload());
    }

    /**
     * Whether a begun batch goes to a sink that takes a whole batch at once ({@code batched}: its route
     * direct:sink-&lt;name&gt;-batch) in one call: while its circuit is closed, and with more than one delivery. A
     * probe, or a batch of one, goes the usual way, one delivery at a time.
     */
    public boolean sendTogether(List<Delivery> begun, String sink, boolean batched) {
        return batched && begun.size() > 1 && circuits.state(sink) == SinkCircuits.State.CLOSED;
    }

    /**
     * The sink took the whole batch (the {@link #BATCH} property) in one transaction of its own: each delivery's
     * outcome is recorded DELIVERED, all in one transaction, and the body becomes an empty list, so nothing is sent
     * one at a time after it.
     */
    public List<Delivery> deliveredTogether(Exchange exchange) {
        @SuppressWarnings("unchecked")
        List<Delivery> batch = exchange.getProperty(BATCH, List.class);
        OffsetDateTime now = OffsetDateTime.now(clock);
        List<Outcome> outcomes = new ArrayList<>();
        for (Delivery delivery : batch) {
            outcomes.add(new Outcome(delivery.claim(), delivery.line(), delivery.attempt(), delivery.startedAt(), now,
                    "DELIVERED", null, null));
        }
        circuits.succeeded(batch.get(0).sink());
        metrics.counter("labhooks.deliveries", "sink", batch.get(0).sink(), "outcome", "delivered").increment(batch.size());
        metrics.counter("labhooks.sinks.batches", "sink", batch.get(0).sink(), "outcome", "together").increment();
        record(outcomes);
        return List.of();
    }

    /**
     * The sink refused the batch as a whole (one bad event, or the sink's database away): nothing of it was kept, and
     * the body becomes the batch again, to be sent one delivery at a time, so a bad event fails alone and the others
     * go through on this same attempt.
     */
    public List<Delivery> sendAlone(Exchange exchange) {
        @SuppressWarnings("unchecked")
        List<Delivery> batch = exchange.getProperty(BATCH, List.class);
        Throwable failure = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        LOG.warn("A batch of {} deliveries to sink {} failed as a whole ({}); sending them one at a time", batch.size(), batch.get(0).sink(),
                describe(failure));
        metrics.counter("labhooks.sinks.batches", "sink", batch.get(0).sink(), "outcome", "one-at-a-time").increment();
        return batch;
    }

    /** The receiver took it: the body becomes the {@link Outcome} to record. */
    public void markDelivered(Exchange exchange) {
        Delivery delivery = exchange.getProperty(DELIVERY, Delivery.class);
        circuits.succeeded(delivery.sink());
        metrics.counter("labhooks.deliveries", "sink", delivery.sink(), "outcome", "delivered").increment();
        exchange.getMessage().setBody(new Outcome(delivery.claim(), delivery.line(), delivery.attempt(), delivery.startedAt(),
                OffsetDateTime.now(clock), "DELIVERED", null, null));
    }

    /** The attempt failed: the body becomes the {@link Outcome} to record, a retry on the sink's backoff or DEAD. */
    public void markFailed(Exchange exchange) {
        Delivery delivery = exchange.getProperty(DELIVERY, Delivery.class);
        String sinkName = delivery.sink();
        int attempt = delivery.attempt();
        Throwable failure = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String error = describe(failure);
        LabhooksProperties.Retry retry = sinks.named(sinkName).map(Sink::retry).orElse(null);
        boolean refused = refusedForGood(failure);
        boolean dead = retry == null || attempt >= retry.maxAttempts() || refused;
        if (refused) {
            circuits.succeeded(sinkName); // the receiver is up: it answered, if only to refuse this one
        } else {
            circuits.failed(sinkName);
        }
        OffsetDateTime now = OffsetDateTime.now(clock);
        OffsetDateTime next = dead ? null : now.plus(backoff(retry, attempt));
        if (dead) {
            LOG.error("Delivery {} of event {} to sink {} is DEAD after {} attempt(s): {}",
                    delivery.claim().id(), delivery.eventId(), sinkName, attempt, error);
        } else {
            LOG.warn("Delivery {} of event {} to sink {} failed (attempt {}), next try at {}: {}",
                    delivery.claim().id(), delivery.eventId(), sinkName, attempt, next, error);
        }
        metrics.counter("labhooks.deliveries", "sink", sinkName, "outcome", dead ? "dead" : "retry").increment();
        exchange.getMessage().setBody(new Outcome(delivery.claim(), delivery.line(), attempt, delivery.startedAt(), now,
                dead ? "DEAD" : "PENDING", error, next));
    }

    /**
     * Records the outcomes the sinks' workers handed in since the last call (deliver.camel.yaml gathers them), in
     * one transaction: each delivery's new state, its attempt for the operator's timeline, and for each delivery
     * that is done (DELIVERED or DEAD) its order's next delivery made the head of line. The orders are locked first,
     * in one order, as recording an event locks its order, so that a delivery queued meanwhile is not left behind
     * a head that has gone. A transaction that loses a lock conflict is tried again. An outcome whose claim ran out
     * first (one attempt took longer than a whole lease) is left to the worker that claimed it next.
     */
    public void record(List<Outcome> outcomes) {
        if (outcomes.isEmpty()) {
            return;
        }
        List<Map<String, Object>> states = new ArrayList<>();
        List<Line> done = new ArrayList<>();
        for (Outcome outcome : outcomes) {
            Map<String, Object> state = new HashMap<>(); // Map.of takes no null
            state.put("status", outcome.status());
            state.put("deliveredAt", timestamp("DELIVERED".equals(outcome.status()) ? outcome.finishedAt() : null));
            state.put("next", timestamp(outcome.next()));
            state.put("error", outcome.error());
            boolean ends = !"PENDING".equals(outcome.status()) && outcome.line().orderKey() != null;
            // a delivery that is done is no longer its order's head, in the outcome's own update (not one more)
            state.put("endsHead", ends);
            states.add(state);
            if (ends) {
                done.add(outcome.line());
            }
        }
        for (int tried = 1; ; tried++) {
            try {
                transaction.executeWithoutResult(tx -> {
                    lockOrders(done);
                    boolean[] held = claims.finish("delivery",
                            "status = :status, delivered_at = :deliveredAt, next_attempt_at = COALESCE(:next, next_attempt_at),"
                                    + " last_error = :error, head_of_line = (head_of_line AND NOT :endsHead)",
                            outcomes.stream().map(Outcome::claim).toList(), states);
                    List<Object[]> attempts = new ArrayList<>();
                    for (int i = 0; i < held.length; i++) {
                        Outcome outcome = outcomes.get(i);
                        if (!held[i]) {
                            LOG.warn("Delivery {} outlived its claim; its outcome is left to the worker that claimed it next",
                                    outcome.claim().id());
                        }
                        attempts.add(new Object[] {outcome.claim().id(), outcome.attempt(), outcome.startedAt(),
                                outcome.finishedAt(), "PENDING".equals(outcome.status()) ? "FAILED" : outcome.status(),
                                outcome.error()});
                    }
                    jdbc.batchUpdate("""
                            INSERT INTO delivery_attempt (delivery_id, attempt, started_at, finished_at, outcome, error)
                            VALUES (?, ?, ?, ?, ?, ?)""", attempts);
                    nextHeads(done);
                });
                return;
            } catch (TransientDataAccessException conflict) {
                if (tried == 3) {
                    throw conflict;
                }
                LOG.info("Recording {} delivery outcomes met a lock conflict ({}); trying again", outcomes.size(),
                        conflict.getClass().getSimpleName());
            }
        }
    }

    /** A recorded canonical event to queue deliveries of: its sequence number, order key (or null) and type. */
    public record Queued(long eventSeq, String orderKey, String type) {
    }

    /**
     * Queues each canonical event's delivery to every active sink that takes its type, in one statement for a
     * batch of events given in sequence order. Part of the transaction that records the events, which holds their
     * orders' locks: a delivery is its order's head of line for the sink when no earlier delivery of the order to
     * that sink waits, in the queue or earlier in the batch; one without an order heads its own line.
     */
    public void queue(List<Queued> events, OffsetDateTime now) {
        List<Long> seqs = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<String> orderKeys = new ArrayList<>();
        List<Boolean> firstOfBatch = new ArrayList<>();
        Set<Line> lines = new HashSet<>();
        List<Sink> active = sinks.active();
        for (Queued event : events) {
            for (Sink sink : active) {
                if (sink.accepts(event.type())) {
                    seqs.add(event.eventSeq());
                    names.add(sink.name());
                    orderKeys.add(event.orderKey());
                    firstOfBatch.add(event.orderKey() == null || lines.add(new Line(sink.name(), event.orderKey())));
                }
            }
        }
        if (seqs.isEmpty()) {
            return;
        }
        // The NOT EXISTS sees the queue as it was before this statement, so a line's later deliveries in the batch are
        // told apart here (first_of_batch).
        jdbc.update("""
                INSERT INTO delivery (canonical_event_seq, sink, order_key, status, next_attempt_at, queued_at, head_of_line)
                SELECT q.seq, q.sink, q.order_key, 'PENDING', CAST(? AS TIMESTAMP WITH TIME ZONE),
                       CAST(? AS TIMESTAMP WITH TIME ZONE), q.first_of_batch AND NOT EXISTS (SELECT 1 FROM delivery e
                           WHERE e.sink = q.sink AND e.order_key = q.order_key AND e.status = 'PENDING')
                FROM UNNEST(CAST(? AS BIGINT ARRAY), CAST(? AS VARCHAR ARRAY), CAST(? AS VARCHAR ARRAY), CAST(? AS BOOLEAN ARRAY))
                     AS q (seq, sink, order_key, first_of_batch)""",
                timestamp(now), timestamp(now), seqs.toArray(Long[]::new), names.toArray(String[]::new),
                orderKeys.toArray(String[]::new), firstOfBatch.toArray(Boolean[]::new));
    }

    /**
     * A corrected revision goes out instead of what it corrects, wherever that has not gone out yet: the
     * superseded event's deliveries waiting or dead, and not being attempted, end SUPERSEDED. Part of the transaction
     * that records the revision.
     */
    public void supersede(String supersededEventId, int revision, OffsetDateTime now) {
        String which = """
                status IN ('PENDING', 'DEAD') AND (claimed_until IS NULL OR claimed_until < ?)
                AND canonical_event_seq IN (SELECT seq FROM canonical_event WHERE event_id = ?)""";
        List<Line> lines = lines("SELECT DISTINCT sink, order_key FROM delivery WHERE " + which, now, supersededEventId);
        lockOrders(lines);
        jdbc.update("UPDATE delivery SET status = 'SUPERSEDED', last_error = ? WHERE " + which,
                "superseded by revision " + revision, now, supersededEventId);
        refreshHeads(lines);
    }

    /**
     * Puts a delivery back in the queue with a fresh retry schedule starting now (an operator's retry or replay),
     * its order locked first. False when it is being attempted right now (the claim is checked again here).
     */
    public boolean requeue(long deliveryId, boolean replayed, OffsetDateTime now) {
        List<Line> lines = lines("SELECT sink, order_key FROM delivery WHERE id = ?", deliveryId);
        lockOrders(lines);
        int updated = jdbc.update("""
                UPDATE delivery SET status = 'PENDING', attempts = 0, next_attempt_at = ?, queued_at = ?, delivered_at = NULL,
                                    replayed = ?, claimed_until = NULL, claimed_by = NULL, head_of_line = order_key IS NULL
                WHERE id = ? AND (claimed_until IS NULL OR claimed_until < ?)""", now, now, replayed, deliveryId, now);
        refreshHeads(lines);
        return updated == 1;
    }

    /** Queues a replayed delivery of an event to a sink that never had one, its order locked first. */
    public void queueReplay(long eventSeq, String sink, String orderKey, OffsetDateTime now) {
        List<Line> lines = orderKey == null ? List.of() : List.of(new Line(sink, orderKey));
        lockOrders(lines);
        jdbc.update("""
                INSERT INTO delivery (canonical_event_seq, sink, order_key, status, next_attempt_at, queued_at, replayed, head_of_line)
                VALUES (?, ?, ?, 'PENDING', ?, ?, TRUE, ?)""", eventSeq, sink, orderKey, now, now, orderKey == null);
        refreshHeads(lines);
    }

    /**
     * Deletes the deliveries (and their attempts) of the given canonical events, for an erasure that holds the
     * order's lock; the orders of other lines touched (revisions mapped to another order) get their heads again.
     * The number of deliveries deleted.
     */
    public int forget(Collection<Long> eventSeqs) {
        if (eventSeqs.isEmpty()) {
            return 0;
        }
        Map<String, Object> seqs = Map.of("seqs", eventSeqs);
        List<Line> lines = ordered(named.query("SELECT DISTINCT sink, order_key FROM delivery WHERE canonical_event_seq IN (:seqs)",
                seqs, LINE));
        lockOrders(lines);
        named.update("DELETE FROM delivery_attempt WHERE delivery_id IN (SELECT id FROM delivery WHERE canonical_event_seq IN (:seqs))",
                seqs);
        int deleted = named.update("DELETE FROM delivery WHERE canonical_event_seq IN (:seqs)", seqs);
        refreshHeads(lines);
        return deleted;
    }

    /** What an erasure finds of the given canonical events' deliveries, which it has locked. */
    public record Held(int deliveries, int inFlight, int attempts) {
    }

    /**
     * Locks the deliveries of the given canonical events (an erasure's, under the order's lock), so that no attempt
     * starts on rows about to go, and counts them, those being attempted right now, and their attempts.
     */
    public Held hold(Collection<Long> eventSeqs, OffsetDateTime now) {
        if (eventSeqs.isEmpty()) {
            return new Held(0, 0, 0);
        }
        Map<String, Object> seqs = Map.of("seqs", eventSeqs, "now", now);
        List<Long> held = named.queryForList("SELECT id FROM delivery WHERE canonical_event_seq IN (:seqs) FOR UPDATE", seqs,
                Long.class);
        Integer inFlight = named.queryForObject(
                "SELECT COUNT(*) FROM delivery WHERE claimed_until > :now AND canonical_event_seq IN (:seqs)", seqs, Integer.class);
        Integer attempts = named.queryForObject("""
                SELECT COUNT(*) FROM delivery_attempt WHERE delivery_id IN
                    (SELECT id FROM delivery WHERE canonical_event_seq IN (:seqs))""", seqs, Integer.class);
        return new Held(held.size(), inFlight == null ? 0 : inFlight, attempts == null ? 0 : attempts);
    }

    private static final RowMapper<Line> LINE = (rs, row) -> new Line(rs.getString("sink"), rs.getString("order_key"));

    private List<Line> lines(String sql, Object... parameters) {
        return ordered(jdbc.query(sql, LINE, parameters));
    }

    /** The lines that belong to an order (a delivery without one has no head of line to keep), each once. */
    private static List<Line> ordered(List<Line> lines) {
        return lines.stream().filter(line -> line.orderKey() != null).distinct().toList();
    }

    /** The orders' locks, in one order (every writer of the head of line takes them so, or as recording does). */
    private void lockOrders(List<Line> lines) {
        locks.lock(lines.stream().map(Line::orderKey).toList());
    }

    /**
     * Makes each line's earliest PENDING delivery its head of line and no other, under the orders' locks: the heads
     * that are not their line's earliest are cleared (a JDBC batch, each reading one order's waiting deliveries to one
     * sink through ix_delivery_sink_order), then {@link #nextHeads} sets the earliest.
     */
    private void refreshHeads(List<Line> lines) {
        List<Line> distinct = lines.stream().distinct().toList();
        if (distinct.isEmpty()) {
            return;
        }
        String earliest = """
                (SELECT e.id FROM delivery e WHERE e.sink = ? AND e.order_key = ? AND e.status = 'PENDING'
                 ORDER BY e.canonical_event_seq, e.id FETCH FIRST 1 ROW ONLY)""";
        jdbc.batchUpdate("UPDATE delivery SET head_of_line = FALSE WHERE sink = ? AND order_key = ? AND head_of_line = TRUE"
                + " AND id <> COALESCE(" + earliest + ", -1)",
                distinct.stream().map(line -> new Object[] {line.sink(), line.orderKey(), line.sink(), line.orderKey()}).toList());
        nextHeads(distinct);
    }

    /**
     * After deliveries that headed their lines are done (their own update cleared the head): each line's earliest
     * PENDING delivery becomes its head, for all the lines in one statement, under the orders' locks. Nothing else of
     * a line can be its head then: every writer that makes a delivery PENDING again refreshes the whole line.
     */
    private void nextHeads(List<Line> lines) {
        List<Line> distinct = lines.stream().distinct().toList();
        if (distinct.isEmpty()) {
            return;
        }
        jdbc.update("""
                UPDATE delivery SET head_of_line = TRUE WHERE head_of_line = FALSE AND id IN (
                    SELECT (SELECT e.id FROM delivery e WHERE e.sink = line.sink AND e.order_key = line.order_key AND e.status = 'PENDING'
                            ORDER BY e.canonical_event_seq, e.id FETCH FIRST 1 ROW ONLY)
                    FROM UNNEST(CAST(? AS VARCHAR ARRAY), CAST(? AS VARCHAR ARRAY)) AS line (sink, order_key))""",
                distinct.stream().map(Line::sink).toArray(String[]::new), distinct.stream().map(Line::orderKey).toArray(String[]::new));
    }

    /** Typed, so that a null is a null timestamp to PostgreSQL too. */
    private static SqlParameterValue timestamp(OffsetDateTime time) {
        return new SqlParameterValue(Types.TIMESTAMP_WITH_TIMEZONE, time);
    }

    /** initialDelay * multiplier^(attempt-1), capped, with +-20% jitter so retries of a burst spread out. */
    static Duration backoff(LabhooksProperties.Retry retry, int attempt) {
        double jitter = 0.8 + 0.4 * ThreadLocalRandom.current().nextDouble();
        return Duration.ofMillis((long) (retry.delayAfter(attempt).toMillis() * jitter));
    }

    /** A receiver's 4xx means "never": retrying cannot help, except 408 (timeout) and 429 (slow down). */
    private static boolean refusedForGood(Throwable failure) {
        return failure instanceof HttpOperationFailedException http && http.getStatusCode() >= 400
                && http.getStatusCode() < 500 && http.getStatusCode() != 408 && http.getStatusCode() != 429;
    }

    private static boolean sqlFailure(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof java.sql.SQLException || cause instanceof org.springframework.dao.DataAccessException) {
                return true;
            }
        }
        return false;
    }

    /** Status codes and exception types, not response bodies or URLs, which may carry secrets. */
    private static String describe(Throwable failure) {
        if (failure == null) {
            return "unknown error";
        }
        if (failure instanceof HttpOperationFailedException http) {
            return "HTTP " + http.getStatusCode() + " from the receiver";
        }
        String message = failure.getClass().getSimpleName() + ": " + failure.getMessage();
        if (sqlFailure(failure)) {
            // A database quotes the refused values (H2 on the first line, PostgreSQL's "Detail:" below it): keep the
            // first line, without what it quotes, so no event content reaches the log or the delivery's record.
            message = message.lines().findFirst().orElse("").replaceAll("'[^']*'", "'…'");
        }
        return message.length() > 2000 ? message.substring(0, 2000) : message;
    }
}
