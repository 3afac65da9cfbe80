package io.labhooks.poll;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
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
import com.github.tomakehurst.wiremock.client.MappingBuilder;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;

import io.labhooks.support.JunctionOpenApi;
import io.labhooks.support.ProviderSigner;

/**
 * Reconciliation polling through the real pipeline, against a real HTTP server playing each provider's API
 * (WireMock, the documented or, where provider-apis.md says so, ASSUMED shapes): an order opened by a webhook is
 * watched, the first answer is its baseline, and a change that no webhook reports becomes a canonical event with
 * {@code source: "poll"}, projected onto the order and delivered. The shipped api.yaml files and mappings are used,
 * with LABHOOKS_RECONCILE_INTERVAL=1s. Runs on H2 and on PostgreSQL.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = "labhooks.pipeline.poll-interval-ms=100")
@DirtiesContext
abstract class ReconciliationPollingTest {

    static final WireMockServer API = started();
    static final ObjectMapper JSON = new ObjectMapper();
    static final Duration PATIENCE = Duration.ofSeconds(40);

    private static WireMockServer started() {
        WireMockServer server = new WireMockServer(WireMockConfiguration.options().dynamicPort());
        server.start();
        return server;
    }

    @DynamicPropertySource
    static void box(DynamicPropertyRegistry registry) {
        ProviderSigner.registerSecrets(registry);
        registry.add("LOLA_API_URL", () -> API.baseUrl() + "/lola/api/integration/v1");
        registry.add("LOLA_API_KEY", () -> "lola-key");
        registry.add("HURDLE_API_URL", () -> API.baseUrl() + "/hurdle");
        registry.add("HURDLE_API_KEY", () -> "hurdle-key");
        registry.add("LML_API_URL", () -> API.baseUrl() + "/lml/api");
        registry.add("LML_API_KEY", () -> "lml-key");
        registry.add("JUNCTION_API_URL", () -> API.baseUrl() + "/junction");
        registry.add("JUNCTION_API_KEY", () -> "junction-key");
        registry.add("FULLSCRIPT_API_URL", () -> API.baseUrl() + "/fullscript/api");
        registry.add("FULLSCRIPT_API_KEY", () -> "fullscript-key");
        registry.add("LABHOOKS_RECONCILE_INTERVAL", () -> "1s");
    }

    // The server is static, shared by the H2 and the PostgreSQL subclass in one JVM: reset before each test, not
    // stopped after a class (the next class would find it gone).

    @LocalServerPort
    int port;
    @Autowired
    JdbcTemplate jdbc;

    final HttpClient http = HttpClient.newHttpClient();
    ProviderSigner signer;

    @BeforeEach
    void setUp() {
        signer = new ProviderSigner(URI.create("http://127.0.0.1:" + port));
        API.resetAll();
        // anything not stubbed: the provider does not know it
        API.stubFor(get(anyUrl()).atPriority(10).willReturn(aResponse().withStatus(404)
                .withHeader("Content-Type", "application/json").withBody("{\"error\":\"NOT_FOUND\"}")));
    }

    @Test
    void aLolaBookingCancelledByThePhlebotomistWithNoWebhookCancelsTheOrder() throws Exception {
        String job = "job" + shortId();
        String path = "/lola/api/integration/v1/bookings/" + job;
        API.stubFor(lola(get(urlEqualTo(path))).atPriority(5).willReturn(okJson(booking(job, "CONFIRMED"))));
        assertThat(send(signer.lola(fixture("lola/job-confirmed", "ckxyz123", job)))).isEqualTo(202);

        awaitBaseline("lola", "booking", job);
        assertThat(pollEvents("lola", job)).as("an unchanged snapshot makes nothing").isZero();
        API.stubFor(lola(get(urlEqualTo(path))).atPriority(1).willReturn(okJson(booking(job, "CANCELLED"))));

        JsonNode event = deliveredFromPoll("lola", "poll.booking", job);
        assertThat(event.path("type").asText()).isEqualTo("ORDER_CANCELLED");
        assertThat(event.path("order").path("status").asText()).isEqualTo("CANCELLED");
        assertThat(orderStatus("lola|" + job)).isEqualTo("CANCELLED");
        // the order is final: it is not polled any more, and the one change made one event
        await().atMost(PATIENCE).until(() -> "ENDED".equals(watch("lola", "booking", job).get("status")));
        assertThat(pollEvents("lola", job)).isEqualTo(1);
    }

    @Test
    void aHurdleAppointmentTheyDidNotAttendWithNoWebhookIsANoShow() throws Exception {
        String order = "HUR-" + shortId();
        String appointment = "apt_" + shortId();
        String path = "/hurdle/phlebotomy/v1/appointments/" + appointment;
        API.stubFor(hurdle(get(urlEqualTo(path))).atPriority(5).willReturn(okJson(appointment(appointment, order, "APPOINTMENT_SCHEDULED"))));
        assertThat(send(signer.hurdle(fixture("hurdle/phlebotomy-appointment-scheduled", "apt_8f2c1e", appointment, "HUR-100234", order))))
                .isEqualTo(202);

        awaitBaseline("hurdle", "appointment", appointment);
        API.stubFor(hurdle(get(urlEqualTo(path))).atPriority(1).willReturn(okJson(appointment(appointment, order, "DID_NOT_ATTEND"))));

        JsonNode event = deliveredFromPoll("hurdle", "poll.appointment", appointment);
        assertThat(event.path("type").asText()).isEqualTo("APPOINTMENT_NO_SHOW");
        assertThat(orderStatus("hurdle|" + order)).isEqualTo("NO_SHOW");
    }

    @Test
    void junctionPartialResultsWithNoWebhookAreSeen() throws Exception {
        String order = UUID.randomUUID().toString();
        String result = "/junction/v3/order/" + order + "/result";
        API.stubFor(junction(get(urlEqualTo("/junction/v3/order/" + order))).atPriority(5)
                .willReturn(okJson(junctionDocument("_base", "body", "ClientFacingOrder", order, null))));
        assertThat(send(signer.junction(fixture("junction/order-created", "84d96c03-6b1c-4226-ad8f-ef44a6bc08af", order)))).isEqualTo(202);

        awaitBaseline("junction", "result", order);
        assertThat(watch("junction", "result", order).get("fingerprint")).as("no results yet: absent").isEqualTo("(absent) 404");
        API.stubFor(junction(get(urlEqualTo(result))).atPriority(1)
                .willReturn(okJson(junctionDocument("84d96c03-6b1c-4226-ad8f-ef44a6bc08af", "result", "LabResultsRaw", order, "partial"))));

        JsonNode event = deliveredFromPoll("junction", "poll.result", order);
        assertThat(event.path("type").asText()).isEqualTo("RESULTS_PARTIAL");
        assertThat(orderStatus("junction|" + order)).isEqualTo("RESULTS_PARTIAL");
        assertThat(event.toString()).as("no result values or patient details in the event").doesNotContain("Glucose", "Jane Roe", "1980-05-17");
    }

    @Test
    void anLmlOrderDeliveredWhenOrderDeliveredNeverCame() throws Exception {
        String order = UUID.randomUUID().toString();
        String path = "/lml/api/order/" + order;
        API.stubFor(lml(get(urlEqualTo(path))).atPriority(5).willReturn(okJson(lmlOrder(order, "shipped"))));
        assertThat(send(signer.lml(("{\"event\":\"order.shipped\",\"data\":{\"order_id\":\"" + order
                + "\",\"url\":\"https://api.londonmedicallaboratory.com/api/order/" + order + "\"}}").getBytes(StandardCharsets.UTF_8))))
                .isEqualTo(200);

        awaitBaseline("lml", "order", order);
        API.stubFor(lml(get(urlEqualTo(path))).atPriority(1).willReturn(okJson(lmlOrder(order, "delivered"))));

        JsonNode event = deliveredFromPoll("lml", "poll.order", order);
        assertThat(event.path("type").asText()).isEqualTo("KIT_DELIVERED");
        assertThat(orderStatus("lml|" + order)).isEqualTo("KIT_DELIVERED");
    }

    @Test
    void aFullscriptLabOrderReachesProcessingWithNoWebhook() throws Exception {
        String purchase = UUID.randomUUID().toString();
        String patient = UUID.randomUUID().toString();
        String labOrder = UUID.randomUUID().toString();
        String path = "/fullscript/api/clinic/labs/orders/" + labOrder;
        // order.placed names the purchase; the patient's lab orders say which one was just purchased
        API.stubFor(fullscript(get(urlPathEqualTo("/fullscript/api/clinic/labs/orders")).withQueryParam("patient_id", equalTo(patient)))
                .atPriority(5).willReturn(okJson("{\"lab_orders\":[" + fullscriptLabOrder(labOrder, patient, "purchased")
                        + "," + fullscriptLabOrder(UUID.randomUUID().toString(), patient, "results_ready") + "]}")));
        API.stubFor(fullscript(get(urlEqualTo(path))).atPriority(5)
                .willReturn(okJson("{\"lab_order\":" + fullscriptLabOrder(labOrder, patient, "purchased") + "}")));
        assertThat(send(signer.fullscript(fixture("fullscript/order-placed-with-lab-type",
                "391ab4cd-67e5-44f2-8a2b-8886c20d083e", purchase, "005aabb2-d97c-4dec-96a6-1e5f33508254", patient,
                "b3e7c348-9e13-5c71-bfda-a16cc4b0b0b7", UUID.randomUUID().toString())))).isEqualTo(200);

        awaitBaseline("fullscript", "labOrder", labOrder);
        API.stubFor(fullscript(get(urlEqualTo(path))).atPriority(1)
                .willReturn(okJson("{\"lab_order\":" + fullscriptLabOrder(labOrder, patient, "processing") + "}")));

        JsonNode event = deliveredFromPoll("fullscript", "poll.labOrder", labOrder);
        assertThat(event.path("providerStatus").asText()).isEqualTo("processing");
        assertThat(orderStatus("fullscript|" + purchase)).as("the purchase's order, linked by its lab order").isEqualTo("SAMPLE_AT_LAB");
        assertThat(event.toString()).as("no patient details").doesNotContain("Doe", "mail.com");
    }

    // --- the providers' APIs: credentials as each checks them (provider-apis.md §6) ---

    static MappingBuilder lola(MappingBuilder call) {
        return call.withHeader("X-API-Key", equalTo("lola-key")).withHeader("X-API-Version", equalTo("1"));
    }

    static MappingBuilder hurdle(MappingBuilder call) {
        return call.withHeader("X-API-Key", equalTo("hurdle-key"));
    }

    static MappingBuilder lml(MappingBuilder call) {
        return call.withHeader("Authorization", equalTo("Bearer lml-key"));
    }

    static MappingBuilder junction(MappingBuilder call) {
        return call.withHeader("x-vital-api-key", equalTo("junction-key"));
    }

    static MappingBuilder fullscript(MappingBuilder call) {
        return call.withHeader("Authorization", equalTo("Bearer fullscript-key"));
    }

    /** ASSUMED shape (provider-apis.md §6 "Lola"). */
    static String booking(String job, String status) {
        return "{\"id\":\"" + job + "\",\"jobId\":\"" + job + "\",\"status\":\"" + status + "\",\"paymentStatus\":\"PENDING\","
                + "\"billingMode\":\"WEEKLY_INVOICE\",\"fulfillmentChannel\":\"MOBILE\",\"scheduledFor\":\"2026-06-01T09:00:00Z\","
                + "\"externalUserId\":\"user-4711\",\"externalOrderId\":\"order-" + job + "\",\"passthroughJson\":null,\"sample\":null}";
    }

    /** ASSUMED path and shape (provider-apis.md §2, field names of the PHLEBOTOMY.* webhooks). */
    static String appointment(String id, String order, String status) {
        return "{\"id\":\"" + id + "\",\"orderNumber\":\"" + order + "\",\"productCode\":\"BLOOD-VIT-D\",\"status\":\"" + status
                + "\",\"appointmentStartAt\":\"2026-06-04T08:00:00.000Z\",\"appointmentEndAt\":\"2026-06-04T10:00:00.000Z\","
                + "\"timezone\":\"Europe/London\"}";
    }

    /**
     * A Junction answer as the provider API simulator serves it (tools/provider-api/junction/order/), its placeholders
     * filled, checked against Junction's OpenAPI schema before it is served: a ClientFacingOrder, or a LabResultsRaw
     * with this metadata.status.
     */
    static String junctionDocument(String file, String part, String schema, String order, String resultStatus) throws Exception {
        JsonNode document = JSON.readTree(Path.of("tools/provider-api/junction/order/" + file + ".json").toFile()).path(part);
        String text = JSON.writeValueAsString(document).replace("${id}", order)
                .replace("${appointmentId}", UUID.randomUUID().toString()).replace("${detailsId}", UUID.randomUUID().toString())
                .replaceAll("\\$\\{date:[^}]*}", "2026-06-05").replaceAll("\\$\\{[^}]*}", "2026-06-05T10:00:00Z");
        com.fasterxml.jackson.databind.node.ObjectNode filled = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(text);
        if (resultStatus != null) {
            ((com.fasterxml.jackson.databind.node.ObjectNode) filled.path("metadata")).put("status", resultStatus);
            // the simulator fills the transaction from its orders; this order is alone in its own
            filled.set("order_transaction", JSON.createObjectNode().put("id", UUID.randomUUID().toString())
                    .put("status", "active").set("orders", JSON.createArrayNode()));
        } else if (filled.path("last_event").isNull()) {
            // the simulator fills the order's events step by step; here it has just been ordered
            com.fasterxml.jackson.databind.node.ObjectNode ordered = JSON.createObjectNode().put("id", 1)
                    .put("created_at", "2026-06-05T10:00:00Z").put("status", "received.testkit.ordered");
            filled.set("last_event", ordered);
            filled.putArray("events").add(ordered);
        }
        assertThat(JunctionOpenApi.errors(schema, filled)).as("the double's " + schema).isEmpty();
        return JSON.writeValueAsString(filled);
    }

    /** ASSUMED shape (provider-apis.md §6 "Fullscript"), both status and state set. */
    static String fullscriptLabOrder(String id, String patient, String status) {
        return "{\"id\":\"" + id + "\",\"patient_id\":\"" + patient + "\",\"practitioner_id\":\"p1\",\"first_name\":\"John\","
                + "\"last_name\":\"Doe\",\"email\":\"john.doe@mail.com\",\"status\":\"" + status + "\",\"state\":\"" + status
                + "\",\"tests\":[],\"results\":[]}";
    }

    /** LML-SDK Order fields. */
    static String lmlOrder(String order, String shipping) {
        return "{\"id\":\"" + order + "\",\"customer_id\":\"c1\",\"shipping_status\":\"" + shipping + "\",\"payment_status\":\"paid\","
                + "\"carrier\":\"royal_mail\",\"tracking_number\":\"RM123456789GB\",\"order_number\":100231,\"test_registrations\":[]}";
    }

    // --- what a user would look at ---

    /** A shipped example webhook with its ids replaced (pairs of old, new). */
    static byte[] fixture(String name, String... replacements) throws Exception {
        String body = Files.readString(Path.of("mappings/tests/" + name + ".input.json"));
        for (int i = 0; i < replacements.length; i += 2) {
            body = body.replace(replacements[i], replacements[i + 1]);
        }
        return body.getBytes(StandardCharsets.UTF_8);
    }

    int send(HttpRequest.Builder request) throws Exception {
        return http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    Map<String, Object> watch(String provider, String resource, String ref) {
        List<Map<String, Object>> rows = jdbc.queryForList(
                "SELECT * FROM poll_watch WHERE provider = ? AND resource = ? AND ref_value = ?", provider, resource, ref);
        return rows.isEmpty() ? Map.of() : rows.get(0);
    }

    void awaitBaseline(String provider, String resource, String ref) {
        await().atMost(PATIENCE).until(() -> watch(provider, resource, ref).get("fingerprint") != null);
    }

    int pollEvents(String provider, String ref) {
        return jdbc.queryForList("SELECT payload FROM canonical_event WHERE provider = ? AND provider_event_type LIKE 'poll.%'",
                String.class, provider).stream().filter(p -> p.contains(ref)).toList().size();
    }

    String orderStatus(String orderKey) {
        return await().atMost(PATIENCE).until(() -> jdbc.queryForList("SELECT status FROM order_state WHERE order_key = ?",
                String.class, orderKey).stream().findFirst().orElse(null), s -> s != null);
    }

    /** The canonical event made from a polled snapshot naming the id, once it is in the JDBC feed. */
    JsonNode deliveredFromPoll(String provider, String type, String ref) {
        JsonNode event = await().atMost(PATIENCE).until(() -> jdbc.queryForList("""
                        SELECT c.payload FROM canonical_event c JOIN lab_event_feed f ON f.event_id = c.event_id
                        WHERE c.provider = ? AND c.provider_event_type = ?""", String.class, provider, type).stream()
                .filter(p -> p.contains(ref)).findFirst().map(ReconciliationPollingTest::parse).orElse(null), e -> e != null);
        assertThat(event.path("source").asText()).isEqualTo("poll");
        return event;
    }

    static JsonNode parse(String text) {
        try {
            return JSON.readTree(text);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static String shortId() {
        return UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    }
}
