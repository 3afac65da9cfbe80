package io.labhooks.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two packaged boxes on one PostgreSQL schema (127.0.0.1:5432/test, or LABHOOKS_TEST_POSTGRES_URL; a schema of its
 * own, dropped afterwards; never skipped: fails if PostgreSQL is unreachable), started at the same moment on the
 * empty schema. Webhooks go to both, and many go to both at the same instant. In this run nothing fails, so every
 * event must be stored once, normalised once and delivered exactly once per sink: once into lab_event_feed and
 * once to the HTTP receiver.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class TwoInstancesIT {

    static final String URL = System.getenv().getOrDefault("LABHOOKS_TEST_POSTGRES_URL", "jdbc:postgresql://127.0.0.1:5432/test");
    static final String USER = System.getenv().getOrDefault("LABHOOKS_TEST_POSTGRES_USER", "postgres");
    static final String SCHEMA = "labhooks_it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);

    static SlowReceiver receiver;
    static Sql sql;

    @BeforeAll
    static void postgresAndReceiver() {
        // Fails (never skips) when PostgreSQL cannot be reached.
        new Sql(URL, USER, "").rows("SELECT 1");
        sql = new Sql(URL + "?currentSchema=" + SCHEMA, USER, "");
        receiver = new SlowReceiver(200);
    }

    @AfterAll
    static void cleanUp() {
        try {
            Box.killAll(); // first: no poller may still be using the schema
        } finally {
            try {
                if (receiver != null) {
                    receiver.close();
                }
            } finally {
                new Sql(URL, USER, "").execute("DROP SCHEMA IF EXISTS " + SCHEMA + " CASCADE");
            }
        }
    }

    static Box launch(String name) {
        return Box.launch("two-instances-" + name, List.of(
                "--spring.datasource.url=" + sql.url(),
                "--spring.datasource.username=" + USER,
                "--spring.datasource.password=",
                "--spring.flyway.schemas=" + SCHEMA,
                "--spring.flyway.create-schemas=true",
                // Each box delivers to a path of its own, so the receiver can tell who did the work.
                "--labhooks.sinks.http.url=" + receiver.url(name),
                "--labhooks.sinks.http.secret=" + SlowReceiver.SECRET,
                // Small batches, so both boxes get a share of the queues.
                "--labhooks.pipeline.batch-size=5"));
    }

    @Test
    void twoBoxesOnOneDatabaseStoreNormaliseAndDeliverEachEventOnce() throws Exception {
        Box a = launch("a");
        Box b = launch("b");
        a.awaitUp(Duration.ofSeconds(120));
        b.awaitUp(Duration.ofSeconds(120));

        List<TestWebhook> singles = TestWebhook.stream(50);
        List<TestWebhook> doubles = TestWebhook.stream(40);
        Map<String, String> problems = new LinkedHashMap<>();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> sent = new ArrayList<>();
        for (int i = 0; i < Math.max(singles.size(), doubles.size()); i++) {
            if (i < singles.size()) {
                TestWebhook webhook = singles.get(i);
                Box to = i % 2 == 0 ? a : b;
                sent.add(pool.submit(() -> {
                    TestWebhook.Answer answer = webhook.send(to.uri);
                    if (!answer.acknowledged()) {
                        problems.put(webhook + " to " + to.name, answer.toString());
                    }
                }));
            }
            if (i < doubles.size()) {
                TestWebhook webhook = doubles.get(i);
                sent.add(pool.submit(() -> {
                    // The same signed request to both boxes at the same instant.
                    long timestamp = Instant.now().getEpochSecond();
                    CompletableFuture<HttpResponse<String>> toA = TestWebhook.HTTP.sendAsync(webhook.request(a.uri, timestamp), HttpResponse.BodyHandlers.ofString());
                    CompletableFuture<HttpResponse<String>> toB = TestWebhook.HTTP.sendAsync(webhook.request(b.uri, timestamp), HttpResponse.BodyHandlers.ofString());
                    TestWebhook.Answer answerA = TestWebhook.Answer.of(toA::get);
                    TestWebhook.Answer answerB = TestWebhook.Answer.of(toB::get);
                    if (!answerA.acknowledged() || !answerB.acknowledged()) {
                        problems.put(webhook + " to both", answerA + " / " + answerB);
                    }
                }));
            }
        }
        for (Future<?> future : sent) {
            future.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertThat(problems).as("every copy, including each simultaneous second copy, is acknowledged").isEmpty();

        List<TestWebhook> all = new ArrayList<>(singles);
        all.addAll(doubles);
        boolean quiet = Ledger.within(Duration.ofSeconds(60), () -> Ledger.quiet(sql)
                && sql.count("SELECT COUNT(*) FROM inbound_event") >= all.size());
        Box.sleep(1500); // time for a wrongly repeated delivery to show up
        String state = "inbound_event " + sql.statuses("inbound_event") + ", delivery " + sql.statuses("delivery");
        System.out.println("[TwoInstancesIT] " + (quiet ? "all work done: " : "work still left after 60 s: ") + state);

        Map<String, List<Map<String, Object>>> inbound = Ledger.inboundByToken(sql, all);
        List<SlowReceiver.Delivery> received = receiver.deliveries();
        Map<String, List<SlowReceiver.Delivery>> receivedById = received.stream()
                .collect(Collectors.groupingBy(d -> String.valueOf(d.webhookId())));
        Map<String, Long> byBox = received.stream().collect(Collectors.groupingBy(SlowReceiver.Delivery::path, Collectors.counting()));
        System.out.println("[TwoInstancesIT] HTTP deliveries by box: " + byBox + "; webhook-ids received more than once: "
                + receivedById.entrySet().stream().filter(e -> e.getValue().size() > 1)
                        .map(e -> e.getKey() + " " + e.getValue().stream().map(SlowReceiver.Delivery::path).toList()).toList());

        SoftAssertions soft = new SoftAssertions();
        soft.assertThat(inbound.get(null)).as("inbound events holding none of the webhooks sent").isNull();
        Set<String> eventIds = new HashSet<>();
        List<String> notStoredOnceAndNormalisedOnce = new ArrayList<>();
        for (TestWebhook webhook : all) {
            List<Map<String, Object>> rows = inbound.get(webhook.token());
            if (rows.size() != 1 || !"NORMALISED".equals(rows.get(0).get("status")) || !Integer.valueOf(1).equals(rows.get(0).get("attempts"))) {
                notStoredOnceAndNormalisedOnce.add(webhook + " " + rows);
            }
            rows.forEach(row -> eventIds.add((String) row.get("event_id")));
        }
        soft.assertThat(notStoredOnceAndNormalisedOnce)
                .as("webhooks not stored exactly once, or not NORMALISED at the first attempt (with their inbound_event rows)").isEmpty();
        soft.assertThat(eventIds).as("distinct event ids").hasSize(all.size());
        soft.assertThat(sql.count("SELECT COUNT(*) FROM camel_messageprocessed")).as("dedupe keys recorded").isEqualTo(all.size());
        Map<String, Long> canonical = sql.counts("SELECT event_id AS k, COUNT(*) AS n FROM canonical_event GROUP BY event_id");
        Map<String, Long> feed = sql.counts("SELECT event_id AS k, COUNT(*) AS n FROM lab_event_feed GROUP BY event_id");
        soft.assertThat(eventIds.stream().filter(id -> canonical.getOrDefault(id, 0L) != 1).toList())
                .as("event ids without exactly one canonical_event row").isEmpty();
        soft.assertThat(eventIds.stream().filter(id -> feed.getOrDefault(id, 0L) != 1).toList())
                .as("event ids without exactly one lab_event_feed row").isEmpty();
        soft.assertThat(eventIds.stream().filter(id -> receivedById.getOrDefault(id, List.of()).size() != 1)
                        .map(id -> id + " " + receivedById.getOrDefault(id, List.of()).stream().map(SlowReceiver.Delivery::path).toList()).toList())
                .as("event ids not received exactly once by the HTTP receiver (with the boxes that sent them)").isEmpty();
        soft.assertThat(canonical.keySet()).as("canonical events").isEqualTo(eventIds);
        soft.assertThat(feed.keySet()).as("lab_event_feed event ids").isEqualTo(eventIds);
        soft.assertThat(receivedById.keySet()).as("webhook-ids the receiver got").isEqualTo(eventIds);
        soft.assertThat(received).as("every HTTP delivery is signed and carries its event's id as webhook-id")
                .allMatch(d -> d.signatureValid() && d.webhookId() != null && d.webhookId().equals(d.eventId()));
        soft.assertThat(sql.rows("""
                SELECT d.id, c.event_id, d.sink, d.status, d.attempts, d.last_error FROM delivery d
                JOIN canonical_event c ON c.seq = d.canonical_event_seq WHERE d.status <> 'DELIVERED' OR d.attempts <> 1"""))
                .as("deliveries not DELIVERED at the first attempt").isEmpty();
        soft.assertThat(sql.counts("SELECT sink AS k, COUNT(*) AS n FROM delivery GROUP BY sink"))
                .as("one delivery per event and sink").isEqualTo(Map.of("http", (long) all.size(), "jdbc", (long) all.size()));
        soft.assertAll();
    }
}
