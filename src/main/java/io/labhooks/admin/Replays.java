package io.labhooks.admin;

import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import io.labhooks.delivery.DeliveryQueue;
import io.labhooks.delivery.Sink;
import io.labhooks.delivery.SinkCatalog;
import io.labhooks.normalise.MappingFiles;
import io.labhooks.store.InboundEventStore;

/**
 * Puts work back in the queues, never performs it itself: the pipeline's own pollers then deliver or map it as
 * they do any other work (data still flows one way). Each action is audited in its own transaction; a dry run
 * only counts what would be replayed.
 */
@Component
public class Replays {

    private final NamedParameterJdbcTemplate jdbc;
    private final InboundEventStore store;
    private final TransactionTemplate transaction;
    private final AuditLog audit;
    private final SinkCatalog sinks;
    private final DeliveryQueue deliveries;
    private final MappingFiles mappings;
    private final Clock clock;

    public Replays(NamedParameterJdbcTemplate jdbc, InboundEventStore store, TransactionTemplate transaction, AuditLog audit, SinkCatalog sinks,
                   DeliveryQueue deliveries, MappingFiles mappings, Clock clock) {
        this.jdbc = jdbc;
        this.store = store;
        this.transaction = transaction;
        this.audit = audit;
        this.sinks = sinks;
        this.deliveries = deliveries;
        this.mappings = mappings;
        this.clock = clock;
    }

    /** A dead (or waiting) delivery gets a fresh retry schedule, starting now. */
    public Map<String, Object> retry(long deliveryId, String actor) {
        return transaction.execute(tx -> {
            OffsetDateTime now = OffsetDateTime.now(clock);
            List<Map<String, Object>> rows = jdbc.queryForList(
                    "SELECT sink, status, attempts, claimed_until FROM delivery WHERE id = :id FOR UPDATE", Map.of("id", deliveryId));
            if (rows.isEmpty()) {
                throw new AdminRequestException(404, "no delivery " + deliveryId);
            }
            Map<String, Object> row = rows.get(0);
            if ("DELIVERED".equals(row.get("status"))) {
                throw new AdminRequestException(409, "delivery " + deliveryId + " was delivered; replay its event to send it again");
            }
            if (inFlight(row.get("claimed_until"), now)) {
                throw new AdminRequestException(409, "delivery " + deliveryId + " is being attempted right now; try again shortly");
            }
            deliveries.requeue(deliveryId, false, now);
            audit.record(actor, "retry-delivery", "delivery " + deliveryId,
                    "sink " + row.get("sink") + ", was " + row.get("status") + " after " + row.get("attempts") + " attempt(s)");
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("deliveryId", deliveryId);
            result.put("status", "PENDING");
            return result;
        });
    }

    /** Canonical events matching the filter are delivered to the sink again (or for the first time). */
    public Map<String, Object> redeliver(String sinkName, EventFilter filter, boolean dryRun, String actor) {
        requireFilter(filter, dryRun);
        Sink sink = sinks.named(sinkName == null ? "" : sinkName).orElseThrow(() -> new AdminRequestException(400,
                "sink must name an active sink: " + sinks.active().stream().map(Sink::name).toList()));
        return transaction.execute(tx -> {
            OffsetDateTime now = OffsetDateTime.now(clock);
            EventFilter.Where where = filter.where("c.provider", "c.type", "c.order_key", "c.order_status", "c.received_at");
            where.parameters.put("sink", sink.name());
            List<Map<String, Object>> matched = jdbc.queryForList("""
                    SELECT c.seq, c.type, c.order_key, d.id AS delivery_id, d.claimed_until FROM canonical_event c
                    LEFT JOIN delivery d ON d.canonical_event_seq = c.seq AND d.sink = :sink
                    WHERE\s""" + where.sql() + " ORDER BY c.seq", where.parameters);
            List<Map<String, Object>> accepted = matched.stream().filter(r -> sink.accepts((String) r.get("type"))).toList();
            List<Map<String, Object>> replayable = accepted.stream().filter(r -> !inFlight(r.get("claimed_until"), now)).toList();
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("action", "redeliver");
            result.put("sink", sink.name());
            result.put("dryRun", dryRun);
            result.put("matched", replayable.size());
            result.put("skippedInFlight", accepted.size() - replayable.size());
            result.put("skippedTypeNotTakenBySink", matched.size() - accepted.size());
            if (dryRun) {
                return result;
            }
            int replayed = 0;
            for (Map<String, Object> event : replayable) {
                if (event.get("delivery_id") == null) {
                    deliveries.queueReplay(((Number) event.get("seq")).longValue(), sink.name(), (String) event.get("order_key"), now);
                    replayed++;
                } else if (deliveries.requeue(((Number) event.get("delivery_id")).longValue(), true, now)) {
                    // the claim was checked again: a poller may have started the delivery since it was read
                    replayed++;
                }
            }
            result.put("matched", replayed);
            result.put("skippedInFlight", accepted.size() - replayed);
            audit.record(actor, "replay-redeliver", "sink " + sink.name(), filter.describe() + "; " + replayed + " event(s)");
            return result;
        });
    }

    /**
     * Stored webhooks matching the filter are mapped again from their raw payload, with the mapping files as
     * they are now: one whose mapping failed is simply retried; one already mapped becomes a new revision with
     * its own event id, superseding the previous one. Purged payloads and events still in the pipeline are skipped.
     */
    public Map<String, Object> remap(EventFilter filter, boolean dryRun, String actor) {
        requireFilter(filter, dryRun);
        if (!dryRun) {
            mappings.reload(); // before any event is queued, so none of them is mapped with the old file
        }
        return transaction.execute(tx -> {
            OffsetDateTime now = OffsetDateTime.now(clock);
            EventFilter.Where where = filter.where("provider", "provider_event_type", EventFilter.INBOUND_EVENT_OF_ORDER,
                    "status", "received_at");
            List<Map<String, Object>> matched = jdbc.queryForList("SELECT id, status, body_purged_at, claimed_until"
                    + " FROM inbound_event WHERE " + where.sql() + " ORDER BY id", where.parameters);
            List<Object> remappable = matched.stream()
                    .filter(r -> r.get("body_purged_at") == null)
                    .filter(r -> ("NORMALISED".equals(r.get("status")) || "FAILED".equals(r.get("status")))
                            && !inFlight(r.get("claimed_until"), now))
                    .map(r -> r.get("id")).toList();
            Map<String, Object> counts = new LinkedHashMap<>();
            counts.put("action", "remap");
            counts.put("dryRun", dryRun);
            counts.put("matched", remappable.size());
            counts.put("skippedPurged", matched.stream().filter(r -> r.get("body_purged_at") != null).count());
            counts.put("skippedInPipeline", matched.size() - remappable.size()
                    - matched.stream().filter(r -> r.get("body_purged_at") != null).count());
            if (dryRun || remappable.isEmpty()) {
                return counts;
            }
            int remapped = store.remap(remappable, now);
            counts.put("matched", remapped);
            audit.record(actor, "replay-remap", "inbound events", filter.describe() + "; " + remapped + " event(s)");
            return counts;
        });
    }

    /** A replay of everything is almost never meant: it must be narrowed by at least one filter. */
    private static void requireFilter(EventFilter filter, boolean dryRun) {
        if (!dryRun && filter.isEmpty()) {
            throw new AdminRequestException(400, "a replay needs at least one filter: provider, type, order, status, from or to");
        }
    }

    private static boolean inFlight(Object claimedUntil, OffsetDateTime now) {
        if (claimedUntil == null) {
            return false;
        }
        OffsetDateTime until = claimedUntil instanceof java.sql.Timestamp t
                ? t.toInstant().atOffset(now.getOffset()) : (OffsetDateTime) claimedUntil;
        return until.isAfter(now);
    }
}
