package io.labhooks.instances;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import jakarta.annotation.PreDestroy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.DependsOn;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

import io.labhooks.config.LabhooksProperties;
import io.labhooks.config.StartupRefusal;
import io.labhooks.delivery.SinkCatalog;
import io.labhooks.queue.LeasedClaims;

/**
 * The boxes sharing this database, and what happens when one goes away. Each box registers at start and writes a
 * heartbeat every few seconds, with the database's clock, so boxes whose clocks differ a little still agree.
 * Any box releases the claims of a box whose heartbeat has lapsed, so its work is taken over within seconds instead
 * of after its leases; a restarted box releases its own previous run's claims as it starts. Registration also
 * holds the deployment's rule on sinks: every box switches on the same sinks, since each event is queued for the
 * sinks of whichever box maps it.
 * <p>
 * The heartbeat runs on a thread of its own, not a Camel timer: Camel stops its consumers first when the box shuts
 * down and then waits for the work in flight, and a box still finishing deliveries must not look gone meanwhile.
 * It stops only after Camel has, just before the box hands back its claims.
 */
@Component
@DependsOn("flywayInitializer")
public class BoxRegistry {

    private static final Logger LOG = LoggerFactory.getLogger(BoxRegistry.class);

    private final JdbcTemplate jdbc;
    private final TransactionTemplate transaction;
    private final LeasedClaims claims;
    private final BoxIdentity box;
    private final Duration lapse;
    private final String sinks;
    private final ScheduledExecutorService heartbeats = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "box-heartbeat");
        thread.setDaemon(true);
        return thread;
    });

    public BoxRegistry(JdbcTemplate jdbc, TransactionTemplate transaction, LeasedClaims claims, BoxIdentity box,
                       SinkCatalog sinkCatalog, LabhooksProperties properties) {
        this.jdbc = jdbc;
        this.transaction = transaction;
        this.claims = claims;
        this.box = box;
        this.lapse = properties.instance().lapse();
        this.sinks = sinkCatalog.signature();
        Duration interval = properties.instance().heartbeatInterval();
        if (lapse.compareTo(interval.multipliedBy(3)) < 0) {
            throw new StartupRefusal("labhooks.instance.lapse (" + lapse.toSeconds() + " s) is less than three heartbeat "
                    + "intervals (" + interval.toMillis() + " ms): running boxes would be taken for gone",
                    "Set labhooks.instance.lapse to at least three times labhooks.instance.heartbeat-interval.");
        }
        transaction.executeWithoutResult(tx -> register());
        heartbeats.scheduleWithFixedDelay(this::beat, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void beat() {
        try {
            heartbeat();
            releaseLapsed();
        } catch (RuntimeException e) {
            LOG.warn("Heartbeat failed ({}); trying again at the next one", e.getClass().getSimpleName());
        }
    }

    private void register() {
        // One row locked by every registration: two boxes starting at once are checked one after the other.
        String deploymentSinks = jdbc.queryForObject("SELECT sinks FROM deployment WHERE id = 1 FOR UPDATE", String.class);
        OffsetDateTime now = databaseNow();
        for (String previousRun : jdbc.queryForList("SELECT id FROM box_instance WHERE name = ?", String.class, box.name())) {
            int released = claims.release(previousRun);
            jdbc.update("DELETE FROM box_instance WHERE id = ?", previousRun);
            LOG.info("Released {} claim(s) left by this box's previous run ({})", released, box.name());
        }
        List<String> running = jdbc.queryForList("SELECT name FROM box_instance WHERE heartbeat_at >= ? ORDER BY name",
                String.class, now.minus(lapse));
        if (deploymentSinks != null && !deploymentSinks.equals(sinks)) {
            if (!running.isEmpty()) {
                throw new StartupRefusal("the sinks switched on here, " + sinks + ", differ from those of the boxes "
                        + "running on this database " + running + ", " + deploymentSinks,
                        "Switch on the same sinks with the same types on every box. To change them, stop every box, "
                                + "then start them with the new settings.");
            }
            LOG.warn("The sinks of this deployment change from {} to {}: no other box is running", deploymentSinks, sinks);
        }
        jdbc.update("UPDATE deployment SET sinks = ?, changed_at = ? WHERE id = 1 AND (sinks IS NULL OR sinks <> ?)",
                sinks, now, sinks);
        jdbc.update("INSERT INTO box_instance (id, name, started_at, heartbeat_at) VALUES (?, ?, ?, ?)",
                box.id(), box.name(), now, now);
        LOG.info("Box {} registered (instance {}); other boxes running on this database: {}", box.name(), box.id(),
                running.isEmpty() ? "none" : running);
    }

    /** Tells the other boxes this one is alive; registers again if it was taken for gone (a long pause). */
    void heartbeat() {
        OffsetDateTime now = databaseNow();
        if (jdbc.update("UPDATE box_instance SET heartbeat_at = ? WHERE id = ?", now, box.id()) == 0) {
            jdbc.update("INSERT INTO box_instance (id, name, started_at, heartbeat_at) VALUES (?, ?, ?, ?)",
                    box.id(), box.name(), now, now);
            LOG.warn("This box's heartbeat had lapsed for longer than {} s (a long pause?): its claims were released "
                    + "to the other boxes, and it is registered again", lapse.toSeconds());
        }
    }

    /** Releases the claims of every box whose heartbeat lapsed. Safe on every box at once: rows are locked. */
    void releaseLapsed() {
        transaction.executeWithoutResult(tx -> {
            OffsetDateTime cutoff = databaseNow().minus(lapse);
            List<Map<String, Object>> gone = jdbc.queryForList("""
                    SELECT id, name, heartbeat_at FROM box_instance WHERE heartbeat_at < ? AND id <> ?
                    FOR UPDATE SKIP LOCKED""", cutoff, box.id());
            for (Map<String, Object> instance : gone) {
                String id = (String) instance.get("id");
                int released = claims.release(id);
                jdbc.update("DELETE FROM box_instance WHERE id = ?", id);
                LOG.warn("Box {} sent no heartbeat for more than {} s: released its {} claim(s) to the running boxes",
                        instance.get("name"), lapse.toSeconds(), released);
            }
        });
    }

    /** A box stopping normally hands back what it still holds, so no other box waits for its heartbeat to lapse. */
    @PreDestroy
    void unregister() {
        heartbeats.shutdownNow();
        try {
            transaction.executeWithoutResult(tx -> {
                int released = claims.release(box.id());
                jdbc.update("DELETE FROM box_instance WHERE id = ?", box.id());
                if (released > 0) {
                    LOG.info("Released {} claim(s) on stopping", released);
                }
            });
        } catch (RuntimeException e) {
            LOG.warn("Could not unregister this box ({}); its claims are released once its heartbeat lapses",
                    e.getClass().getSimpleName());
        }
    }

    private OffsetDateTime databaseNow() {
        return jdbc.queryForObject("SELECT CURRENT_TIMESTAMP", OffsetDateTime.class);
    }
}
