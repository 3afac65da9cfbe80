package io.labhooks.admin;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.labhooks.retention.RawPayloadRetention;
import io.labhooks.support.Installation;
import io.labhooks.support.ProviderSigner;

/**
 * The operator API through real HTTP with a bearer token, on a box that takes real signed webhooks and delivers
 * to a real receiver: looking events up with their timeline, orders, dead letters, retry, bulk replay (dry run,
 * redelivery, remapping after a mapping fix), redacted and audited raw payloads, erasure, retention, health
 * and metrics. Runs on H2 and on PostgreSQL (subclasses).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "labhooks.pipeline.poll-interval-ms=100",
        "labhooks.pipeline.normalise-max-attempts=1",
        "labhooks.admin.token=" + AdminApiTest.OLD_TOKEN + "," + AdminApiTest.TOKEN,
        "labhooks.sinks.http.secret=whsec_c2luay10ZXN0LXNpZ25pbmcta2V5LTAxMjM0NTY3OA==",
        // about outcomes, not the circuit breaker (SinkCircuitTest): a probe every 200 ms keeps it from slowing them
        "labhooks.sinks.http.circuit.probe-interval=200ms",
        "labhooks.sinks.http.retry.initial-delay=200ms",
        "labhooks.sinks.http.retry.max-attempts=2",
        "ACME_WEBHOOK_SECRET=" + ProviderSigner.ACME_SECRET})
@DirtiesContext
@AutoConfigureObservability
abstract class AdminApiTest {

    static final String TOKEN = "admin-test-token-2";
    static final String OLD_TOKEN = "admin-test-token-1";
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path ACME = Path.of("src/test/resources/sixth-provider");
    static final String BROKEN_ACME_MAPPING = "kind = \"order.opened\" ? $error(\"mapping bug: order.opened not handled\") : "
            + read(ACME.resolve("acme.jsonata"));
    /** The acme provider, whose mapping starts out broken for "order.opened" and is fixed during a test. */
    static final Installation INSTALLATION = Installation.copyOfShipped()
            .withCopy("routes/providers/acme.camel.yaml", ACME.resolve("acme.camel.yaml"))
            .with("mappings/acme.jsonata", BROKEN_ACME_MAPPING);

    @RegisterExtension
    static WireMockExtension receiver = WireMockExtension.newInstance()
            .options(com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig().dynamicPort())
            .build();

    @DynamicPropertySource
    static void box(DynamicPropertyRegistry registry) {
        ProviderSigner.registerSecrets(registry);
        registry.add("labhooks.routes-dir", () -> INSTALLATION.routes().toString());
        registry.add("labhooks.mappings-dir", () -> INSTALLATION.mappings().toString());
        registry.add("labhooks.sinks.http.url", () -> receiver.baseUrl() + "/labhooks");
    }

    @LocalServerPort
    int port;
    @Autowired
    JdbcTemplate jdbc;
    @Autowired
    RawPayloadRetention retention;
    final HttpClient http = HttpClient.newHttpClient();
    ProviderSigner signer;

    @BeforeEach
    void setUp() {
        signer = new ProviderSigner(URI.create("http://127.0.0.1:" + port));
        receiver.stubFor(post(urlEqualTo("/labhooks")).willReturn(aResponse().withStatus(200)));
    }

    /** Every test starts from the broken acme mapping, whatever the one before it did to the file. */
    @AfterEach
    void restoreTheBrokenMapping() throws Exception {
        Files.writeString(INSTALLATION.mappings().resolve("acme.jsonata"), BROKEN_ACME_MAPPING);
        postJson("/admin/replays", "{\"action\":\"remap\",\"provider\":\"nobody\",\"dryRun\":false}"); // reloads mapping files
    }

    @Test
    void withoutTheRightBearerTokenNothingIsShown() throws Exception {
        HttpResponse<String> none = http.send(HttpRequest.newBuilder(uri("/admin/events")).build(), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> wrong = http.send(HttpRequest.newBuilder(uri("/admin/events"))
                .header("Authorization", "Bearer not-the-token").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(wrong.body()).path("error").asText()).isEqualTo("a valid admin bearer token is required");
        assertThat(wrong.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
        // Both tokens of a rotation are accepted.
        assertThat(http.send(HttpRequest.newBuilder(uri("/admin/events")).header("Authorization", "Bearer " + OLD_TOKEN).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    }

    @Test
    void anEventCanBeFoundByFilterAndShownWithItsTimelineOrderAndRedactedPayload() throws Exception {
        String job = "job-" + UUID.randomUUID();
        receiver.stubFor(post(urlEqualTo("/labhooks")).withRequestBody(containing(job)).atPriority(1)
                .inScenario(job).whenScenarioStateIs("Started").willReturn(aResponse().withStatus(503)).willSetStateTo("up"));
        receiver.stubFor(post(urlEqualTo("/labhooks")).withRequestBody(containing(job)).atPriority(1)
                .inScenario(job).whenScenarioStateIs("up").willReturn(aResponse().withStatus(200)));
        assertThat(send(signer.lola(lolaEvent("job.confirmed", job, "Jane Patient"))).statusCode()).isEqualTo(202);
        assertThat(send(signer.lola(lolaEvent("job.completed", job, "Jane Patient"))).statusCode()).isEqualTo(202);
        String orderKey = orderKeyOf(job);
        await().atMost(Duration.ofSeconds(20)).until(() -> jdbc.queryForObject(
                "SELECT COUNT(*) FROM delivery WHERE order_key = ? AND status = 'DELIVERED'", Integer.class, orderKey), n -> n == 4);

        JsonNode events = get("/admin/events?provider=lola&order=" + encode(orderKey));
        assertThat(events).hasSize(2);
        assertThat(events.get(0).path("type").asText()).isEqualTo("VISIT_COMPLETED");
        assertThat(get("/admin/events?provider=lola&type=ORDER_CONFIRMED&order=" + encode(orderKey))).hasSize(1);
        assertThat(get("/admin/events?order=" + encode(orderKey) + "&from=" + encode(OffsetDateTime.now().plusMinutes(1).toString()))).isEmpty();
        assertThat(get("/admin/inbound-events?provider=lola&order=" + encode(orderKey) + "&status=NORMALISED")).hasSize(2);

        String first = events.get(1).path("eventId").asText();
        JsonNode detail = get("/admin/events/" + first);
        assertThat(detail.path("event").path("eventId").asText()).isEqualTo(first);
        List<String> steps = new ArrayList<>();
        detail.path("timeline").forEach(step -> steps.add((step.path("step").asText() + " " + step.path("sink").asText("")
                + " " + step.path("outcome").asText("")).trim()));
        assertThat(steps).contains("received", "mapped", "delivery attempt http FAILED", "delivery attempt http DELIVERED",
                "delivery attempt jdbc DELIVERED");
        assertThat(steps.get(0)).isEqualTo("received");
        assertThat(detail.path("timeline").toString()).contains("HTTP 503 from the receiver");

        JsonNode order = get("/admin/orders/" + encode(orderKey));
        assertThat(order.path("state").path("status").asText()).isEqualTo("SAMPLE_COLLECTED");
        assertThat(order.path("history")).hasSize(2);

        long inboundId = detail.path("inboundEventId").asLong();
        JsonNode redacted = get("/admin/inbound-events/" + inboundId);
        assertThat(redacted.toString()).doesNotContain("Jane Patient");
        assertThat(redacted.path("payload").path("type").asText()).isEqualTo("job.confirmed");
        assertThat(redacted.path("payload").path("data").path("patientName").asText()).isEqualTo("[redacted]");
        assertThat(auditCount("inbound event " + inboundId)).as("a redacted read is not audited").isZero();

        JsonNode raw = get("/admin/inbound-events/" + inboundId + "?raw=true");
        assertThat(raw.path("payload").path("data").path("patientName").asText()).isEqualTo("Jane Patient");
        assertThat(auditCount("inbound event " + inboundId)).isEqualTo(1);
        JsonNode audit = get("/admin/audit");
        assertThat(audit.get(0).path("action").asText()).isEqualTo("read-raw-payload");
        assertThat(audit.get(0).path("target").asText()).isEqualTo("inbound event " + inboundId);
        assertThat(audit.get(0).path("actor").asText()).startsWith("alice (token ");

        assertThat(status("/admin/events/" + UUID.randomUUID())).isEqualTo(404);
        assertThat(status("/admin/events?from=yesterday")).isEqualTo(400);
    }

    @Test
    void aDeadDeliveryIsListedAndRetriedAndABulkReplayCountsFirstThenRedelivers() throws Exception {
        String job = "job-" + UUID.randomUUID();
        receiver.stubFor(post(urlEqualTo("/labhooks")).withRequestBody(containing(job)).atPriority(1)
                .willReturn(aResponse().withStatus(410)));
        assertThat(send(signer.lola(lolaEvent("job.confirmed", job, "Jane Patient"))).statusCode()).isEqualTo(202);
        JsonNode letter = await().atMost(Duration.ofSeconds(15)).until(() -> find(get("/admin/deliveries?sink=http"), job),
                row -> row != null);
        assertThat(letter.path("status").asText()).isEqualTo("DEAD");
        assertThat(letter.path("lastError").asText()).isEqualTo("HTTP 410 from the receiver");

        receiver.stubFor(post(urlEqualTo("/labhooks")).withRequestBody(containing(job)).atPriority(1)
                .willReturn(aResponse().withStatus(200)));
        JsonNode retried = postJson("/admin/deliveries/" + letter.path("id").asLong() + "/retry", "");
        assertThat(retried.path("status").asText()).isEqualTo("PENDING");
        String eventId = letter.path("eventId").asText();
        await().atMost(Duration.ofSeconds(15)).until(() -> receivedCount(eventId), n -> n == 1);
        await().atMost(Duration.ofSeconds(15)).until(() -> get("/admin/events/" + eventId).path("deliveries").toString()
                .contains("\"sink\":\"http\",\"status\":\"DELIVERED\""));
        assertThat(postStatus("/admin/deliveries/" + letter.path("id").asLong() + "/retry")).isEqualTo(409);

        String replay = "{\"action\":\"redeliver\",\"sink\":\"http\",\"order\":\"" + letter.path("orderKey").asText() + "\"";
        JsonNode dryRun = postJson("/admin/replays", replay + "}");
        assertThat(dryRun.path("dryRun").asBoolean()).isTrue();
        assertThat(dryRun.path("matched").asInt()).isEqualTo(1);
        Thread.sleep(500);
        assertThat(receivedCount(eventId)).as("a dry run sends nothing").isEqualTo(1);

        JsonNode replayed = postJson("/admin/replays", replay + ",\"dryRun\":false}");
        assertThat(replayed.path("matched").asInt()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(15)).until(() -> receivedCount(eventId), n -> n == 2);
        assertThat(get("/admin/audit").toString()).contains("replay-redeliver", "retry-delivery");
        assertThat(postJsonStatus("/admin/replays", "{\"action\":\"redeliver\",\"sink\":\"nowhere\"}")).isEqualTo(400);
        assertThat(postJsonStatus("/admin/replays", "{\"action\":\"delete-everything\"}")).isEqualTo(400);
    }

    @Test
    void afterAMappingFixFailedEventsAreRemappedAndMappedOnesGetACorrectingRevision() throws Exception {
        String id = "acme-" + UUID.randomUUID();
        assertThat(send(signer.acme(id, "order.opened")).statusCode()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(15)).until(() -> jdbc.queryForObject(
                "SELECT status FROM inbound_event WHERE provider_event_id = ?", String.class, id), "FAILED"::equals);
        assertThat(get("/admin/inbound-events?provider=acme&status=FAILED").toString()).contains("mapping bug: order.opened not handled");
        assertThat(get("/actuator/health").path("components").path("pipeline").path("details").path("inbound").path("failed").asInt())
                .isGreaterThanOrEqualTo(1);

        Files.copy(ACME.resolve("acme.jsonata"), INSTALLATION.mappings().resolve("acme.jsonata"), StandardCopyOption.REPLACE_EXISTING);
        JsonNode dryRun = postJson("/admin/replays", "{\"action\":\"remap\",\"provider\":\"acme\",\"status\":\"FAILED\"}");
        assertThat(dryRun.path("matched").asInt()).isGreaterThanOrEqualTo(1);
        postJson("/admin/replays", "{\"action\":\"remap\",\"provider\":\"acme\",\"status\":\"FAILED\",\"dryRun\":false}");
        String firstEventId = await().atMost(Duration.ofSeconds(15)).until(() -> eventIdsOf(id), l -> l.size() == 1).get(0);
        assertThat(get("/admin/events/" + firstEventId).path("event").path("type").asText()).isEqualTo("ORDER_CREATED");

        postJson("/admin/replays", "{\"action\":\"remap\",\"provider\":\"acme\",\"order\":\"acme|ACME-" + id + "\",\"dryRun\":false}");
        List<String> revisions = await().atMost(Duration.ofSeconds(15)).until(() -> eventIdsOf(id), l -> l.size() == 2);
        JsonNode revision = get("/admin/events/" + revisions.get(1)).path("event");
        assertThat(revision.path("revision").asInt()).isEqualTo(2);
        assertThat(revision.path("supersedesEventId").asText()).isEqualTo(firstEventId);
        await().atMost(Duration.ofSeconds(15)).until(() -> receivedCount(revisions.get(1)), n -> n == 1);
        assertThat(get("/admin/audit").toString()).contains("replay-remap");
    }

    @Test
    void aCorrectingRevisionMovesTheOrderBackAndReplacesTheWrongEventWhereItHasNotGoneOut() throws Exception {
        String buggy = read(ACME.resolve("acme.jsonata")).replace(
                "\"order.opened\":   {\"type\": \"ORDER_CREATED\",  \"status\": \"CREATED\"}",
                "\"order.opened\":   {\"type\": \"RESULTS_READY\",  \"status\": \"RESULTS_READY\"}");
        assertThat(buggy).contains("\"order.opened\":   {\"type\": \"RESULTS_READY\"");
        Files.writeString(INSTALLATION.mappings().resolve("acme.jsonata"), buggy);
        postJson("/admin/replays", "{\"action\":\"remap\",\"provider\":\"nobody\",\"dryRun\":false}"); // reloads mapping files
        String id = "acme-" + UUID.randomUUID();
        receiver.stubFor(post(urlEqualTo("/labhooks")).withRequestBody(containing(id)).atPriority(1)
                .willReturn(aResponse().withStatus(503)));
        assertThat(send(signer.acme(id, "order.opened")).statusCode()).isEqualTo(202);
        String orderKey = "acme|ACME-" + id;
        await().atMost(Duration.ofSeconds(15)).ignoreExceptions().until(() -> get("/admin/orders/" + encode(orderKey))
                .path("state").path("status").asText(), "RESULTS_READY"::equals);
        String wrongEventId = eventIdsOf(id).get(0);
        // Dead after its two attempts, so no retry of it can race the correction below.
        await().atMost(Duration.ofSeconds(15)).until(() -> get("/admin/events/" + wrongEventId).path("deliveries").toString()
                .contains("\"sink\":\"http\",\"status\":\"DEAD\""));

        Files.copy(ACME.resolve("acme.jsonata"), INSTALLATION.mappings().resolve("acme.jsonata"), StandardCopyOption.REPLACE_EXISTING);
        receiver.stubFor(post(urlEqualTo("/labhooks")).withRequestBody(containing(id)).atPriority(1)
                .willReturn(aResponse().withStatus(200)));
        postJson("/admin/replays", "{\"action\":\"remap\",\"order\":\"" + orderKey + "\",\"dryRun\":false}");

        List<String> revisions = await().atMost(Duration.ofSeconds(15)).until(() -> eventIdsOf(id), l -> l.size() == 2);
        JsonNode corrected = get("/admin/events/" + revisions.get(1));
        assertThat(corrected.path("event").path("type").asText()).isEqualTo("ORDER_CREATED");
        assertThat(corrected.path("event").path("order").path("status").asText()).isEqualTo("CREATED");
        assertThat(corrected.path("event").path("outOfOrder").asBoolean()).isFalse();
        assertThat(get("/admin/orders/" + encode(orderKey)).path("state").path("status").asText()).isEqualTo("CREATED");
        await().atMost(Duration.ofSeconds(15)).until(() -> receivedCount(revisions.get(1)), n -> n == 1);
        assertThat(get("/admin/events/" + wrongEventId).path("deliveries").toString())
                .contains("\"sink\":\"http\",\"status\":\"SUPERSEDED\"");
        assertThat(receivedCount(wrongEventId)).as("the wrong event never went out").isZero();
    }

    @Test
    void aReplayOfEverythingIsRefusedUnlessNarrowedButMayBeCounted() throws Exception {
        assertThat(postJsonStatus("/admin/replays", "{\"action\":\"remap\",\"dryRun\":false}")).isEqualTo(400);
        assertThat(postJsonStatus("/admin/replays", "{\"action\":\"redeliver\",\"sink\":\"http\",\"dryRun\":false}")).isEqualTo(400);
        assertThat(postJson("/admin/replays", "{\"action\":\"redeliver\",\"sink\":\"http\"}").path("dryRun").asBoolean()).isTrue();
    }

    @Test
    void oldRawPayloadsArePurgedButFailedOnesAndCanonicalEventsStay() throws Exception {
        String job = "job-" + UUID.randomUUID();
        assertThat(send(signer.lola(lolaEvent("job.confirmed", job, "Jane Patient"))).statusCode()).isEqualTo(202);
        String failedId = "acme-" + UUID.randomUUID();
        assertThat(send(signer.acme(failedId, "order.opened")).statusCode()).isEqualTo(202);
        String orderKey = orderKeyOf(job);
        long mappedId = jdbc.queryForObject("SELECT inbound_event_id FROM canonical_event WHERE order_key = ?", Long.class, orderKey);
        await().atMost(Duration.ofSeconds(15)).until(() -> jdbc.queryForObject(
                "SELECT status FROM inbound_event WHERE provider_event_id = ?", String.class, failedId), "FAILED"::equals);
        jdbc.update("UPDATE inbound_event SET received_at = ? WHERE provider_event_id = ? OR id = ?",
                OffsetDateTime.now().minusDays(31), failedId, mappedId);

        assertThat(retention.purge()).isGreaterThanOrEqualTo(1);

        JsonNode purged = get("/admin/inbound-events/" + mappedId + "?raw=true");
        assertThat(purged.path("payload").isNull()).isTrue();
        assertThat(purged.path("bodyPurgedAt").isTextual()).isTrue();
        assertThat(get("/admin/orders/" + encode(orderKey)).path("history")).hasSize(1);
        assertThat(jdbc.queryForObject("SELECT status FROM inbound_event WHERE provider_event_id = ?", String.class, failedId)).isEqualTo("FAILED");
        assertThat(new String(jdbc.queryForObject("SELECT body FROM inbound_event WHERE provider_event_id = ?", byte[].class, failedId),
                StandardCharsets.UTF_8)).contains(failedId);
        assertThat(postJson("/admin/replays", "{\"action\":\"remap\",\"order\":\"" + orderKey + "\"}").path("skippedPurged").asInt())
                .isEqualTo(1);
    }

    @Test
    void erasingAnOrderRemovesEverythingHeldAboutItAndIsAudited() throws Exception {
        String job = "job-" + UUID.randomUUID();
        byte[] confirmed = lolaEvent("job.confirmed", job, "Jane Erasable");
        String webhookId = "msg_" + UUID.randomUUID();
        assertThat(send(signer.lola(confirmed, webhookId, Instant.now().getEpochSecond())).statusCode()).isEqualTo(202);
        assertThat(send(signer.lola(lolaEvent("job.completed", job, "Jane Erasable"))).statusCode()).isEqualTo(202);
        String orderKey = orderKeyOf(job);
        await().atMost(Duration.ofSeconds(20)).until(() -> jdbc.queryForObject(
                "SELECT COUNT(*) FROM delivery WHERE order_key = ? AND status <> 'DELIVERED'", Integer.class, orderKey), n -> n == 0);

        HttpResponse<String> erased = http.send(admin("/admin/orders/" + encode(orderKey)).DELETE().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(erased.statusCode()).as(erased.body()).isEqualTo(200);
        assertThat(JSON.readTree(erased.body()).path("inboundEvents").asInt()).isEqualTo(2);

        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM inbound_event WHERE provider_event_id = ?", Integer.class,
                JSON.readTree(confirmed).path("data").path("id").asText())).isZero();
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM canonical_event WHERE order_key = ?", Integer.class, orderKey)).isZero();
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM order_state WHERE order_key = ?", Integer.class, orderKey)).isZero();
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM delivery WHERE order_key = ?", Integer.class, orderKey)).isZero();
        assertThat(status("/admin/orders/" + encode(orderKey))).isEqualTo(404);
        assertThat(get("/admin/audit").get(0).path("action").asText()).isEqualTo("erase-order");
        assertThat(get("/admin/audit").get(0).path("target").asText()).isEqualTo("order " + orderKey);

        // The provider retrying one of those webhooks later does not bring the data back: it is a duplicate.
        assertThat(send(signer.lola(confirmed, webhookId, Instant.now().getEpochSecond())).statusCode()).isEqualTo(202);
        Thread.sleep(500);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM canonical_event WHERE order_key = ?", Integer.class, orderKey)).isZero();
    }

    @Test
    void healthAndMetricsShowEachSinksBacklog() throws Exception {
        JsonNode health = get("/actuator/health");
        assertThat(health.path("status").asText()).isEqualTo("UP");
        JsonNode sinks = health.path("components").path("pipeline").path("details").path("sinks");
        assertThat(sinks.has("http")).isTrue();
        assertThat(sinks.path("jdbc").has("pending")).isTrue();
        assertThat(sinks.path("jdbc").has("oldestPendingSeconds")).isTrue();
        assertThat(sinks.path("jdbc").has("dead")).isTrue();
        assertThat(health.path("components").path("db").path("status").asText()).isEqualTo("UP");
        String prometheus = http.send(HttpRequest.newBuilder(uri("/actuator/prometheus")).build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(prometheus).contains("labhooks_deliveries_backlog{sink=\"http\"}", "labhooks_deliveries_dead{sink=\"jdbc\"}",
                "labhooks_deliveries_oldest_pending_age_seconds{sink=\"http\"}", "labhooks_inbound_waiting", "labhooks_inbound_failed");
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    static byte[] lolaEvent(String type, String jobId, String patientName) {
        return ("{\"type\":\"" + type + "\",\"timestamp\":\"2026-06-01T08:14:02.123Z\",\"data\":{\"id\":\"evt_" + UUID.randomUUID()
                + "\",\"jobId\":\"" + jobId + "\",\"externalOrderId\":\"order-" + jobId + "\",\"fulfillmentChannel\":\"MOBILE\","
                + "\"patientName\":\"" + patientName + "\"}}").getBytes(StandardCharsets.UTF_8);
    }


    String orderKeyOf(String job) {
        return await().atMost(Duration.ofSeconds(15)).until(() -> jdbc.queryForList(
                "SELECT DISTINCT order_key FROM canonical_event WHERE payload LIKE ?", String.class, "%" + job + "%"),
                l -> l.size() == 1).get(0);
    }

    List<String> eventIdsOf(String providerEventId) {
        return jdbc.queryForList("""
                SELECT c.event_id FROM canonical_event c JOIN inbound_event i ON i.id = c.inbound_event_id
                WHERE i.provider_event_id = ? ORDER BY c.seq""", String.class, providerEventId);
    }

    static JsonNode find(JsonNode list, String job) {
        for (JsonNode row : list) {
            if (row.path("orderKey").asText().endsWith(job)) {
                return row;
            }
        }
        return null;
    }

    long receivedCount(String eventId) {
        return receiver.getAllServeEvents().stream().filter(e -> eventId.equals(e.getRequest().getHeader("webhook-id"))
                && e.getResponse().getStatus() == 200).count();
    }

    int auditCount(String target) {
        return jdbc.queryForObject("SELECT COUNT(*) FROM admin_audit WHERE target = ?", Integer.class, target);
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    HttpRequest.Builder admin(String path) {
        return HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer " + TOKEN).header("X-Labhooks-Operator", "alice");
    }

    JsonNode get(String path) throws Exception {
        HttpResponse<String> response = http.send(admin(path).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(path + " " + response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    int status(String path) throws Exception {
        return http.send(admin(path).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    JsonNode postJson(String path, String body) throws Exception {
        HttpResponse<String> response = http.send(admin(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(path + " " + response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    int postJsonStatus(String path, String body) throws Exception {
        return http.send(admin(path).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    int postStatus(String path) throws Exception {
        return http.send(admin(path).POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
