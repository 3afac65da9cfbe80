package io.labhooks.delivery;

import java.time.Clock;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.Exchange;
import org.apache.camel.http.base.HttpOperationFailedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

import io.labhooks.config.LabhooksProperties;
import io.labhooks.ingest.WebhookExchange;
import io.labhooks.queue.LeasedClaims;

/**
 * Deliveries of canonical events to sinks, kept in the database so they survive restarts. Due deliveries are
 * claimed in batches with a lease ({@link LeasedClaims}); a failure is retried on the sink's exponential schedule with jitter,
 * and a delivery that keeps failing (or that the receiver refuses outright with a 4xx) ends as DEAD with its last
 * error: never silently dropped.
 */
@Component("deliveryQueue")
public class DeliveryQueue {

    private static final Logger LOG = LoggerFactory.getLogger(DeliveryQueue.class);
    public static final String DELIVERY_ID = "deliveryId";
    public static final String SINK = "sink";
    public static final String EVENT_SEQ = "eventSeq";
    public static final String ATTEMPT = "attempt";

    private final JdbcTemplate jdbc;
    private final LeasedClaims claims;
    private final SinkCatalog sinks;
    private final Clock clock;
    private final MeterRegistry metrics;

    public DeliveryQueue(JdbcTemplate jdbc, LeasedClaims claims, SinkCatalog sinks, Clock clock, MeterRegistry metrics) {
        this.jdbc = jdbc;
        this.claims = claims;
        this.sinks = sinks;
        this.clock = clock;
        this.metrics = metrics;
    }

    /** Ids of the claimed deliveries, in canonical event order. */
    public List<Long> claimDue() {
        return claims.claim("delivery", "status = 'PENDING' AND next_attempt_at <= :now", "canonical_event_seq, id");
    }

    /** The canonical event JSON as the body, the sink and event in exchange properties, no headers. */
    public void load(Exchange exchange) {
        long id = exchange.getIn().getBody(Long.class);
        String payload = jdbc.queryForObject("""
                SELECT d.sink, d.attempts, c.seq, c.event_id, c.payload
                FROM delivery d JOIN canonical_event c ON c.seq = d.canonical_event_seq WHERE d.id = ?""", (rs, n) -> {
            exchange.setProperty(SINK, rs.getString("sink"));
            exchange.setProperty(ATTEMPT, rs.getInt("attempts"));
            exchange.setProperty(EVENT_SEQ, rs.getLong("seq"));
            exchange.setProperty(WebhookExchange.EVENT_ID, rs.getString("event_id"));
            return rs.getString("payload");
        }, id);
        exchange.setProperty(DELIVERY_ID, id);
        exchange.getMessage().removeHeaders("*");
        exchange.getMessage().setBody(payload);
    }

    public void markDelivered(Exchange exchange) {
        jdbc.update("""
                UPDATE delivery SET status = 'DELIVERED', delivered_at = ?, claimed_until = NULL, last_error = NULL
                WHERE id = ?""", OffsetDateTime.now(clock), exchange.getProperty(DELIVERY_ID, Long.class));
        metrics.counter("labhooks.deliveries", "sink", exchange.getProperty(SINK, String.class), "outcome", "delivered")
                .increment();
    }

    public void markFailed(Exchange exchange) {
        long id = exchange.getProperty(DELIVERY_ID, Long.class);
        String sinkName = exchange.getProperty(SINK, String.class);
        int attempt = exchange.getProperty(ATTEMPT, Integer.class);
        Throwable failure = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String error = describe(failure);
        LabhooksProperties.Retry retry = sinks.named(sinkName).map(Sink::retry).orElse(null);
        boolean dead = retry == null || attempt >= retry.maxAttempts() || refusedForGood(failure);
        if (dead) {
            jdbc.update("UPDATE delivery SET status = 'DEAD', claimed_until = NULL, last_error = ? WHERE id = ?", error, id);
            LOG.error("Delivery {} of event {} to sink {} is DEAD after {} attempt(s): {}", id,
                    exchange.getProperty(WebhookExchange.EVENT_ID), sinkName, attempt, error);
        } else {
            OffsetDateTime next = OffsetDateTime.now(clock).plus(backoff(retry, attempt));
            jdbc.update("UPDATE delivery SET next_attempt_at = ?, claimed_until = NULL, last_error = ? WHERE id = ?",
                    next, error, id);
            LOG.warn("Delivery {} of event {} to sink {} failed (attempt {}), next try at {}: {}", id,
                    exchange.getProperty(WebhookExchange.EVENT_ID), sinkName, attempt, next, error);
        }
        metrics.counter("labhooks.deliveries", "sink", sinkName, "outcome", dead ? "dead" : "retry").increment();
    }

    /** initialDelay * multiplier^(attempt-1), capped, with +-20% jitter so retries of a burst spread out. */
    static Duration backoff(LabhooksProperties.Retry retry, int attempt) {
        double millis = retry.initialDelay().toMillis() * Math.pow(retry.multiplier(), Math.max(0, attempt - 1));
        millis = Math.min(millis, retry.maxDelay().toMillis());
        double jitter = 0.8 + 0.4 * ThreadLocalRandom.current().nextDouble();
        return Duration.ofMillis((long) (millis * jitter));
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
