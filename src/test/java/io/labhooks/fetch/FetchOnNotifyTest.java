package io.labhooks.fetch;

import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.github.tomakehurst.wiremock.stubbing.Scenario;

import io.labhooks.support.Installation;
import io.labhooks.support.ProviderSigner;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Fetch on notify through the real endpoint, against a real HTTP server playing LML's API (WireMock) with the
 * documented shapes (provider-apis.md §3, §6): each LML webhook is stored and acknowledged, then the box asks the API
 * for what it names and maps the webhook with the answers beside it; what the API says decides what is delivered.
 * The shipped lml.api.yaml is used with shorter waits (budget, retries, timeout) so a test takes seconds, not hours.
 * Runs on H2 and on PostgreSQL.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = "labhooks.pipeline.poll-interval-ms=100")
@DirtiesContext
abstract class FetchOnNotifyTest {

    static final String KEY = "lml-api-key-current";
    static final String RETIRED_KEY = "lml-api-key-retired";
    static final WireMockServer LML = started();
    /** A host named in a forged webhook's url: the box must never call it. */
    static final WireMockServer ELSEWHERE = started();
    static final Installation INSTALLATION = installation();
    static final ObjectMapper JSON = new ObjectMapper();
    static final Duration PATIENCE = Duration.ofSeconds(30);

    private static WireMockServer started() {
        WireMockServer server = new WireMockServer(WireMockConfiguration.options().dynamicPort());
        server.start();
        return server;
    }

    private static Installation installation() {
        try {
            String api = Files.readString(Path.of("routes/providers/lml.api.yaml"))
                    .replace("budget: 1h", "budget: 15s\n  first-retry: 300ms\n  longest-retry: 1s")
                    .replace("timeout: 10s", "timeout: 1s")
                    .replace("rate-limit: { requests: 1, per: 1s }", "rate-limit: { requests: 50, per: 1s }")
                    .replace("retry: [5m, 35m, 155m]", "retry: [1s, 2s, 30s]");
            return Installation.copyOfShipped().with("routes/providers/lml.api.yaml", api);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @DynamicPropertySource
    static void box(DynamicPropertyRegistry registry) {
        ProviderSigner.registerSecrets(registry);
        registry.add("labhooks.routes-dir", () -> INSTALLATION.routes().toString());
        registry.add("labhooks.mappings-dir", () -> INSTALLATION.mappings().toString());
        registry.add("LML_API_URL", () -> LML.baseUrl() + "/api");
        // rotation: the retired key is listed first and refused, the current one is then used
        registry.add("LML_API_KEY", () -> RETIRED_KEY + ", " + KEY);
    }

    // The servers are static, shared by the H2 and the PostgreSQL subclass in one JVM: they are reset before each
    // test, not stopped after a class (the next class would find them gone).

    @LocalServerPort
    int port;
    @Autowired
    JdbcTemplate jdbc;
    @Autowired
    MeterRegistry metrics;
    @Autowired
    io.labhooks.retention.RawPayloadRetention retention;

    final HttpClient http = HttpClient.newHttpClient();
    ProviderSigner signer;

    @BeforeEach
    void setUp() {
        signer = new ProviderSigner(URI.create("http://127.0.0.1:" + port));
        LML.resetAll();
        ELSEWHERE.resetAll();
        // LML's 401 for any call without the current token (provider-apis.md §3), 404 for what it does not know
        LML.stubFor(get(anyUrl()).atPriority(10).willReturn(aResponse().withStatus(401)
                .withHeader("Content-Type", "application/json").withBody("{\"message\": \"Token is not valid.\"}")));
        LML.stubFor(authorised(get(anyUrl())).atPriority(9).willReturn(aResponse().withStatus(404)
                .withHeader("Content-Type", "application/json").withBody("{\"message\": \"Not found\"}")));
    }

    @Test
    void aThinWebhookIsMappedWithTheResourcesItPointsAt() throws Exception {
        String order = id();
        String registration = id();
        String other = id();
        serveOrder(order, registration, other);
        serveRegistration(registration, "success");
        LML.stubFor(authorised(get(urlEqualTo("/api/lab_result/" + registration + "/test_registration")))
                .willReturn(okJson("[{\"id\":\"r1\",\"name\":\"Total Protein\",\"code\":\"TPR\",\"value\":\"21\","
                        + "\"min_range\":\"8\",\"max_range\":\"89\",\"comment\":null,\"successful\":true,\"biomarker_id\":\"b1\"}]")));

        assertThat(send(orderShipped(order, "https://api.londonmedicallaboratory.com/api/order/" + order))).isEqualTo(200);
        assertThat(send(resultsComplete(registration, "https://api.londonmedicallaboratory.com/api/test_registration/"
                + registration + "/lab_results/"))).isEqualTo(200);

        JsonNode shipped = delivered("order.shipped", order);
        assertThat(shipped.path("enrichment").path("status").asText()).isEqualTo("ENRICHED");
        assertThat(shipped.path("enrichment").path("fetched")).containsExactly(JSON.valueToTree("order"));
        assertThat(shipped.path("providerStatus").asText()).isEqualTo("shipped");
        assertThat(shipped.path("refs").path("testRegistrationIds")).extracting(JsonNode::asText)
                .containsExactly(registration, other);
        assertThat(shipped.path("source").asText()).isEqualTo("webhook");

        JsonNode results = delivered("lab_results.complete", registration);
        assertThat(results.path("enrichment").path("fetched")).extracting(JsonNode::asText)
                .containsExactly("testRegistration", "results");
        assertThat(results.path("results").path("availability").asText()).isEqualTo("FINAL");
        assertThat(results.toString()).as("no patient details or result values in the event")
                .doesNotContain("Alexandra", "alexandra@example.org", "1980-01-01", "Total Protein");

        // one order, whatever id each webhook leads with: the fetched order lists the registration the results are for
        List<String> keys = jdbc.queryForList("SELECT DISTINCT order_key FROM canonical_event WHERE provider = 'lml'"
                + " AND (payload LIKE ? OR payload LIKE ?)", String.class, "%" + order + "%", "%" + registration + "%");
        assertThat(keys).hasSize(1);
        assertThat(jdbc.queryForObject("SELECT status FROM order_state WHERE order_key = ?", String.class, keys.get(0)))
                .isEqualTo("RESULTS_READY");

        // the fetched JSON is kept with the webhook (so a remap needs no call)
        Map<String, Object> stored = inbound("lab_results.complete", registration);
        assertThat(stored.get("fetch_outcome")).isEqualTo("ENRICHED");
        assertThat(stored.get("fetched")).isNotNull();
        LML.verify(1, getRequestedFor(urlEqualTo("/api/lab_result/" + registration + "/test_registration"))
                .withHeader("Authorization", equalTo("Bearer " + KEY)));
        // purged with the raw body once its retention has passed
        jdbc.update("UPDATE inbound_event SET received_at = ? WHERE id = ?", java.time.OffsetDateTime.now().minusDays(400), stored.get("id"));
        retention.purge();
        assertThat(jdbc.queryForMap("SELECT body_purged_at, fetched FROM inbound_event WHERE id = ?", stored.get("id")))
                .containsEntry("fetched", null).doesNotContainEntry("body_purged_at", null);
        // the retired key, listed first, is refused once; the accepted one is used from then on
        assertThat(LML.findAll(getRequestedFor(anyUrl()).withHeader("Authorization", equalTo("Bearer " + RETIRED_KEY))))
                .hasSizeLessThanOrEqualTo(1);
    }

    @Test
    void aForgedWebhookForAnIdTheApiDoesNotKnowIsRejectedAndNeverDelivered() throws Exception {
        String forged = id();
        LML.stubFor(authorised(get(urlPathMatching("/api/test_registration/" + forged + "/?")))
                .willReturn(aResponse().withStatus(404).withHeader("Content-Type", "application/json")
                        .withBody("{\"message\":\"Not found\"}")));
        double before = rejected();

        assertThat(send(resultsComplete(forged, "https://api.londonmedicallaboratory.com/api/x"))).as("acknowledged as LML expects").isEqualTo(200);

        await().atMost(PATIENCE).until(() -> "REJECTED".equals(inbound("lab_results.complete", forged).get("status")));
        Map<String, Object> stored = inbound("lab_results.complete", forged);
        assertThat((String) stored.get("fetch_note")).contains("does not know it (404");
        assertThat(rejected()).isEqualTo(before + 1);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM canonical_event WHERE inbound_event_id = ?", Integer.class,
                stored.get("id"))).as("never normalised").isZero();
        assertThat(feedRows(forged)).as("never delivered").isZero();
        LML.verify(0, getRequestedFor(urlEqualTo("/api/lab_result/" + forged + "/test_registration")));
    }

    @Test
    void aUrlInTheWebhookIsNeverCalledOnlyTheConfiguredApiWithTheIdsPath() throws Exception {
        String registration = id();
        serveRegistration(registration, "success");
        ELSEWHERE.stubFor(get(anyUrl()).willReturn(okJson("{\"id\":\"" + registration + "\"}")));

        assertThat(send(sampleReceived(registration, ELSEWHERE.baseUrl() + "/api/test_registration/" + registration + "/"))).isEqualTo(200);
        assertThat(send(sampleReceived(registration + "/../../admin", ELSEWHERE.baseUrl() + "/steal"))).isEqualTo(200);

        delivered("test_registration.sample_received", registration);
        await().atMost(PATIENCE).until(() -> !"FETCHING".equals(inbound("test_registration.sample_received",
                registration + "/../../admin").get("status")));
        assertThat(ELSEWHERE.getAllServeEvents()).as("the host a webhook names is never called").isEmpty();
        // an id is one path segment under the configured base, whatever it holds
        LML.verify(getRequestedFor(urlEqualTo("/api/test_registration/" + registration + "%2F..%2F..%2Fadmin/")));
        assertThat(LML.getAllServeEvents()).allSatisfy(e -> assertThat(e.getRequest().getUrl()).startsWith("/api/test_registration/"));
    }

    @Test
    void resultsNotReadyAreAskedForAgainLater() throws Exception {
        String registration = id();
        serveRegistration(registration, "success");
        String results = "/api/lab_result/" + registration + "/test_registration";
        String scenario = "results " + registration;
        // 204 until the test has seen the event wait; only then are the results ready (no race with the retry)
        LML.stubFor(authorised(get(urlEqualTo(results))).inScenario(scenario)
                .whenScenarioStateIs(Scenario.STARTED).willReturn(aResponse().withStatus(204)));
        LML.stubFor(authorised(get(urlEqualTo(results))).inScenario(scenario)
                .whenScenarioStateIs("ready").willReturn(okJson("[{\"id\":\"r1\",\"code\":\"TPR\",\"value\":\"21\"}]")));

        assertThat(send(resultsComplete(registration, "https://api.londonmedicallaboratory.com/api/x"))).isEqualTo(200);
        await().atMost(PATIENCE).until(() -> ((String) String.valueOf(inbound("lab_results.complete", registration).get("fetch_note")))
                .contains("results: not ready yet (204)"));
        assertThat(inbound("lab_results.complete", registration).get("status")).as("waits, visibly").isEqualTo("FETCHING");
        assertThat(feedRows(registration)).as("not delivered while the results are not ready").isZero();
        LML.setScenarioState(scenario, "ready");

        JsonNode event = delivered("lab_results.complete", registration);
        assertThat(event.path("enrichment").path("status").asText()).isEqualTo("ENRICHED");
        assertThat(event.path("enrichment").path("fetched")).extracting(JsonNode::asText).contains("results");
        // newest first: the results, once, after one 204 or more (how many depends on when the test made them ready)
        List<Integer> answers = LML.getAllServeEvents().stream()
                .filter(e -> e.getRequest().getUrl().equals(results)
                        && ("Bearer " + KEY).equals(e.getRequest().getHeader("Authorization")))
                .map(e -> e.getResponse().getStatus()).toList();
        assertThat(answers).as("asked again after each 204 until the results came, then no more")
                .hasSizeGreaterThanOrEqualTo(2).startsWith(200);
        assertThat(answers.subList(1, answers.size())).containsOnly(204);
    }

    @Test
    void whileTheApiIsDownOrLimitingEveryEventWaitsThenAllAreEnrichedAndDeliveredNoneLost() throws Exception {
        List<String> registrations = List.of(id(), id(), id());
        for (String registration : registrations) {
            String path = "/api/test_registration/" + registration + "/";
            String scenario = "down " + registration;
            LML.stubFor(authorised(get(urlEqualTo(path))).inScenario(scenario).whenScenarioStateIs(Scenario.STARTED)
                    .willSetStateTo("limited").willReturn(aResponse().withStatus(503)));
            LML.stubFor(authorised(get(urlEqualTo(path))).inScenario(scenario).whenScenarioStateIs("limited")
                    .willSetStateTo("up").willReturn(aResponse().withStatus(429).withHeader("Retry-After", "1")));
            LML.stubFor(authorised(get(urlEqualTo(path))).inScenario(scenario).whenScenarioStateIs("up")
                    .willReturn(okJson(registrationBody(registration, "success"))));
            assertThat(send(sampleReceived(registration, "https://api.londonmedicallaboratory.com/api/x"))).isEqualTo(200);
        }
        await().atMost(PATIENCE).until(() -> registrations.stream().allMatch(r ->
                String.valueOf(inbound("test_registration.sample_received", r).get("fetch_note")).contains("answered 503")
                        || inbound("test_registration.sample_received", r).get("fetch_outcome") != null));
        for (String registration : registrations) {
            JsonNode event = delivered("test_registration.sample_received", registration);
            assertThat(event.path("enrichment").path("status").asText()).as(registration).isEqualTo("ENRICHED");
            assertThat(event.path("providerStatus").asText()).isEqualTo("success");
        }
    }

    @Test
    void aSlowAnswerTimesOutAndIsAskedAgain() throws Exception {
        String registration = id();
        String path = "/api/test_registration/" + registration + "/";
        LML.stubFor(authorised(get(urlEqualTo(path))).inScenario("slow").whenScenarioStateIs(Scenario.STARTED)
                .willSetStateTo("fast").willReturn(okJson(registrationBody(registration, "success")).withFixedDelay(3000)));
        LML.stubFor(authorised(get(urlEqualTo(path))).inScenario("slow").whenScenarioStateIs("fast")
                .willReturn(okJson(registrationBody(registration, "success"))));

        assertThat(send(sampleReceived(registration, "https://api.londonmedicallaboratory.com/api/x"))).isEqualTo(200);

        JsonNode event = delivered("test_registration.sample_received", registration);
        assertThat(event.path("enrichment").path("status").asText()).isEqualTo("ENRICHED");
        // the timed-out call and the one that answered (a reconciliation poll of the registration may add a third)
        LML.verify(com.github.tomakehurst.wiremock.client.WireMock.moreThanOrExactly(2),
                getRequestedFor(urlEqualTo(path)).withHeader("Authorization", equalTo("Bearer " + KEY)));
    }

    @Test
    void afterTheFetchBudgetTheEventGoesOnFromItsWebhookAloneAndSaysSo() throws Exception {
        String registration = id();
        LML.stubFor(authorised(get(urlEqualTo("/api/test_registration/" + registration + "/")))
                .willReturn(aResponse().withStatus(503)));

        assertThat(send(sampleReceived(registration, "https://api.londonmedicallaboratory.com/api/x"))).isEqualTo(200);

        JsonNode event = delivered("test_registration.sample_received", registration);
        assertThat(event.path("enrichment").path("status").asText()).isEqualTo("WEBHOOK_ONLY");
        assertThat(event.path("enrichment").path("reason").asText()).contains("fetch budget of PT15S spent", "answered 503");
        assertThat(event.path("order").path("status").asText()).as("still mapped from the webhook").isEqualTo("SAMPLE_AT_LAB");
        assertThat(inbound("test_registration.sample_received", registration).get("fetch_outcome")).isEqualTo("WEBHOOK_ONLY");
    }

    @Test
    void anAnswerThatCanNeverSucceedIsNotAskedAgain() throws Exception {
        String registration = id();
        String path = "/api/test_registration/" + registration + "/";
        LML.stubFor(authorised(get(urlEqualTo(path))).willReturn(aResponse().withStatus(422)
                .withHeader("Content-Type", "application/json").withBody("{\"message\":\"invalid id\"}")));

        assertThat(send(sampleReceived(registration, "https://api.londonmedicallaboratory.com/api/x"))).isEqualTo(200);

        JsonNode event = delivered("test_registration.sample_received", registration);
        assertThat(event.path("enrichment").path("status").asText()).isEqualTo("WEBHOOK_ONLY");
        assertThat(event.path("enrichment").path("reason").asText()).isEqualTo("testRegistration: answered 422");
        assertThat(((Number) inbound("test_registration.sample_received", registration).get("fetch_attempts")).intValue())
                .as("asked once").isEqualTo(1);
    }

    // --- LML's API, as documented (provider-apis.md §3 and §6) ---

    private static com.github.tomakehurst.wiremock.client.MappingBuilder authorised(com.github.tomakehurst.wiremock.client.MappingBuilder call) {
        return call.atPriority(1).withHeader("Authorization", equalTo("Bearer " + KEY)).withHeader("X-Unexpected", absent());
    }

    private void serveOrder(String order, String... registrations) {
        StringBuilder list = new StringBuilder();
        for (String registration : registrations) {
            list.append(list.isEmpty() ? "" : ",").append("{\"id\":\"").append(registration).append("\",\"trf_code\":\"LML-AB1234\"}");
        }
        LML.stubFor(authorised(get(urlEqualTo("/api/order/" + order))).willReturn(okJson("{\"id\":\"" + order
                + "\",\"customer_id\":\"c1\",\"address\":{\"first_line\":\"1 Example Street\",\"postcode\":\"EX1 1EX\"},"
                + "\"shipping_status\":\"shipped\",\"payment_status\":\"paid\",\"carrier\":\"royal_mail\","
                + "\"tracking_number\":\"RM123456789GB\",\"order_number\":100231,\"test_registrations\":[" + list + "]}")));
    }

    private void serveRegistration(String registration, String status) {
        LML.stubFor(authorised(get(urlEqualTo("/api/test_registration/" + registration + "/")))
                .willReturn(okJson(registrationBody(registration, status))));
    }

    private static String registrationBody(String registration, String status) {
        return "{\"id\":\"" + registration + "\",\"trf_code\":\"LML-AB1234\",\"status\":\"" + status + "\","
                + "\"results_ready\":true,\"first_name\":\"Alexandra\",\"last_name\":\"Example\","
                + "\"email\":\"alexandra@example.org\",\"date_of_birth\":\"1980-01-01\",\"lab_id\":\"123-456\",\"parent_id\":null}";
    }

    // --- webhooks, as LML sends them (providers.md §3.9) ---

    private static byte[] orderShipped(String order, String url) {
        return ("{\"event\":\"order.shipped\",\"data\":{\"order_id\":\"" + order + "\",\"url\":\"" + url + "\"}}").getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] resultsComplete(String registration, String url) {
        return ("{\"event\":\"lab_results.complete\",\"data\":{\"testregistration_id\":\"" + registration + "\",\"url\":\""
                + url + "\"}}").getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] sampleReceived(String registration, String url) {
        return ("{\"event\":\"test_registration.sample_received\",\"data\":{\"testregistration_id\":\"" + registration
                + "\",\"url\":\"" + url + "\",\"sample_received_at\":\"2026-06-01T14:52:32+01:00\"}}").getBytes(StandardCharsets.UTF_8);
    }

    // --- what a user would look at ---

    private int send(byte[] body) throws Exception {
        return http.send(signer.lml(body).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    /** The stored webhook of this type whose body names the id. */
    private Map<String, Object> inbound(String type, String id) {
        return jdbc.queryForList("""
                SELECT i.id, i.status, i.fetch_outcome, i.fetch_note, i.fetched, i.fetch_attempts FROM inbound_event i
                WHERE i.provider = 'lml' AND i.provider_event_type = ? ORDER BY i.id""", type).stream()
                .filter(row -> canonicalNames(row, id)).findFirst().orElseThrow();
    }

    private boolean canonicalNames(Map<String, Object> row, String id) {
        // bodies may be encrypted at rest: find the row by the event id the feed and the canonical event share
        List<String> payloads = jdbc.queryForList("SELECT payload FROM canonical_event WHERE inbound_event_id = ?",
                String.class, row.get("id"));
        if (!payloads.isEmpty()) {
            return payloads.get(0).contains("\"" + id + "\"");
        }
        byte[] body = jdbc.queryForObject("SELECT body FROM inbound_event WHERE id = ?", byte[].class, row.get("id"));
        return new String(body, StandardCharsets.UTF_8).contains("\"" + id + "\"");
    }

    /** The canonical event delivered into the JDBC feed for the webhook of this type naming the id. */
    private JsonNode delivered(String type, String id) {
        return await().atMost(PATIENCE).until(() -> jdbc.queryForList("""
                        SELECT c.payload FROM canonical_event c JOIN lab_event_feed f ON f.event_id = c.event_id
                        WHERE c.provider = 'lml' AND c.provider_event_type = ?""", String.class, type).stream()
                .filter(p -> p.contains("\"" + id + "\"")).findFirst().map(FetchOnNotifyTest::parse).orElse(null), e -> e != null);
    }

    private int feedRows(String id) {
        return jdbc.queryForList("SELECT event_json FROM lab_event_feed WHERE provider = 'lml'", String.class).stream()
                .filter(p -> p.contains(id)).toList().size();
    }

    private double rejected() {
        var counter = metrics.find("labhooks.fetch.rejected").tag("provider", "lml").counter();
        return counter == null ? 0 : counter.count();
    }

    private static JsonNode parse(String text) {
        try {
            return JSON.readTree(text);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String id() {
        return UUID.randomUUID().toString();
    }
}
