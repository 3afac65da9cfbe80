package io.labhooks.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The packaged box on its embedded H2 file database, SIGKILLed three times at different points of the pipeline and
 * restarted on the same database each time; a fourth box then runs to completion. Whatever was acknowledged must
 * end up normalised once, in lab_event_feed exactly once, and at the HTTP receiver at least once, always under
 * the event's own webhook-id.
 *
 * <ol>
 *   <li>(a) acknowledged, not yet normalised: box 1 polls only once a minute, so everything it acknowledged is
 *       still RECEIVED when it is killed right after the last acknowledgement;</li>
 *   <li>(b) deliveries in flight: box 2 works off that backlog (and a new batch) against a receiver that takes
 *       250 ms to answer, and is killed while a delivery is being served;</li>
 *   <li>(c) mid-stream: box 3 is killed while webhooks are still being posted to it. What got no 2xx was not
 *       acknowledged, so the last box gets it again, as the provider's retry would.</li>
 * </ol>
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class CrashSafetyIT {

    static final int RECEIVER_DELAY_MS = 250;

    static SlowReceiver receiver;
    static Path home;
    static Sql sql;

    @BeforeAll
    static void receiverAndDatabase() throws IOException {
        receiver = new SlowReceiver(RECEIVER_DELAY_MS);
        // The boxes run in this fresh directory, on their default database URL (./data/labhooks, AUTO_SERVER):
        // what is tested is the embedded database exactly as shipped.
        Path parent = Files.createDirectories(Box.OUTPUT.getParent().resolve("it-data"));
        home = Files.createTempDirectory(parent, "crash-safety-");
        sql = new Sql("jdbc:h2:file:" + home.resolve("data/labhooks") + ";AUTO_SERVER=TRUE", "sa", "");
    }

    @AfterAll
    static void cleanUp() {
        try {
            Box.killAll();
        } finally {
            if (receiver != null) {
                receiver.close();
            }
        }
    }

    static Box box(String name, String... extra) {
        List<String> settings = new ArrayList<>(List.of(
                "--labhooks.sinks.http.url=" + receiver.url(name),
                "--labhooks.sinks.http.secret=" + SlowReceiver.SECRET,
                "--labhooks.sinks.http.retry.initial-delay=500ms",
                "--labhooks.sinks.http.retry.max-delay=2s",
                "--labhooks.sinks.jdbc.retry.initial-delay=500ms",
                "--labhooks.sinks.jdbc.retry.max-delay=2s",
                // Killed boxes leave claimed rows behind: their leases run out after 8 s. Batches of 10 take at most
                // 10 x 250 ms at the receiver, well inside the lease.
                "--labhooks.pipeline.claim-seconds=8",
                "--labhooks.pipeline.batch-size=10"));
        settings.addAll(List.of(extra));
        return Box.start("crash-safety-" + name, home, settings);
    }

    @Test
    void everyAcknowledgedWebhookIsDeliveredAfterKillsAtThreePoints() {
        Map<String, String> phaseOf = new LinkedHashMap<>(); // token -> phase it was first sent in
        List<TestWebhook> all = new ArrayList<>();
        List<String> notes = new ArrayList<>();

        // ---- (a) acknowledged, still RECEIVED --------------------------------------------------------------------
        List<TestWebhook> batchA = TestWebhook.stream(25);
        record(phaseOf, all, batchA, "a");
        Box box1 = box("1", "--labhooks.pipeline.poll-interval-ms=600000");
        Box.sleep(1500); // past the pollers' one early run (1 s after start); the next is 10 minutes away
        Map<TestWebhook, TestWebhook.Answer> answersA = Ledger.sendAll(batchA, box1.uri, 4);
        assertThat(answersA.values()).as("box 1 acknowledges everything").allMatch(TestWebhook.Answer::acknowledged);
        Map<String, Long> inboundAtKillA = sql.statuses("inbound_event");
        box1.kill();
        note(notes, "kill (a): inbound_event " + inboundAtKillA);
        assertThat(inboundAtKillA).as("kill (a) hit acknowledged but not yet normalised events").isEqualTo(Map.of("RECEIVED", 25L));

        // ---- (b) deliveries in flight to the slow receiver ---------------------------------------------------------
        Box box2 = box("2");
        long storedAfterKillA = sql.count("SELECT COUNT(*) FROM inbound_event");
        note(notes, "box 2 found " + storedAfterKillA + " of the 25 inbound events acknowledged by box 1");
        List<TestWebhook> batchB = TestWebhook.stream(25);
        record(phaseOf, all, batchB, "b");
        Map<TestWebhook, TestWebhook.Answer> answersB = Ledger.sendAll(batchB, box2.uri, 4);
        assertThat(answersB.values()).as("box 2 acknowledges everything").allMatch(TestWebhook.Answer::acknowledged);
        Map<String, Long> deliveriesAtKillB = null;
        Map<String, Long> inboundAtKillB = null;
        List<String> inFlightAtKillB = List.of();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            Map<String, Long> inbound = sql.statuses("inbound_event");
            Map<String, Long> deliveries = sql.statuses("delivery");
            if (deliveries.getOrDefault("PENDING", 0L) > 0 && deliveries.getOrDefault("DELIVERED", 0L) >= 5) {
                // Received 20 to (delay - 100) ms ago: its answer is still 100+ ms away when the box dies.
                List<String> flying = receiver.inFlight(20, RECEIVER_DELAY_MS - 100);
                if (!flying.isEmpty()) {
                    box2.sigkill();
                    deliveriesAtKillB = deliveries;
                    inboundAtKillB = inbound;
                    inFlightAtKillB = flying;
                    break;
                }
            }
            Box.sleep(5);
        }
        box2.kill();
        note(notes, "kill (b): inbound_event " + inboundAtKillB + ", delivery " + deliveriesAtKillB + ", in flight " + inFlightAtKillB);
        assertThat(deliveriesAtKillB).as("kill (b) hit while deliveries were PENDING and one was being served").isNotNull();
        assertThat(deliveriesAtKillB.get("PENDING")).isPositive();
        assertThat(inFlightAtKillB).isNotEmpty().doesNotContainNull();

        // ---- (c) mid-stream -----------------------------------------------------------------------------------------
        Box box3 = box("3");
        List<TestWebhook> batchC = TestWebhook.stream(60);
        record(phaseOf, all, batchC, "c");
        Map<TestWebhook, TestWebhook.Answer> answersC = new ConcurrentHashMap<>();
        ConcurrentLinkedQueue<TestWebhook> toSend = new ConcurrentLinkedQueue<>(batchC);
        AtomicInteger acknowledgedC = new AtomicInteger();
        ExecutorService senders = Executors.newFixedThreadPool(3);
        for (int i = 0; i < 3; i++) {
            senders.submit(() -> {
                for (TestWebhook webhook; (webhook = toSend.poll()) != null; ) {
                    TestWebhook.Answer answer = webhook.send(box3.uri);
                    answersC.put(webhook, answer);
                    if (answer.acknowledged()) {
                        acknowledgedC.incrementAndGet();
                    }
                }
            });
        }
        long killDeadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (acknowledgedC.get() < 15 && System.nanoTime() < killDeadline) {
            Box.sleep(2);
        }
        box3.sigkill();
        int acknowledgedAtKillC = acknowledgedC.get();
        box3.kill();
        senders.shutdown();
        try {
            assertThat(senders.awaitTermination(60, TimeUnit.SECONDS)).as("senders finished").isTrue();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
        List<TestWebhook> unacknowledged = batchC.stream().filter(w -> !answersC.get(w).acknowledged()).toList();
        note(notes, "kill (c): " + acknowledgedAtKillC + " acknowledged when killed, " + (batchC.size() - unacknowledged.size())
                + " in all, " + unacknowledged.size() + " not acknowledged, e.g. "
                + unacknowledged.stream().limit(3).map(w -> answersC.get(w).toString()).toList());
        assertThat(acknowledgedAtKillC).as("kill (c) came after some acknowledgements").isGreaterThanOrEqualTo(15);
        assertThat(unacknowledged).as("kill (c) came while webhooks were still being sent").isNotEmpty();

        // ---- the last box: the provider retries what was not acknowledged, then everything completes -------------------
        Box box4 = box("4");
        Map<TestWebhook, TestWebhook.Answer> retries = Ledger.sendAll(unacknowledged, box4.uri, 3);
        assertThat(retries.values()).as("box 4 acknowledges the retries").allMatch(TestWebhook.Answer::acknowledged);
        note(notes, "retried " + retries.size() + " unacknowledged webhooks on box 4, "
                + retries.values().stream().filter(TestWebhook.Answer::duplicate).count()
                + " of them answered as duplicates (stored by box 3 before its answer was lost)");
        int expected = all.size();
        // Not a hard stop: whatever is missing or stuck, the checks below name it.
        boolean quiet = Ledger.within(Duration.ofSeconds(120), () -> Ledger.quiet(sql));
        note(notes, (quiet ? "all work done" : "work still left after 120 s") + ": inbound_event " + sql.statuses("inbound_event")
                + ", delivery " + sql.statuses("delivery") + ", " + expected + " webhooks acknowledged in all");

        // ---- what must hold -------------------------------------------------------------------------------------------
        Map<String, List<Map<String, Object>>> inbound = Ledger.inboundByToken(sql, all);
        List<SlowReceiver.Delivery> received = receiver.deliveries();
        Map<String, List<SlowReceiver.Delivery>> receivedById = received.stream()
                .collect(Collectors.groupingBy(d -> String.valueOf(d.webhookId())));
        note(notes, "receiver got " + received.size() + " deliveries for " + receivedById.size() + " webhook-ids; redelivered: "
                + receivedById.entrySet().stream().filter(e -> e.getValue().size() > 1)
                        .map(e -> e.getKey() + " x" + e.getValue().size()).toList());

        SoftAssertions soft = new SoftAssertions();
        Map<String, List<String>> missing = new TreeMap<>();
        List<String> storedMoreThanOnce = new ArrayList<>();
        List<String> notNormalised = new ArrayList<>();
        Set<String> eventIds = new HashSet<>();
        for (TestWebhook webhook : all) {
            List<Map<String, Object>> rows = inbound.get(webhook.token());
            if (rows.isEmpty()) {
                missing.computeIfAbsent("phase " + phaseOf.get(webhook.token()), k -> new ArrayList<>()).add(webhook.toString());
            } else if (rows.size() > 1) {
                storedMoreThanOnce.add(webhook + " " + rows);
            } else if (!"NORMALISED".equals(rows.get(0).get("status"))) {
                notNormalised.add(webhook + " " + rows.get(0));
            }
            rows.forEach(row -> eventIds.add((String) row.get("event_id")));
        }
        soft.assertThat(missing).as("acknowledged webhooks missing from inbound_event, by the phase they were sent in "
                + missing.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue().size()).toList()).isEmpty();
        soft.assertThat(inbound.get(null)).as("inbound events holding none of the webhooks sent").isNull();
        soft.assertThat(storedMoreThanOnce).as("webhooks stored more than once").isEmpty();
        soft.assertThat(notNormalised).as("inbound events not NORMALISED").isEmpty();

        Map<String, Long> canonical = sql.counts("SELECT event_id AS k, COUNT(*) AS n FROM canonical_event GROUP BY event_id");
        Map<String, Long> feed = sql.counts("SELECT event_id AS k, COUNT(*) AS n FROM lab_event_feed GROUP BY event_id");
        soft.assertThat(eventIds.stream().filter(id -> canonical.getOrDefault(id, 0L) != 1).toList())
                .as("event ids without exactly one canonical_event row").isEmpty();
        soft.assertThat(eventIds.stream().filter(id -> feed.getOrDefault(id, 0L) != 1).toList())
                .as("event ids without exactly one lab_event_feed row").isEmpty();
        soft.assertThat(feed.keySet()).as("event ids in lab_event_feed").isEqualTo(eventIds);
        soft.assertThat(sql.counts("SELECT sink AS k, COUNT(*) AS n FROM delivery GROUP BY sink"))
                .as("one delivery per acknowledged webhook and sink").isEqualTo(Map.of("http", (long) all.size(), "jdbc", (long) all.size()));
        soft.assertThat(sql.rows("""
                SELECT d.id, c.event_id, d.sink, d.status, d.attempts, d.last_error FROM delivery d
                JOIN canonical_event c ON c.seq = d.canonical_event_seq WHERE d.status <> 'DELIVERED'"""))
                .as("deliveries not DELIVERED (DEAD or stuck)").isEmpty();

        soft.assertThat(eventIds.stream().filter(id -> receivedById.getOrDefault(id, List.of()).stream().noneMatch(d -> d.status() == 200)).toList())
                .as("event ids the HTTP receiver never got (answered 200)").isEmpty();
        soft.assertThat(received.stream().filter(d -> !d.signatureValid() || d.webhookId() == null || !d.webhookId().equals(d.eventId())).toList())
                .as("HTTP deliveries not signed or whose webhook-id is not their event's id").isEmpty();
        soft.assertThat(receivedById.keySet().stream().filter(id -> !eventIds.contains(id)).toList())
                .as("webhook-ids the receiver got for events the database does not hold").isEmpty();
        soft.assertThat(inFlightAtKillB.stream().filter(id -> receivedById.getOrDefault(id, List.of()).size() < 2).toList())
                .as("deliveries in flight at kill (b) that were not sent again").isEmpty();
        soft.assertAll();
    }

    private static void note(List<String> notes, String note) {
        notes.add(note);
        System.out.println("[CrashSafetyIT] " + note);
    }

    private static void record(Map<String, String> phaseOf, List<TestWebhook> all, List<TestWebhook> batch, String phase) {
        batch.forEach(webhook -> phaseOf.put(webhook.token(), phase));
        all.addAll(batch);
    }
}
