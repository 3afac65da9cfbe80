package io.labhooks.delivery;

import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ThreadLocalRandom;

import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.Exchange;
import org.apache.camel.http.base.HttpOperationFailedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import io.labhooks.config.LabhooksProperties;
import io.labhooks.event.EventExchange;
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
    public static final String CLAIM = "deliveryClaim";
    public static final String CLAIM_HELD = "claimHeld";
    public static final String SINK = "sink";
    public static final String EVENT_SEQ = "eventSeq";
    /** The order the event was recorded under (canonical_event.order_key): linking may have chosen it. */
    public static final String ORDER_KEY = "recordedOrderKey";
    public static final String ATTEMPT = "attempt";
    public static final String STARTED_AT = "attemptStartedAt";

    /** Due, and no earlier delivery of the same order to the same sink still waiting. */
    private static final String DUE_IN_ORDER = """
            sink = :sink AND status = 'PENDING' AND next_attempt_at <= :now
            AND (order_key IS NULL OR NOT EXISTS (SELECT 1 FROM delivery earlier
                 WHERE earlier.sink = delivery.sink AND earlier.order_key = delivery.order_key
                 AND earlier.status = 'PENDING' AND earlier.canonical_event_seq < delivery.canonical_event_seq))""";

    private final JdbcTemplate jdbc;
    private final TransactionTemplate transaction;
    private final LeasedClaims claims;
    private final SinkCatalog sinks;
    private final SinkCircuits circuits;
    private final SinkWorkers workers;
    private final int batchSize;
    private final Clock clock;
    private final MeterRegistry metrics;

    public DeliveryQueue(JdbcTemplate jdbc, TransactionTemplate transaction, LeasedClaims claims, SinkCatalog sinks,
                         SinkCircuits circuits, SinkWorkers workers, LabhooksProperties properties, Clock clock,
                         MeterRegistry metrics) {
        this.jdbc = jdbc;
        this.transaction = transaction;
        this.claims = claims;
        this.sinks = sinks;
        this.circuits = circuits;
        this.workers = workers;
        this.batchSize = properties.pipeline().batchSize();
        this.clock = clock;
        this.metrics = metrics;
    }

    /**
     * The claimed deliveries to one sink: live events before replayed ones, then in canonical event order. A sink
     * switched off on this box claims nothing, and neither does one whose circuit is open until a probe is due.
     */
    public List<Claim> claimDue(String sink) {
        if (sinks.named(sink).isEmpty() || !circuits.mayClaim(sink)) {
            return List.of();
        }
        // Batches are sent in parallel and the poller does not wait for them: claim only what the workers can
        // start soon, so one box holds at most a batch of a sink's claims and the others get the rest.
        return claims.claim("delivery", DUE_IN_ORDER, Map.of("sink", sink), "replayed, canonical_event_seq, id",
                batchSize - workers.inFlight(sink));
    }

    /**
     * Starts the attempt if the claim still holds and the sink's circuit lets it through ({@link #CLAIM_HELD});
     * then the canonical event JSON is the body, the sink and event are in exchange properties, and there are no
     * headers. A delivery held back by an open circuit is handed back without spending an attempt.
     */
    public void start(Exchange exchange, String sink) {
        Claim claim = exchange.getIn().getBody(Claim.class);
        exchange.setProperty(CLAIM, claim);
        exchange.setProperty(DELIVERY_ID, claim.id());
        if (!circuits.mayAttempt(sink)) {
            claims.giveBack("delivery", claim);
            exchange.setProperty(CLAIM_HELD, false);
            return;
        }
        OptionalInt attempt = claims.start("delivery", claim);
        exchange.setProperty(CLAIM_HELD, attempt.isPresent());
        if (attempt.isEmpty()) {
            LOG.info("Delivery {} was not started: its claim ran out first and it is left to the next claim", claim.id());
            return;
        }
        String payload = jdbc.queryForObject("""
                SELECT d.sink, c.seq, c.event_id, c.payload, c.order_key
                FROM delivery d JOIN canonical_event c ON c.seq = d.canonical_event_seq WHERE d.id = ?""", (rs, n) -> {
            exchange.setProperty(SINK, rs.getString("sink"));
            exchange.setProperty(EVENT_SEQ, rs.getLong("seq"));
            exchange.setProperty(ORDER_KEY, rs.getString("order_key"));
            exchange.setProperty(EventExchange.EVENT_ID, rs.getString("event_id"));
            return rs.getString("payload");
        }, claim.id());
        exchange.setProperty(ATTEMPT, attempt.getAsInt());
        exchange.setProperty(STARTED_AT, OffsetDateTime.now(clock));
        LabhooksProperties.Retry retry = sinks.named(exchange.getProperty(SINK, String.class)).map(Sink::retry).orElse(null);
        if (retry != null && attempt.getAsInt() > retry.maxAttempts()) {
            // Every attempt so far ended without an outcome (the box stopped during each): end it, visibly.
            exchange.setProperty(CLAIM_HELD, false);
            transaction.executeWithoutResult(tx -> {
                finish(exchange, "status = 'DEAD', last_error = :error", Map.of("error", LeasedClaims.NO_OUTCOME));
                recordAttempt(exchange, "DEAD", LeasedClaims.NO_OUTCOME, OffsetDateTime.now(clock));
            });
            LOG.error("Delivery {} is DEAD: {}", claim.id(), LeasedClaims.NO_OUTCOME);
            return;
        }
        exchange.getMessage().removeHeaders("*");
        exchange.getMessage().setBody(payload);
    }

    public void markDelivered(Exchange exchange) {
        OffsetDateTime now = OffsetDateTime.now(clock);
        transaction.executeWithoutResult(tx -> {
            finish(exchange, "status = 'DELIVERED', delivered_at = :now, last_error = NULL", Map.of("now", now));
            recordAttempt(exchange, "DELIVERED", null, now);
        });
        circuits.succeeded(exchange.getProperty(SINK, String.class));
        metrics.counter("labhooks.deliveries", "sink", exchange.getProperty(SINK, String.class), "outcome", "delivered")
                .increment();
    }

    public void markFailed(Exchange exchange) {
        String sinkName = exchange.getProperty(SINK, String.class);
        int attempt = exchange.getProperty(ATTEMPT, Integer.class);
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
        Object eventId = exchange.getProperty(EventExchange.EVENT_ID);
        OffsetDateTime next = dead ? null : now.plus(backoff(retry, attempt));
        transaction.executeWithoutResult(tx -> {
            if (dead) {
                finish(exchange, "status = 'DEAD', last_error = :error", Map.of("error", error));
            } else {
                finish(exchange, "next_attempt_at = :next, last_error = :error", Map.of("next", next, "error", error));
            }
            recordAttempt(exchange, dead ? "DEAD" : "FAILED", error, now);
        });
        if (dead) {
            LOG.error("Delivery {} of event {} to sink {} is DEAD after {} attempt(s): {}",
                    exchange.getProperty(DELIVERY_ID), eventId, sinkName, attempt, error);
        } else {
            LOG.warn("Delivery {} of event {} to sink {} failed (attempt {}), next try at {}: {}",
                    exchange.getProperty(DELIVERY_ID), eventId, sinkName, attempt, next, error);
        }
        metrics.counter("labhooks.deliveries", "sink", sinkName, "outcome", dead ? "dead" : "retry").increment();
    }

    private void finish(Exchange exchange, String set, Map<String, ?> parameters) {
        if (!claims.finish("delivery", exchange.getProperty(CLAIM, Claim.class), set, parameters)) {
            // Only if one attempt took longer than a whole lease: another worker may have tried it as well.
            LOG.warn("Delivery {} outlived its claim; its outcome is left to the worker that claimed it next",
                    exchange.getProperty(DELIVERY_ID));
        }
    }

    private void recordAttempt(Exchange exchange, String outcome, String error, OffsetDateTime finishedAt) {
        jdbc.update("""
                INSERT INTO delivery_attempt (delivery_id, attempt, started_at, finished_at, outcome, error)
                VALUES (?, ?, ?, ?, ?, ?)""", exchange.getProperty(DELIVERY_ID, Long.class),
                exchange.getProperty(ATTEMPT, Integer.class), exchange.getProperty(STARTED_AT, OffsetDateTime.class),
                finishedAt, outcome, error);
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

    /** Status codes and exception types, not response bodies or URLs, which may carry secrets. */
    private static String describe(Throwable failure) {
        if (failure == null) {
            return "unknown error";
        }
        if (failure instanceof HttpOperationFailedException http) {
            return "HTTP " + http.getStatusCode() + " from the receiver";
        }
        String message = failure.getClass().getSimpleName() + ": " + failure.getMessage();
        return message.length() > 2000 ? message.substring(0, 2000) : message;
    }
}
