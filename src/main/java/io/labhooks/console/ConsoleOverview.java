package io.labhooks.console;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

import io.labhooks.admin.EventQueries;
import io.labhooks.operations.PipelineBacklog;

/**
 * The overview's figures. Stored webhooks, mapping failures, last received times and the queues come from the
 * database, so every box shows the same; rejected and duplicate webhooks are never stored (a flood of forged
 * requests must not fill the database), so they are this box's own counters since it started.
 */
@Component
class ConsoleOverview {

    static final Duration WINDOW = Duration.ofHours(24);

    record ProviderFigures(String provider, long received, long failed, Instant lastReceivedAt, String lastReceivedAgo,
                           boolean silent, long rejectedSignature, long rejectedInput, long notConfigured, long errors,
                           long duplicates) {
    }

    record SinkFigures(String sink, long pending, String oldestPending, long dead) {
    }

    record Figures(List<ProviderFigures> providers, List<SinkFigures> sinks, long inboundWaiting, String oldestWaiting,
                   long inboundFailed, Instant at, Instant boxStartedAt, String silentAfter) {
    }

    private final EventQueries queries;
    private final PipelineBacklog backlog;
    private final MeterRegistry metrics;
    private final Clock clock;
    private final Duration silentAfter;
    private final Instant startedAt;

    ConsoleOverview(EventQueries queries, PipelineBacklog backlog, MeterRegistry metrics, Clock clock,
                    @Value("${labhooks.console.silent-after:PT24H}") Duration silentAfter) {
        this.queries = queries;
        this.backlog = backlog;
        this.metrics = metrics;
        this.clock = clock;
        this.silentAfter = silentAfter;
        this.startedAt = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    }

    Figures figures() {
        Instant now = clock.instant();
        Map<String, Map<String, Object>> stored = queries.providerActivity(OffsetDateTime.ofInstant(now.minus(WINDOW), ZoneOffset.UTC));
        Map<String, Map<String, Double>> outcomes = new TreeMap<>();
        for (Counter counter : metrics.find("labhooks.webhooks").counters()) {
            String provider = counter.getId().getTag("provider");
            String outcome = counter.getId().getTag("outcome");
            if (provider != null && outcome != null) {
                outcomes.computeIfAbsent(provider, p -> new TreeMap<>()).merge(outcome, counter.count(), Double::sum);
            }
        }
        TreeSet<String> names = new TreeSet<>(stored.keySet());
        names.addAll(outcomes.keySet());
        List<ProviderFigures> providers = names.stream().map(name -> {
            Map<String, Object> s = stored.getOrDefault(name, Map.of());
            Map<String, Double> o = outcomes.getOrDefault(name, Map.of());
            Instant last = (Instant) s.get("lastReceivedAt");
            return new ProviderFigures(name, number(s.get("received")), number(s.get("failed")), last,
                    last == null ? "never" : ago(Duration.between(last, now)),
                    last == null || Duration.between(last, now).compareTo(silentAfter) > 0,
                    count(o, "rejected_signature"), count(o, "rejected_input"), count(o, "not_configured"),
                    count(o, "error"), count(o, "duplicate"));
        }).toList();
        PipelineBacklog.Snapshot snapshot = backlog.snapshot();
        List<SinkFigures> sinks = snapshot.sinks().entrySet().stream().map(e -> new SinkFigures(e.getKey(),
                e.getValue().pending(), e.getValue().pending() == 0 ? "–" : age(e.getValue().oldestPending()),
                e.getValue().dead())).toList();
        return new Figures(providers, sinks, snapshot.inbound().waiting(),
                snapshot.inbound().waiting() == 0 ? "–" : age(snapshot.inbound().oldestWaiting()), snapshot.inbound().failed(),
                now.truncatedTo(java.time.temporal.ChronoUnit.SECONDS), startedAt, age(silentAfter));
    }

    /** "3 min ago", "2 h ago", "5 days ago": what an operator reads at a glance. */
    static String ago(Duration since) {
        return since.isNegative() ? "just now" : age(since) + " ago";
    }

    static String age(Duration age) {
        long seconds = age.toSeconds();
        if (seconds < 60) {
            return seconds + " s";
        }
        if (seconds < 3600) {
            return seconds / 60 + " min";
        }
        if (seconds < 2 * 86400) {
            return seconds / 3600 + " h";
        }
        return seconds / 86400 + " days";
    }

    private static long number(Object value) {
        return value == null ? 0 : ((Number) value).longValue();
    }

    private static long count(Map<String, Double> outcomes, String outcome) {
        return Math.round(outcomes.getOrDefault(outcome, 0.0));
    }
}
