package io.labhooks.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Packaged boxes on one PostgreSQL schema (127.0.0.1:5432/test or LABHOOKS_TEST_POSTGRES_URL, a schema per test,
 * dropped afterwards; fails, never skips, without PostgreSQL), killed with SIGKILL while they hold claims. The claim
 * lease stays at its default (120 s), so only the heartbeat rule can explain work taken over within seconds.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class BoxTakeoverIT {

    static final String URL = System.getenv().getOrDefault("LABHOOKS_TEST_POSTGRES_URL", "jdbc:postgresql://127.0.0.1:5432/test");
    static final String USER = System.getenv().getOrDefault("LABHOOKS_TEST_POSTGRES_USER", "postgres");
    static final int RECEIVER_DELAY_MS = 300;

    String schema;
    Sql sql;
    SlowReceiver receiver;

    @BeforeEach
    void schemaAndReceiver() {
        new Sql(URL, USER, "").rows("SELECT 1"); // fails (never skips) when PostgreSQL cannot be reached
        schema = "labhooks_it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        sql = new Sql(URL + "?currentSchema=" + schema, USER, "");
        receiver = new SlowReceiver(RECEIVER_DELAY_MS);
    }

    @AfterEach
    void cleanUp() {
        try {
            Box.killAll();
        } finally {
            try {
                receiver.close();
            } finally {
                new Sql(URL, USER, "").execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
    }

    Box launch(String name, int port, boolean httpSink) {
        List<String> settings = new ArrayList<>(List.of(
                "--spring.datasource.url=" + sql.url(),
                "--spring.datasource.username=" + USER,
                "--spring.datasource.password=",
                "--spring.flyway.schemas=" + schema,
                "--spring.flyway.create-schemas=true",
                "--labhooks.instance.name=" + name,
                "--labhooks.pipeline.batch-size=10"));
        if (httpSink) {
            settings.add("--labhooks.sinks.http.url=" + receiver.url(name));
            settings.add("--labhooks.sinks.http.secret=" + SlowReceiver.SECRET);
        }
        return Box.launch("takeover-" + name, Box.BASE_DIR, settings, Map.of(), port, false);
    }

    Box start(String name, int port, boolean httpSink) {
        Box box = launch(name, port, httpSink);
        box.awaitUp(Duration.ofSeconds(120));
        return box;
    }

    /** Delivery ids the named box holds claims on right now. */
    Set<Long> claimedBy(String name) {
        return sql.rows("""
                SELECT d.id FROM delivery d JOIN box_instance b ON b.id = d.claimed_instance
                WHERE b.name = ? AND d.status = 'PENDING'""", name).stream()
                .map(row -> ((Number) row.get("id")).longValue()).collect(Collectors.toSet());
    }

    /** SIGKILLs the box as soon as it holds at least {@code atLeast} delivery claims; the claims it held. */
    Set<Long> killWhileHolding(Box box, String name, int atLeast) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            Set<Long> held = claimedBy(name);
            if (held.size() >= atLeast) {
                box.sigkill();
                box.kill();
                return claimedBy(name).isEmpty() ? held : claimedBy(name);
            }
            Box.sleep(20);
        }
        throw new AssertionError("box " + name + " never held " + atLeast + " claims; delivery " + sql.statuses("delivery"));
    }

    void awaitDelivered(Set<Long> deliveries, Duration timeout) {
        String ids = deliveries.stream().map(String::valueOf).collect(Collectors.joining(","));
        Ledger.await("deliveries " + ids + " DELIVERED", timeout,
                () -> sql.count("SELECT COUNT(*) FROM delivery WHERE status = 'DELIVERED' AND id IN (" + ids + ")") == deliveries.size(),
                () -> sql.rows("SELECT id, status, claimed_until, claimed_instance FROM delivery WHERE id IN (" + ids + ")"));
    }

    @Test
    void theClaimsOfABoxThatDiedAreTakenOverByAnotherWithinSeconds() {
        Box a = launch("box-a", Box.freePort(), true);
        Box b = launch("box-b", Box.freePort(), true);
        a.awaitUp(Duration.ofSeconds(120));
        b.awaitUp(Duration.ofSeconds(120));
        List<TestWebhook> webhooks = TestWebhook.stream(60);
        assertThat(Ledger.sendAll(webhooks, a.uri, 4).values()).allMatch(TestWebhook.Answer::acknowledged);

        Set<Long> held = killWhileHolding(a, "box-a", 5);
        long killedAt = System.nanoTime();
        awaitDelivered(held, Duration.ofSeconds(40));
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - killedAt);
        System.out.println("[BoxTakeoverIT] box-a was killed holding " + held.size() + " claims; box-b delivered them within " + seconds + " s");
        assertThat(b.logOfThisRun()).contains("Box box-a sent no heartbeat for more than 12 s: released its");
        Ledger.await("all work done", Duration.ofSeconds(60), () -> Ledger.quiet(sql), () -> sql.statuses("delivery"));
        assertThat(sql.counts("SELECT sink AS k, COUNT(*) AS n FROM delivery WHERE status = 'DELIVERED' GROUP BY sink"))
                .isEqualTo(Map.of("http", 60L, "jdbc", 60L));
        assertThat(sql.count("SELECT COUNT(DISTINCT event_id) FROM lab_event_feed")).isEqualTo(60);
    }

    @Test
    void aRestartedBoxReleasesItsPreviousRunsClaimsAsItStarts() {
        int port = Box.freePort();
        Box first = start("box-c", port, true);
        List<TestWebhook> webhooks = TestWebhook.stream(40);
        assertThat(Ledger.sendAll(webhooks, first.uri, 4).values()).allMatch(TestWebhook.Answer::acknowledged);
        Set<Long> held = killWhileHolding(first, "box-c", 5);

        Box again = start("box-c", port, true);
        assertThat(again.logOfThisRun()).containsPattern("Released [1-9][0-9]* claim\\(s\\) left by this box's previous run \\(box-c\\)");
        awaitDelivered(held, Duration.ofSeconds(30));
        Ledger.await("all work done", Duration.ofSeconds(60), () -> Ledger.quiet(sql), () -> sql.statuses("delivery"));
        assertThat(sql.counts("SELECT sink AS k, COUNT(*) AS n FROM delivery WHERE status = 'DELIVERED' GROUP BY sink"))
                .isEqualTo(Map.of("http", 40L, "jdbc", 40L));
        assertThat(sql.count("SELECT COUNT(*) FROM box_instance")).as("box instances registered").isEqualTo(1);
    }

    @Test
    void aBoxWhoseSinksDifferFromTheRunningBoxesRefusesToStart() {
        Box a = start("box-a", Box.freePort(), true);
        Box jdbcOnly = launch("box-d", Box.freePort(), false);
        assertThat(jdbcOnly.awaitExit(Duration.ofSeconds(120))).as("exit code of the box without the HTTP sink").isNotZero();
        assertThat(jdbcOnly.logOfThisRun())
                .contains("the sinks switched on here, jdbc (types *, except IGNORED), differ from those of the boxes running "
                        + "on this database [box-a], http (types *, except IGNORED); jdbc (types *, except IGNORED)")
                .contains("Switch on the same sinks with the same types on every box").doesNotContain("\tat ");

        // The box that runs delivers every event to every sink once, whoever else tried to join.
        List<TestWebhook> webhooks = TestWebhook.stream(40);
        assertThat(Ledger.sendAll(webhooks, a.uri, 4).values()).allMatch(TestWebhook.Answer::acknowledged);
        Ledger.await("all work done", Duration.ofSeconds(60), () -> Ledger.quiet(sql), () -> sql.statuses("delivery"));
        assertThat(sql.counts("SELECT sink AS k, COUNT(*) AS n FROM delivery WHERE status = 'DELIVERED' GROUP BY sink"))
                .isEqualTo(Map.of("http", 40L, "jdbc", 40L));
        assertThat(receiver.deliveries().stream().map(SlowReceiver.Delivery::webhookId).distinct().count()).isEqualTo(40);

        // With every box stopped, the deployment may change its sinks.
        a.kill();
        sql.execute("UPDATE box_instance SET heartbeat_at = heartbeat_at - INTERVAL '1 minute'"); // as if 1 min had passed
        Box changed = start("box-d", Box.freePort(), false);
        assertThat(changed.logOfThisRun()).contains("The sinks of this deployment change from http (types *, except IGNORED); "
                + "jdbc (types *, except IGNORED) to jdbc (types *, except IGNORED): no other box is running");
        assertThat(sql.rows("SELECT sinks FROM deployment")).containsExactly(Map.of("sinks", "jdbc (types *, except IGNORED)"));
    }
}
