package io.labhooks.poll;

import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Component;

import io.labhooks.orderstate.OrderStatus;
import io.labhooks.queue.LeasedClaims;
import io.labhooks.queue.LeasedClaims.Claim;

/**
 * The poll_watch table: which resource of which open order is polled next, and what it said last. Watches are made
 * from the order links (every linked id of the kind a polled resource names, of an order not yet final) and end
 * when the order is final: cancelled, failed, no-show, sample error, redraw, or results ready or amended.
 */
@Component
public class PollWatches {

    static final String TABLE = "poll_watch";
    /** Orders in these statuses are not polled any more. */
    static final List<String> FINAL = Arrays.stream(OrderStatus.values())
            .filter(s -> s.sideState() || s.resultsFinal()).map(Enum::name).toList();

    private final NamedParameterJdbcTemplate jdbc;
    private final LeasedClaims claims;
    private final Clock clock;

    public PollWatches(NamedParameterJdbcTemplate jdbc, LeasedClaims claims, Clock clock) {
        this.jdbc = jdbc;
        this.claims = claims;
        this.clock = clock;
    }

    /** One watch as the poller reads it. */
    public record Watch(long id, String provider, String resource, String refValue, String orderKey, String fingerprint,
                        int polls) {
    }

    /**
     * Starts watching every open order's linked ids of this kind for the resource (first poll due at once), and
     * ends the watches of orders that are final; the number started. Run by every box: a watch another box started
     * in the meantime is skipped.
     */
    public int refresh(String provider, String resource, String idKind) {
        Map<String, Object> parameters = new HashMap<>();
        parameters.put("provider", provider);
        parameters.put("resource", resource);
        parameters.put("kind", idKind);
        parameters.put("final", FINAL);
        parameters.put("now", OffsetDateTime.now(clock));
        jdbc.update("""
                UPDATE poll_watch SET status = 'ENDED', claimed_until = NULL, claimed_by = NULL, claimed_instance = NULL
                WHERE provider = :provider AND resource = :resource AND status = 'WATCHING'
                  AND order_key IN (SELECT order_key FROM order_state WHERE status IN (:final))""", parameters);
        try {
            return jdbc.update("""
                    INSERT INTO poll_watch (provider, resource, ref_value, order_key, status, next_poll_at)
                    SELECT l.provider, :resource, l.ref_value, l.order_key, 'WATCHING', :now
                    FROM order_link l JOIN order_state s ON s.order_key = l.order_key
                    WHERE l.provider = :provider AND l.kind = :kind AND s.status NOT IN (:final)
                      AND NOT EXISTS (SELECT 1 FROM poll_watch w WHERE w.provider = l.provider
                                      AND w.resource = :resource AND w.ref_value = l.ref_value)""", parameters);
        } catch (DuplicateKeyException anotherBoxWasFaster) {
            return 0;
        }
    }

    /** A watch the provider's poller may claim: due for a poll; claimed in CLAIM_ORDER. */
    public static final String CLAIMABLE = "provider = :provider AND status = 'WATCHING' AND next_poll_at <= :now";
    /** Soonest first: ix_poll_watch_due's columns (H2 reads an index as sorted only for its leading columns). */
    public static final String CLAIM_ORDER = "provider, status, next_poll_at";

    /** The provider's watches due for a poll, soonest first. */
    public List<Claim> claimDue(String provider, int limit) {
        return claims.claim(TABLE, CLAIMABLE, Map.of("provider", provider), CLAIM_ORDER, limit);
    }

    /** Starts the poll if the claim still holds, and reads the watch. */
    public Optional<Watch> start(Claim claim) {
        if (claims.start(TABLE, claim).isEmpty()) {
            return Optional.empty();
        }
        return jdbc.query("""
                SELECT id, provider, resource, ref_value, order_key, fingerprint, polls FROM poll_watch WHERE id = :id""",
                Map.of("id", claim.id()), (rs, n) -> new Watch(rs.getLong(1), rs.getString(2), rs.getString(3),
                        rs.getString(4), rs.getString(5), rs.getString(6), rs.getInt(7))).stream().findFirst();
    }

    /** A poll answered: what the snapshot said, and when to poll next. False if the claim was lost meanwhile. */
    public boolean polled(Claim claim, String fingerprint, boolean changed, OffsetDateTime next) {
        Map<String, Object> set = new HashMap<>();
        set.put("fingerprint", fingerprint);
        set.put("next", next);
        set.put("now", OffsetDateTime.now(clock));
        set.put("changed", changed ? 1 : 0);
        return claims.finish(TABLE, claim, "fingerprint = :fingerprint, next_poll_at = :next, last_polled_at = :now,"
                + " polls = polls + 1, changes = changes + :changed, last_error = NULL, attempts = 0", set);
    }

    /** A poll that got no usable answer: asked again at {@code next}, with the reason shown. */
    public void failed(Claim claim, String error, OffsetDateTime next) {
        Map<String, Object> set = new HashMap<>();
        set.put("error", error.length() > 1000 ? error.substring(0, 1000) : error);
        set.put("next", next);
        set.put("now", OffsetDateTime.now(clock));
        claims.finish(TABLE, claim, "last_error = :error, next_poll_at = :next, last_polled_at = :now", set);
    }

    /** Hands the watch back untouched (no permit to call now), due again at {@code next}. */
    public void later(Claim claim, OffsetDateTime next) {
        claims.finish(TABLE, claim, "next_poll_at = :next", Map.of("next", next));
    }

    /** Part of an order's erasure. */
    public int forget(String orderKey) {
        return jdbc.update("DELETE FROM poll_watch WHERE order_key = :key", Map.of("key", orderKey));
    }
}
