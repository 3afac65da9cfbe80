package io.labhooks.queue;

import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.UUID;

import org.springframework.jdbc.core.RowCallbackHandler;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import io.labhooks.config.LabhooksProperties;
import io.labhooks.database.DatabaseProduct;
import io.labhooks.instances.BoxIdentity;

/**
 * Claims work rows (stored webhooks, deliveries, order resources to poll) for a limited time, so that any number of workers, in one box or
 * several boxes on one database, share the work without doing it twice. Rows are picked with
 * {@code FOR UPDATE SKIP LOCKED} and marked with the claiming worker and a lease. A worker renews the lease
 * ({@link #start}) just before it works on each row, so a long batch cannot outlive its lease, or, for work that
 * begins as soon as it is claimed, claims and starts a batch together ({@link #claimStarted}); a worker that dies
 * simply stops renewing, and its rows are claimed again once the lease has run out (the recovery sweep is the
 * claim query itself). Claims also name the box instance holding them, so the claims of a box that is gone are
 * released as soon as its heartbeat lapses ({@link io.labhooks.instances.BoxRegistry}). Only starting counts as an
 * attempt.
 */
@Component
public class LeasedClaims {

    /** The error of an item whose attempts all ran out without an outcome (the box stopped during each). */
    public static final String NO_OUTCOME = "every attempt ended without an outcome (the box stopped during each)";

    /** The tables whose rows are claimed here: every stage's work queue. */
    private static final List<String> QUEUES = List.of("inbound_event", "delivery", "poll_watch");

    /** One claimed row and the worker that holds it. */
    public record Claim(long id, String owner) {
    }

    private final NamedParameterJdbcTemplate jdbc;
    private final TransactionTemplate transaction;
    private final Clock clock;
    private final LabhooksProperties.Pipeline settings;
    private final BoxIdentity box;
    private final boolean h2;

    public LeasedClaims(NamedParameterJdbcTemplate jdbc, TransactionTemplate transaction, Clock clock,
                        LabhooksProperties properties, BoxIdentity box) {
        this.jdbc = jdbc;
        this.h2 = DatabaseProduct.of(jdbc.getJdbcTemplate()) == DatabaseProduct.H2;
        this.transaction = transaction;
        this.clock = clock;
        this.settings = properties.pipeline();
        this.box = box;
    }

    /**
     * Up to one batch of rows of {@code table} that are {@code ready} and under no live claim, in {@code order}.
     * The ready condition may use {@code :now} and the given named parameters.
     */
    public List<Claim> claim(String table, String ready, Map<String, ?> readyParameters, String order) {
        return claim(table, ready, readyParameters, order, settings.batchSize());
    }

    /** Like {@link #claim(String, String, Map, String)}, at most {@code limit} rows (none when it is not positive). */
    public List<Claim> claim(String table, String ready, Map<String, ?> readyParameters, String order, int limit) {
        return claim(table, ready, readyParameters, order, limit, false).stream().map(Started::claim).toList();
    }

    /** A claimed row whose attempt has started, and the attempt's number. */
    public record Started(Claim claim, int attempt) {
    }

    /**
     * Like {@link #claim(String, String, Map, String, int)}, and each row's attempt starts at once, in the same
     * statement and commit (as {@link #start} would start it): for a stage that works on a batch as soon as it has
     * claimed it. In the batch's order.
     */
    public List<Started> claimStarted(String table, String ready, Map<String, ?> readyParameters, String order, int limit) {
        return claim(table, ready, readyParameters, order, limit, true);
    }

    private List<Started> claim(String table, String ready, Map<String, ?> readyParameters, String order, int limit,
                                boolean start) {
        if (limit <= 0) {
            return List.of();
        }
        OffsetDateTime now = OffsetDateTime.now(clock);
        String owner = UUID.randomUUID().toString();
        Map<String, Object> parameters = new HashMap<>(readyParameters);
        parameters.put("now", now);
        parameters.put("batch", Math.min(limit, settings.batchSize()));
        parameters.put("until", now.plusSeconds(settings.claimSeconds()));
        parameters.put("owner", owner);
        parameters.put("instance", box.id());
        return transaction.execute(status -> {
            List<Long> ids = jdbc.queryForList(claimQuery(table, ready, order, h2), parameters, Long.class);
            if (ids.isEmpty()) {
                return List.of();
            }
            if (h2) {
                parameters.put("picked", ids);
                Set<Long> locked = new HashSet<>(jdbc.queryForList(lockQuery(table, ready), parameters, Long.class));
                ids = ids.stream().filter(locked::contains).toList(); // in the claim's order
                if (ids.isEmpty()) {
                    return List.of();
                }
            }
            parameters.put("ids", ids);
            // Only rows still unclaimed: on H2 a row picked and then claimed by another worker before it was locked is
            // left to that worker here (it would otherwise be claimed twice, and attempted twice).
            String update = "UPDATE " + table + " SET claimed_until = :until, claimed_by = :owner, claimed_instance = :instance"
                    + (start ? ", attempts = attempts + 1" : "") + " WHERE id IN (:ids) AND (claimed_until IS NULL OR claimed_until < :now)";
            Map<Long, Integer> attempts = new HashMap<>();
            RowCallbackHandler claimed = rs -> attempts.put(rs.getLong("id"), rs.getInt("attempts"));
            if (h2) {
                jdbc.update(update, parameters);
                jdbc.query("SELECT id, attempts FROM " + table + " WHERE id IN (:ids) AND claimed_by = :owner", parameters, claimed);
            } else {
                jdbc.query(update + " RETURNING id, attempts", parameters, claimed); // what was claimed, in the same statement
            }
            return ids.stream().filter(attempts::containsKey).map(id -> new Started(new Claim(id, owner), attempts.get(id))).toList();
        });
    }

    /**
     * The query that picks a claim's rows (parameters {@code :now}, {@code :batch} and those of {@code ready}); each
     * stage's is served by an index in {@code order} (ClaimPlansTest), so a claim costs the same however long the
     * queue. On PostgreSQL it locks them too ({@code FOR UPDATE SKIP LOCKED}). On H2 it only picks them, and
     * {@link #lockQuery} locks them: H2 locks every row a {@code FOR UPDATE} query matches before it applies
     * {@code FETCH FIRST}, which took seconds per claim with a few hundred thousand rows waiting, and when the pick
     * was a subquery of the locking query H2 ran it again for each row it locked (a tenth of a drain's CPU).
     */
    public static String claimQuery(String table, String ready, String order, boolean h2) {
        String pick = "SELECT id FROM " + table + " WHERE " + ready + " AND (claimed_until IS NULL OR claimed_until < :now)"
                + " ORDER BY " + order + " FETCH FIRST :batch ROWS ONLY";
        return h2 ? pick : pick + " FOR UPDATE SKIP LOCKED";
    }

    /**
     * On H2, locks those of the picked rows ({@code :picked}) that are still ready and unclaimed, by primary key:
     * H2 checks the condition again on each row as it locks it, so a row another worker claimed, or finished, since
     * it was picked is skipped, or left to that worker by the claim's update, which takes only rows still unclaimed.
     */
    public static String lockQuery(String table, String ready) {
        return "SELECT id FROM " + table + " WHERE id IN (:picked) AND " + ready
                + " AND (claimed_until IS NULL OR claimed_until < :now) FOR UPDATE SKIP LOCKED";
    }

    /**
     * Renews the claim for a full lease and counts the attempt, if the claim is still this worker's. Empty when
     * the lease ran out first (another worker may hold the row now): the row must then be left alone.
     */
    public OptionalInt start(String table, Claim claim) {
        OffsetDateTime now = OffsetDateTime.now(clock);
        int renewed = jdbc.update("UPDATE " + table + " SET claimed_until = :until, attempts = attempts + 1"
                        + " WHERE id = :id AND claimed_by = :owner AND claimed_until > :now",
                Map.of("until", now.plusSeconds(settings.claimSeconds()), "id", claim.id(), "owner", claim.owner(),
                        "now", now));
        if (renewed == 0) {
            return OptionalInt.empty();
        }
        return OptionalInt.of(jdbc.queryForObject("SELECT attempts FROM " + table + " WHERE id = :id",
                Map.of("id", claim.id()), Integer.class));
    }

    /** Ends the claim with an update of the row, only if the claim is still this worker's; false otherwise. */
    public boolean finish(String table, Claim claim, String set, Map<String, ?> setParameters) {
        Map<String, Object> parameters = new HashMap<>(setParameters);
        parameters.put("id", claim.id());
        parameters.put("owner", claim.owner());
        return jdbc.update("UPDATE " + table + " SET " + set + ", claimed_until = NULL, claimed_by = NULL,"
                + " claimed_instance = NULL WHERE id = :id AND claimed_by = :owner", parameters) == 1;
    }

    /**
     * {@link #finish(String, Claim, String, Map)} for several claims in one batch of statements (the caller's
     * transaction makes it one commit), each with its own parameters: whether each claim was still held.
     */
    public boolean[] finish(String table, String set, List<Claim> batch, List<? extends Map<String, ?>> setParameters) {
        MapSqlParameterSource[] rows = new MapSqlParameterSource[batch.size()];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = new MapSqlParameterSource(setParameters.get(i)).addValue("id", batch.get(i).id())
                    .addValue("owner", batch.get(i).owner());
        }
        int[] updated = jdbc.batchUpdate("UPDATE " + table + " SET " + set + ", claimed_until = NULL, claimed_by = NULL,"
                + " claimed_instance = NULL WHERE id = :id AND claimed_by = :owner", rows);
        boolean[] held = new boolean[updated.length];
        for (int i = 0; i < updated.length; i++) {
            held[i] = updated[i] == 1;
        }
        return held;
    }

    /** Hands back a row whose attempt was started but not made, so that it does not count as an attempt. */
    public void giveBackStarted(String table, Claim claim) {
        jdbc.update("UPDATE " + table + " SET claimed_until = NULL, claimed_by = NULL, claimed_instance = NULL,"
                + " attempts = attempts - 1 WHERE id = :id AND claimed_by = :owner", Map.of("id", claim.id(), "owner", claim.owner()));
    }

    /**
     * Releases every claim a box instance holds, so other workers can take the rows at once; the number released.
     * An attempt the instance had started stays counted, as it would after a lease ran out.
     */
    public int release(String instance) {
        int released = 0;
        for (String table : QUEUES) {
            released += jdbc.update("UPDATE " + table + " SET claimed_until = NULL, claimed_by = NULL, claimed_instance = NULL"
                    + " WHERE claimed_instance = :instance", Map.of("instance", instance));
        }
        return released;
    }
}
