package io.labhooks.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.springframework.boot.context.properties.ConfigurationProperties;

/** Everything an operator sets under {@code labhooks.*} in application.yaml. */
@ConfigurationProperties("labhooks")
public record LabhooksProperties(String routesDir, String mappingsDir, Ingest ingest, Pipeline pipeline, Sinks sinks,
                                 Admin admin, Retention retention, Instance instance, Orders orders) {

    public record Ingest(long maxBodyBytes, long signatureToleranceSeconds) {
    }

    public record Pipeline(long pollIntervalMs, int batchSize, int claimSeconds, int normaliseMaxAttempts,
                           long mappingTimeoutMs, int mappingMaxDepth) {
    }

    public record Sinks(HttpSink http, JdbcSink jdbc, EmailSink email) {
    }

    /** Exponential backoff between delivery attempts; the last failure leaves the delivery DEAD. */
    public record Retry(Duration initialDelay, double multiplier, Duration maxDelay, int maxAttempts) {

        /** The wait after a failed attempt (1-based), before jitter: initialDelay * multiplier^(attempt-1), capped. */
        public Duration delayAfter(int attempt) {
            double millis = initialDelay.toMillis() * Math.pow(multiplier, Math.max(0, attempt - 1));
            return Duration.ofMillis((long) Math.min(millis, maxDelay.toMillis()));
        }

        /** How long the schedule keeps trying before the delivery is DEAD, before jitter. */
        public Duration totalSchedule() {
            Duration total = Duration.ZERO;
            for (int attempt = 1; attempt < maxAttempts; attempt++) {
                total = total.plus(delayAfter(attempt));
            }
            return total;
        }
    }

    /**
     * A sink's circuit breaker: after this many failed attempts in a row the sink is taken for down, and only one
     * delivery (the probe) is tried per probe interval until one succeeds.
     */
    public record Circuit(int failures, Duration probeInterval) {
    }

    /** {@code concurrency}: how many deliveries to the sink are sent at once (of different orders). */
    public record HttpSink(String url, String secret, List<String> types, List<String> excludeTypes, Retry retry,
                           Circuit circuit, int concurrency) {
    }

    public record JdbcSink(boolean enabled, String url, String username, String password,
                           List<String> types, List<String> excludeTypes, Retry retry, Circuit circuit, int concurrency) {
    }

    public record EmailSink(String host, int port, String from, String to, String username, String password,
                            boolean starttls, List<String> types, List<String> excludeTypes, Retry retry,
                            Circuit circuit, int concurrency) {
    }

    /**
     * The operator API under /admin: off unless a token is set (several may be listed, separated by spaces or
     * commas, to rotate one). Raw payloads are shown with every value redacted except those of visible fields.
     */
    public record Admin(String token, List<String> rawPayloadVisibleFields) {
    }

    /**
     * This box among the boxes sharing its database: a name that stays the same across its restarts (empty: host
     * name and HTTP port), how often it writes its heartbeat, and after how long without one a box is taken for
     * gone and its claims are released.
     */
    public record Instance(String name, Duration heartbeatInterval, Duration lapse) {
    }

    /** Raw payloads are purged this many days after they were received, once normalised. */
    public record Retention(int rawPayloadDays, Duration sweepInterval) {
    }

    /**
     * The canonical-event fields (dotted paths such as refs.kitIds) that name one order, by kind of id: events
     * naming any id already linked to an order join that order. Absent: no linking, one id per order as before.
     */
    public record Orders(Map<String, List<String>> linkRefs) {
    }
}
