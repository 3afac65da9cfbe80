package io.labhooks.orderstate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.transaction.support.TransactionTemplate;

import io.labhooks.admin.EventQueries;
import io.labhooks.admin.OrderErasure;
import io.labhooks.database.DatabaseProduct;
import io.labhooks.support.Installation;
import io.labhooks.support.ProviderSigner;

/**
 * One order whatever id a provider leads with: real webhooks through the box's HTTP endpoint, mapped, linked,
 * projected and delivered to the JDBC feed, then the end state in order_state, canonical_event.order_key,
 * order_link and lab_order_status. Runs once on H2 and once on PostgreSQL (subclasses).
 *
 * <p>LML's webhooks carry one id each; what ties an order to its test registrations is the order resource,
 * which another change fetches into the mapping as refs.testRegistrationIds on order.* events. Until then this
 * installation's LML mapping is the shipped one plus that field, read from the test webhook's
 * data.test_registrations. Hurdle's shipped mapping is used as it is.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = "labhooks.pipeline.poll-interval-ms=100")
@DirtiesContext
@ExtendWith(OutputCaptureExtension.class)
abstract class OrderLinkingTest {

    static final ObjectMapper JSON = new ObjectMapper();

    static final Installation INSTALLATION = Installation.copyOfShipped().with("mappings/lml.jsonata", lmlWithRegistrations());

    @DynamicPropertySource
    static void installation(DynamicPropertyRegistry registry) {
        ProviderSigner.registerSecrets(registry);
        registry.add("labhooks.mappings-dir", () -> INSTALLATION.mappings().toString());
    }

    @LocalServerPort
    int port;
    @Autowired
    JdbcTemplate jdbc;
    @Autowired
    EventQueries queries;
    @Autowired
    OrderErasure erasure;
    @Autowired
    MeterRegistry meters;
    @Autowired
    OrderLinking linking;
    @Autowired
    TransactionTemplate transaction;
    @Autowired
    OrderLocks locks;

    final HttpClient http = HttpClient.newHttpClient();
    ProviderSigner signer;

    @BeforeEach
    void signer() {
        signer = new ProviderSigner(URI.create("http://127.0.0.1:" + port));
    }

    @Test
    void lmlRegistrationsAndTheirOrderAreOneOrder() throws Exception {
        String r = "reg-" + UUID.randomUUID();
        String r2 = "reg-" + UUID.randomUUID();
        String o = "ord-" + UUID.randomUUID();

        String sample = lml("""
                {"event":"test_registration.sample_received","data":{"testregistration_id":"%s",
                 "sample_received_at":"2026-06-01T14:52:32+01:00"}}""".formatted(r));
        String order = lml("""
                {"event":"order.delivered","data":{"order_id":"%s","test_registrations":["%s","%s"]}}""".formatted(o, r, r2));
        String results = lml("""
                {"event":"lab_results.complete","data":{"testregistration_id":"%s"}}""".formatted(r2));

        String key = "lml|" + r; // the first event's key: it names the order
        assertThat(jdbc.queryForList("SELECT order_key, status FROM order_state WHERE order_key IN (?, ?, ?)",
                key, "lml|" + o, "lml|" + r2)).extracting(row -> row.get("order_key") + " " + row.get("status"))
                .containsExactly(key + " RESULTS_READY");
        assertThat(jdbc.queryForList("SELECT event_id, type, order_key, out_of_order FROM canonical_event WHERE event_id IN (?, ?, ?)"
                + " ORDER BY seq", sample, order, results))
                .extracting(row -> row.get("event_id") + " " + row.get("type") + " " + row.get("order_key") + " " + row.get("out_of_order"))
                .containsExactly(sample + " SAMPLE_RECEIVED_BY_LAB " + key + " false",
                        order + " KIT_DELIVERED " + key + " true", // kit delivery after the sample was in: late
                        results + " RESULTS_READY " + key + " false");
        assertThat(links(key)).containsExactlyInAnyOrder("order " + o, "test-registration " + r, "test-registration " + r2);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> history = (List<Map<String, Object>>) queries.order(key).get("history");
        assertThat(history).extracting(e -> e.get("eventId")).containsExactly(sample, order, results);
        // the console finds the order by any of its ids
        for (String id : List.of(r, r2, o)) {
            assertThat(queries.orderKeysMatching(id)).as(id).containsExactly(key);
        }
        // and the JDBC feed's per-order status follows the same key
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(jdbc.queryForList(
                "SELECT order_key, status FROM lab_order_status WHERE order_key IN (?, ?, ?)", key, "lml|" + o, "lml|" + r2))
                .extracting(row -> row.get("order_key") + " " + row.get("status")).containsExactly(key + " RESULTS_READY"));
    }

    @Test
    void anEventWithoutAStatusStillLinksItsIds() throws Exception {
        String r = "reg-" + UUID.randomUUID();
        String retest = "reg-" + UUID.randomUUID();
        String created = lml("""
                {"event":"test_registration.retest","data":{"testregistration_id":"%s","retest_testregistration_id":"%s"}}"""
                .formatted(r, retest));
        String key = "lml|" + r;
        assertThat(orderKeyOf(created)).isEqualTo(key);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM order_state WHERE order_key = ?", Integer.class, key)).isZero();
        assertThat(links(key)).containsExactlyInAnyOrder("test-registration " + r, "test-registration " + retest);

        String results = lml("""
                {"event":"lab_results.complete","data":{"testregistration_id":"%s"}}""".formatted(retest));
        assertThat(orderKeyOf(results)).isEqualTo(key);
        assertThat(status(key)).isEqualTo("RESULTS_READY");
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM order_state WHERE order_key = ?", Integer.class, "lml|" + retest)).isZero();
    }

    @Test
    void hurdleOrderNumberKitAndTestAreOneOrder() throws Exception {
        String number = "HUR-" + UUID.randomUUID();
        String kit = "KT-" + UUID.randomUUID();
        String test = UUID.randomUUID().toString();

        String created = hurdle(fixture("hurdle/order-created").replace("HUR-100234", number));
        String received = hurdle(fixture("hurdle/order-received").replace("HUR-100234", number).replace("KT4P9Q21", kit));
        // the lab's events may name the test and kit only
        String accessioned = hurdle(withoutOrderNumber(fixture("hurdle/test-lab-accessioned")
                .replace("KT4P9Q21", kit).replace("6a1d2f0e-3b4c-4d5e-8f90-a1b2c3d4e5f6", test)));
        String processed = hurdle(withoutOrderNumber(fixture("hurdle/test-processed")
                .replace("6a1d2f0e-3b4c-4d5e-8f90-a1b2c3d4e5f6", test)));

        String key = "hurdle|" + number;
        assertThat(jdbc.queryForList("SELECT event_id, order_key, order_status FROM canonical_event WHERE event_id IN (?, ?, ?, ?)"
                + " ORDER BY seq", created, received, accessioned, processed))
                .extracting(row -> row.get("event_id") + " " + row.get("order_key") + " " + row.get("order_status"))
                .containsExactly(created + " " + key + " CREATED", received + " " + key + " KIT_DELIVERED",
                        accessioned + " " + key + " SAMPLE_AT_LAB", processed + " " + key + " RESULTS_READY");
        assertThat(status(key)).isEqualTo("RESULTS_READY");
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM order_state WHERE order_key = ?", Integer.class, "hurdle|" + test)).isZero();
        assertThat(links(key)).containsExactlyInAnyOrder("kit " + kit, "order " + number, "test " + test);
    }

    @Test
    void idsOfTwoOrdersKeepTheEventOnTheOldestLinkedAndMergeNothing(CapturedOutput output) throws Exception {
        String a = "HUR-" + UUID.randomUUID();
        String b = "HUR-" + UUID.randomUUID();
        String kitA = "KT-" + UUID.randomUUID();
        String kitB = "KT-" + UUID.randomUUID();
        String test = UUID.randomUUID().toString();
        String receivedA = hurdle(fixture("hurdle/order-received").replace("HUR-100234", a).replace("KT4P9Q21", kitA));
        String receivedB = hurdle(fixture("hurdle/order-received").replace("HUR-100234", b).replace("KT4P9Q21", kitB));
        double conflictsBefore = conflicts();

        String both = hurdle(withoutOrderNumber(fixture("hurdle/test-lab-accessioned")
                .replace("\"kitId\": \"KT4P9Q21\"", "\"kitId\": \"" + kitB + "\"}, {\"kitId\": \"" + kitA + "\"") // B first
                .replace("6a1d2f0e-3b4c-4d5e-8f90-a1b2c3d4e5f6", test)));

        assertThat(orderKeyOf(both)).isEqualTo("hurdle|" + a);
        assertThat(status("hurdle|" + a)).isEqualTo("SAMPLE_AT_LAB");
        assertThat(status("hurdle|" + b)).isEqualTo("KIT_DELIVERED");
        assertThat(orderKeyOf(receivedA)).isEqualTo("hurdle|" + a);
        assertThat(orderKeyOf(receivedB)).isEqualTo("hurdle|" + b);
        assertThat(links("hurdle|" + a)).containsExactlyInAnyOrder("kit " + kitA, "order " + a, "test " + test);
        assertThat(links("hurdle|" + b)).containsExactlyInAnyOrder("kit " + kitB, "order " + b);
        assertThat(conflicts()).isEqualTo(conflictsBefore + 1);
        assertThat(output.getAll()).contains("Event " + both + " of hurdle names ids linked to 2 orders: recorded on hurdle|" + a);
        assertThat(output.getAll().lines().filter(l -> l.contains(both) && l.contains("WARN"))).singleElement()
                .satisfies(line -> assertThat(line).doesNotContain(kitA, kitB, test, "jane.doe"));
    }

    @Test
    void erasingAnOrderRemovesItsLinks() throws Exception {
        String number = "HUR-" + UUID.randomUUID();
        String kit = "KT-" + UUID.randomUUID();
        String test = UUID.randomUUID().toString();
        hurdle(fixture("hurdle/order-received").replace("HUR-100234", number).replace("KT4P9Q21", kit));
        hurdle(withoutOrderNumber(fixture("hurdle/test-lab-accessioned")
                .replace("KT4P9Q21", kit).replace("6a1d2f0e-3b4c-4d5e-8f90-a1b2c3d4e5f6", test)));
        String key = "hurdle|" + number;
        assertThat(links(key)).hasSize(3);
        // an erasure refuses while a delivery of the order is being attempted
        await().atMost(Duration.ofSeconds(15)).until(() -> jdbc.queryForObject(
                "SELECT COUNT(*) FROM delivery WHERE order_key = ? AND status <> 'DELIVERED'", Integer.class, key), n -> n == 0);

        // a lock row per id on H2; on PostgreSQL the locks are advisory and leave no row
        assertThat(lockRows("link:hurdle|%" + kit)).isEqualTo(onPostgres() ? 0 : 1);

        Map<String, Object> erased = erasure.erase(key, "order-linking-test");

        assertThat(erased).containsEntry("links", 3).containsEntry("canonicalEvents", 2).containsEntry("orderState", 1);
        assertThat(links(key)).isEmpty();
        assertThat(lockRows("link:hurdle|%" + kit)).isZero();
        assertThat(queries.orderKeysMatching(kit)).isEmpty();
        // a later event naming one of its ids starts afresh under its own key
        String processed = hurdle(withoutOrderNumber(fixture("hurdle/test-processed")
                .replace("6a1d2f0e-3b4c-4d5e-8f90-a1b2c3d4e5f6", test)));
        assertThat(orderKeyOf(processed)).isEqualTo("hurdle|" + test);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM order_state WHERE order_key = ?", Integer.class, key)).isZero();
    }

    @Test
    void eventsWithoutLinkedIdsKeepTheirKeys() throws Exception {
        // ids of one order only: the key OrderKeys gives, as before, and its id linked
        String order = UUID.randomUUID().toString();
        String fullscript = post(signer.fullscript(fixture("fullscript/lab-order-updated-results-ready")
                .replace("a0b50c8d-711e-43fa-85bb-5de80365aa10", order).getBytes(StandardCharsets.UTF_8)), "fullscript");
        assertThat(orderKeyOf(fullscript)).isEqualTo("fullscript|" + order);
        assertThat(status("fullscript|" + order)).isEqualTo("RESULTS_READY");
        // patient, clinic and practitioner ids span orders: never linked
        assertThat(links("fullscript|" + order)).containsExactlyInAnyOrder("order " + order);

        // no order at all: no key, no links
        String user = UUID.randomUUID().toString();
        String junction = post(signer.junction(fixture("junction/unknown-event-type")
                .replace("3fa85f64-5717-4562-b3fc-2c963f66afa6", user).getBytes(StandardCharsets.UTF_8)), "junction");
        assertThat(orderKeyOf(junction)).isNull();
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM order_link WHERE ref_value = ?", Integer.class, user)).isZero();
    }

    @Test
    void twoWorkersLinkingOneNewOrdersIdsInOppositeOrderNeitherDeadlockNorSplitIt() throws Exception {
        ExecutorService workers = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < 20; round++) {
                String number = "HUR-" + UUID.randomUUID();
                String kit1 = "KT-" + UUID.randomUUID();
                String kit2 = "KT-" + UUID.randomUUID();
                String test = UUID.randomUUID().toString();
                JsonNode order = JSON.readTree("""
                        {"provider": "hurdle", "order": {"providerOrderId": "%s"}, "refs": {"kitIds": ["%s", "%s"]}}"""
                        .formatted(number, kit1, kit2));
                JsonNode lab = JSON.readTree("""
                        {"provider": "hurdle", "order": {"providerOrderId": null}, "refs": {"kitIds": ["%s", "%s"], "testId": "%s"}}"""
                        .formatted(kit2, kit1, test));
                CyclicBarrier together = new CyclicBarrier(2);
                Future<String> first = workers.submit(() -> linkInOwnTransaction(order, together));
                Future<String> second = workers.submit(() -> linkInOwnTransaction(lab, together));
                String key = first.get(30, TimeUnit.SECONDS);

                // whichever went first named the order; the other joined it
                assertThat(second.get(30, TimeUnit.SECONDS)).isEqualTo(key).isIn("hurdle|" + number, "hurdle|" + test);
                assertThat(links(key)).containsExactlyInAnyOrder("order " + number, "kit " + kit1, "kit " + kit2, "test " + test);
            }
        } finally {
            workers.shutdownNow();
        }
    }

    @Test
    void anOrdersLockIsHeldUntilItsTransactionEnds() throws Exception {
        String key = "hurdle|HUR-" + UUID.randomUUID();
        transaction.executeWithoutResult(tx -> locks.lock(key)); // on H2 the order's lock row now exists, as for a known order
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService workers = Executors.newFixedThreadPool(2);
        try {
            Future<?> holder = workers.submit(() -> transaction.executeWithoutResult(tx -> {
                locks.lock(key);
                held.countDown();
                awaitQuietly(release);
            }));
            assertThat(held.await(10, TimeUnit.SECONDS)).isTrue();
            Future<?> waiter = workers.submit(() -> transaction.executeWithoutResult(tx -> locks.lock(key)));

            // the database itself reports the second transaction waiting for the first's lock
            await().atMost(Duration.ofSeconds(10)).until(this::transactionsWaitingForALock, n -> n == 1);
            assertThat(waiter).isNotDone();
            release.countDown();
            holder.get(10, TimeUnit.SECONDS);
            waiter.get(10, TimeUnit.SECONDS);
            assertThat(transactionsWaitingForALock()).isZero();
            assertThat(lockRows(key)).isEqualTo(onPostgres() ? 0 : 1);
        } finally {
            release.countDown();
            workers.shutdownNow();
        }
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    /**
     * What recording an event does first, in a transaction of its own started together with another. Two first
     * events racing to create one lock row make one of them fail on the key and go again, as a stored webhook
     * is retried; a deadlock fails the test.
     */
    String linkInOwnTransaction(JsonNode event, CyclicBarrier together) throws Exception {
        together.await(10, TimeUnit.SECONDS);
        for (int attempt = 1; ; attempt++) {
            try {
                return transaction.execute(tx -> linking.orderKeysOf(List.of(event)).get(0));
            } catch (DuplicateKeyException raced) {
                if (attempt == 3) {
                    throw raced;
                }
            }
        }
    }

    /** The shipped LML mapping, plus the order's registrations an order resource would give (see the class comment). */
    static String lmlWithRegistrations() {
        try {
            return """
                    /* test stand-in: the shipped mapping, plus data.test_registrations as refs.testRegistrationIds */
                    (
                      $event := (
                    %s
                      );
                      $registrations := data.test_registrations;
                      $registrations
                        ? $merge([$event, {"refs": $merge([$event.refs, {"testRegistrationIds": $registrations}])}])
                        : $event
                    )
                    """.formatted(Files.readString(Path.of("mappings/lml.jsonata")));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static String fixture(String name) throws IOException {
        return Files.readString(Path.of("mappings/tests/" + name + ".input.json"));
    }

    static String withoutOrderNumber(String hurdleBody) {
        return hurdleBody.replaceAll("\"orderNumber\": \"[^\"]*\",", "");
    }

    String lml(String body) throws Exception {
        return post(signer.lml(body.getBytes(StandardCharsets.UTF_8)), "lml");
    }

    String hurdle(String body) throws Exception {
        return post(signer.hurdle(body.getBytes(StandardCharsets.UTF_8)), "hurdle");
    }

    /** Posts a webhook and waits until its canonical event is recorded; its event id. */
    String post(HttpRequest.Builder request, String provider) throws Exception {
        HttpResponse<String> ack = http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(ack.statusCode()).as(ack.body()).isBetween(200, 202);
        String eventId = jdbc.queryForObject(
                "SELECT event_id FROM inbound_event WHERE provider = ? ORDER BY id DESC FETCH FIRST 1 ROWS ONLY", String.class, provider);
        Map<String, Object> stored = await().atMost(Duration.ofSeconds(15)).until(() -> jdbc.queryForMap(
                "SELECT status, last_error FROM inbound_event WHERE event_id = ?", eventId),
                row -> !"RECEIVED".equals(row.get("status")) || row.get("last_error") != null);
        assertThat(stored.get("status")).as("%s", stored.get("last_error")).isEqualTo("NORMALISED");
        return eventId;
    }

    String orderKeyOf(String eventId) {
        return jdbc.queryForObject("SELECT order_key FROM canonical_event WHERE event_id = ?", String.class, eventId);
    }

    String status(String orderKey) {
        return jdbc.queryForObject("SELECT status FROM order_state WHERE order_key = ?", String.class, orderKey);
    }

    /** "kind value" of each id linked to the order. */
    List<String> links(String orderKey) {
        return jdbc.queryForList("SELECT kind, ref_value FROM order_link WHERE order_key = ? ORDER BY kind, ref_value", orderKey)
                .stream().map(row -> row.get("kind") + " " + row.get("ref_value")).toList();
    }

    boolean onPostgres() {
        return DatabaseProduct.of(jdbc) == DatabaseProduct.POSTGRESQL;
    }

    int lockRows(String keyPattern) {
        return jdbc.queryForObject("SELECT COUNT(*) FROM order_lock WHERE order_key LIKE ?", Integer.class, keyPattern);
    }

    /** Sessions of this database blocked on a lock another holds, as the database reports them. */
    int transactionsWaitingForALock() {
        return jdbc.queryForObject(onPostgres()
                ? "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                : "SELECT COUNT(*) FROM INFORMATION_SCHEMA.SESSIONS WHERE BLOCKER_ID IS NOT NULL", Integer.class);
    }

    static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    double conflicts() {
        Counter counter = meters.find("labhooks.orders.link.conflicts").tag("provider", "hurdle").counter();
        return counter == null ? 0 : counter.count();
    }
}
