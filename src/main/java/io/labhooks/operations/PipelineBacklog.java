package io.labhooks.operations;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.Map;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

import io.labhooks.delivery.Sink;
import io.labhooks.delivery.SinkCatalog;

/**
 * How much work is waiting, read from the database (so it is the same on every box sharing it): per sink, the
 * pending deliveries, the age of the oldest and the dead letters; and the stored webhooks waiting to be mapped
 * or FAILED. Read at most every couple of seconds however often health and metrics are scraped.
 */
@Component
public class PipelineBacklog implements MeterBinder {

    /** One sink's queue; the oldest age is zero when nothing is pending. */
    public record SinkBacklog(long pending, Duration oldestPending, long dead) {
    }

    /** The queue of stored webhooks not yet mapped, and those whose mapping failed for good. */
    public record InboundBacklog(long waiting, Duration oldestWaiting, long failed) {
    }

    public record Snapshot(Map<String, SinkBacklog> sinks, InboundBacklog inbound, Instant at) {
    }

    private static final Duration FRESH = Duration.ofSeconds(2);

    private final JdbcTemplate jdbc;
    private final SinkCatalog sinks;
    private final Clock clock;
    private volatile Snapshot last;

    public PipelineBacklog(JdbcTemplate jdbc, SinkCatalog sinks, Clock clock) {
        this.jdbc = jdbc;
        this.sinks = sinks;
        this.clock = clock;
    }

    public Snapshot snapshot() {
        Snapshot snapshot = last;
        Instant now = clock.instant();
        if (snapshot == null || snapshot.at().plus(FRESH).isBefore(now)) {
            snapshot = read(now);
            last = snapshot;
        }
        return snapshot;
    }

    private Snapshot read(Instant now) {
        Map<String, long[]> counts = new LinkedHashMap<>();
        Map<String, Instant> oldest = new LinkedHashMap<>();
        for (Sink sink : sinks.active()) {
            counts.put(sink.name(), new long[2]);
        }
        jdbc.query("""
                SELECT sink, status, COUNT(*) AS n, MIN(queued_at) AS oldest FROM delivery
                WHERE status IN ('PENDING', 'DEAD') GROUP BY sink, status""", row -> {
            long[] sinkCounts = counts.computeIfAbsent(row.getString("sink"), s -> new long[2]);
            boolean pending = "PENDING".equals(row.getString("status"));
            sinkCounts[pending ? 0 : 1] = row.getLong("n");
            OffsetDateTime queued = row.getObject("oldest", OffsetDateTime.class);
            if (pending && queued != null) {
                oldest.put(row.getString("sink"), queued.toInstant());
            }
        });
        Map<String, SinkBacklog> backlog = new LinkedHashMap<>();
        counts.forEach((sink, n) -> backlog.put(sink, new SinkBacklog(n[0], age(oldest.get(sink), now), n[1])));

        long[] inbound = new long[2];
        Instant[] oldestWaiting = new Instant[1];
        jdbc.query("""
                SELECT status, COUNT(*) AS n, MIN(received_at) AS oldest FROM inbound_event
                WHERE status IN ('FETCHING', 'RECEIVED', 'FAILED') GROUP BY status""", row -> {
            // waiting: for its resources to be fetched (FETCHING) or to be normalised (RECEIVED)
            boolean waiting = !"FAILED".equals(row.getString("status"));
            inbound[waiting ? 0 : 1] += row.getLong("n");
            Instant since = row.getObject("oldest", OffsetDateTime.class).toInstant();
            if (waiting && (oldestWaiting[0] == null || since.isBefore(oldestWaiting[0]))) {
                oldestWaiting[0] = since;
            }
        });
        return new Snapshot(backlog, new InboundBacklog(inbound[0], age(oldestWaiting[0], now), inbound[1]), now);
    }

    private static Duration age(Instant since, Instant now) {
        return since == null || since.isAfter(now) ? Duration.ZERO : Duration.between(since, now);
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        for (Sink sink : sinks.active()) {
            String name = sink.name();
            Gauge.builder("labhooks.deliveries.backlog", () -> sinkBacklog(name).pending())
                    .description("deliveries waiting to be made").tag("sink", name).register(registry);
            Gauge.builder("labhooks.deliveries.oldest.pending.age", () -> sinkBacklog(name).oldestPending().toMillis() / 1000.0)
                    .description("seconds since the oldest waiting delivery was queued").baseUnit("seconds")
                    .tag("sink", name).register(registry);
            Gauge.builder("labhooks.deliveries.dead", () -> sinkBacklog(name).dead())
                    .description("dead-lettered deliveries, kept until retried or replayed").tag("sink", name).register(registry);
        }
        Gauge.builder("labhooks.inbound.waiting", () -> snapshot().inbound().waiting())
                .description("stored webhooks waiting to be mapped").register(registry);
        Gauge.builder("labhooks.inbound.failed", () -> snapshot().inbound().failed())
                .description("stored webhooks whose mapping failed for good, kept until remapped").register(registry);
    }

    private SinkBacklog sinkBacklog(String sink) {
        return snapshot().sinks().getOrDefault(sink, new SinkBacklog(0, Duration.ZERO, 0));
    }
}
