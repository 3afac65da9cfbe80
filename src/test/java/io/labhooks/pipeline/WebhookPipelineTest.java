package io.labhooks.pipeline;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.icegreen.greenmail.configuration.GreenMailConfiguration;
import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetupTest;
import jakarta.mail.internet.MimeMessage;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.labhooks.support.ProviderSigner;

/**
 * The whole box through its real HTTP endpoint: providers' own signatures in, the raw event stored and
 * acknowledged, mapped, projected and delivered to a real HTTP receiver (WireMock), a real SMTP server
 * (GreenMail) and the JDBC feed table. Runs once on H2 and once on PostgreSQL (subclasses).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "labhooks.pipeline.poll-interval-ms=100",
        "labhooks.sinks.http.secret=" + WebhookPipelineTest.SINK_SECRET,
        // about outcomes, not the circuit breaker (SinkCircuitTest): a probe every 200 ms keeps it from slowing them
        "labhooks.sinks.http.circuit.probe-interval=200ms",
        "labhooks.sinks.http.retry.initial-delay=200ms",
        "labhooks.sinks.http.retry.max-attempts=3",
        "labhooks.sinks.email.to=clinic@example.test",
        "labhooks.sinks.email.from=labhooks@example.test",
        "labhooks.sinks.email.username=labhooks",
        "labhooks.sinks.email.password=smtp-test-password"})
@DirtiesContext
@AutoConfigureObservability // Spring Boot tests switch metrics export off by default; the Prometheus endpoint is tested here
abstract class WebhookPipelineTest {

    static final String SINK_SECRET = "whsec_c2luay10ZXN0LXNpZ25pbmcta2V5LTAxMjM0NTY3OA==";
    static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static WireMockExtension receiver = WireMockExtension.newInstance()
            .options(com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig().dynamicPort())
            .build();

    @RegisterExtension
    static GreenMailExtension smtp = new GreenMailExtension(ServerSetupTest.SMTP.dynamicPort())
            .withConfiguration(GreenMailConfiguration.aConfig().withUser("labhooks@example.test", "labhooks", "smtp-test-password"))
            .withPerMethodLifecycle(false);

    @DynamicPropertySource
    static void sinks(DynamicPropertyRegistry registry) {
        ProviderSigner.registerSecrets(registry);
        registry.add("labhooks.sinks.http.url", () -> receiver.baseUrl() + "/labhooks");
        registry.add("labhooks.sinks.email.host", () -> "127.0.0.1");
        registry.add("labhooks.sinks.email.port", () -> smtp.getSmtp().getPort());
    }

    @LocalServerPort
    int port;
    @Autowired
    JdbcTemplate jdbc;

    final HttpClient http = HttpClient.newHttpClient();
    ProviderSigner signer;

    @BeforeEach
    void receiverAnswers200() {
        signer = new ProviderSigner(URI.create("http://127.0.0.1:" + port));
        receiver.stubFor(post(urlEqualTo("/labhooks")).willReturn(aResponse().withStatus(200)));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "lola,       lola/sample-results-ready,                   202, RESULTS_READY",
            "hurdle,     hurdle/test-processed,                       202, RESULTS_READY",
            "lml,        lml/lab-results-complete,                    200, RESULTS_READY",
            "junction,   junction/order-updated-completed,            202, RESULTS_READY",
            "fullscript, fullscript/lab-order-updated-results-ready,  200, RESULTS_READY"})
    void deliversEachProvidersWebhookToEverySink(String provider, String fixture, int ackStatus, String type) throws Exception {
        byte[] body = fixture(fixture);

        HttpResponse<String> ack = send(signer.signed(provider, body).header("X-Echo-Probe", "do-not-echo"));

        assertThat(ack.statusCode()).isEqualTo(ackStatus);
        assertThat(ack.headers().map().keySet()).noneMatch(h -> h.equalsIgnoreCase("X-Echo-Probe")
                || h.toLowerCase().startsWith("webhook-") || h.toLowerCase().startsWith("svix-") || h.equalsIgnoreCase("Fullscript-Signature"));
        if (provider.equals("fullscript")) {
            assertThat(JSON.readTree(ack.body())).isEqualTo(JSON.readTree("{\"challenge\":\"" + ProviderSigner.FULLSCRIPT_CHALLENGE + "\"}"));
        }
        String eventId = latestEventId(provider);

        Map<String, Object> row = awaitFeedRow(eventId);
        JsonNode event = JSON.readTree((String) row.get("event_json"));
        assertThat(event.path("type").asText()).isEqualTo(type);
        assertThat(event.path("provider").asText()).isEqualTo(provider);
        assertThat(row.get("type")).isEqualTo(type);

        ServeEvent posted = awaitDeliveries(eventId, 1).get(0);
        String timestamp = posted.getRequest().getHeader("webhook-timestamp");
        byte[] sent = posted.getRequest().getBody();
        assertThat(posted.getRequest().getHeader("webhook-signature")).isEqualTo(
                "v1," + ProviderSigner.standardWebhooksSignature(SINK_SECRET, eventId, Long.parseLong(timestamp), sent));
        assertThat(JSON.readTree(sent)).isEqualTo(event);

        MimeMessage mail = awaitEmails(eventId, 1).get(0);
        assertThat(mail.getSubject()).isEqualTo("labhooks: " + type + " from " + provider);
        assertThat(GreenMailUtil.getBody(mail)).contains(eventId);
    }

    @Test
    void junctionThroughWhiteLabelledSvixHeadersIsAcceptedAndDedupedOnWebhookId() throws Exception {
        HttpRequest request = signer.junctionWhiteLabelled(fixture("junction/order-updated-draw-completed")).build();
        HttpResponse<String> original = http.send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(original.statusCode()).isEqualTo(202);
        assertSameAnswer(http.send(request, HttpResponse.BodyHandlers.ofString()), original);
        String webhookId = request.headers().firstValue("webhook-id").orElseThrow();
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM inbound_event WHERE dedupe_key = ?", Integer.class,
                "junction|" + webhookId)).isEqualTo(1);
    }

    @Test
    void anIdHeaderSentTwiceWithOneValueIsOneEventUnderThatId() throws Exception {
        // results, so that every sink (email included) takes the event
        String lolaId = "evt_" + UUID.randomUUID();
        byte[] lola = fixture("lola/sample-results-ready");
        long now = Instant.now().getEpochSecond();
        assertStoredOnceUnder("lola", lolaId, List.of(
                signer.lola(lola, lolaId, now).header("webhook-id", lolaId),
                signer.lola(lola, lolaId, now)));

        HttpRequest.Builder junction = signer.junction(fixture("junction/order-updated-completed"));
        String svixId = junction.build().headers().firstValue("svix-id").orElseThrow();
        HttpRequest plain = junction.build();
        assertStoredOnceUnder("junction", svixId, List.of(
                HttpRequest.newBuilder(plain, (name, value) -> true).header("svix-id", svixId),
                HttpRequest.newBuilder(plain, (name, value) -> true)));
    }

    @Test
    void anIdSignatureOrTimestampAlsoInTheQueryStringIsIgnored() throws Exception {
        // The headers are what is verified and deduped on; the same names in the query string never count.
        for (String query : List.of("webhook-id=evt_other", "webhook-signature=" + encode("v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
                + "&webhook-timestamp=1", "webhook-id=evt_other&webhook-id=evt_another")) {
            String id = "evt_" + UUID.randomUUID();
            byte[] body = fixture("lola/sample-results-ready");
            long now = Instant.now().getEpochSecond();
            assertStoredOnceUnder("lola", id, List.of(withQuery(signer.lola(body, id, now), query), signer.lola(body, id, now)));
        }
        HttpRequest.Builder junction = signer.junction(fixture("junction/order-updated-completed"));
        String svixId = junction.build().headers().firstValue("svix-id").orElseThrow();
        HttpRequest plain = junction.build();
        assertStoredOnceUnder("junction", svixId, List.of(withQuery(HttpRequest.newBuilder(plain, (name, value) -> true),
                "svix-id=msg_other&webhook-id=msg_other"), HttpRequest.newBuilder(plain, (name, value) -> true)));
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM inbound_event WHERE dedupe_key LIKE '%other%'", Integer.class)).isZero();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"lola, lola/job-created", "hurdle, hurdle/test-processed", "lml, lml/lab-results-complete",
            "junction, junction/order-updated-completed", "fullscript, fullscript/lab-order-updated-results-ready"})
    void aDuplicateIsAnsweredExactlyLikeItsOriginal(String provider, String fixture) throws Exception {
        // A fresh event per run: another test may have stored the fixture's event id (Fullscript) or body (hashed keys).
        String run = UUID.randomUUID().toString();
        String text = new String(fixture(fixture), StandardCharsets.UTF_8);
        byte[] body = (switch (provider) {
            case "hurdle", "lml" -> text.replaceFirst("\\{", "{\"labhooksTestRun\":\"" + run + "\",");
            case "fullscript" -> text.replaceFirst("\"id\": \"", "\"id\": \"" + run + "-");
            default -> text;
        }).getBytes(StandardCharsets.UTF_8);
        HttpRequest request = signer.signed(provider, body).build();
        double duplicatesBefore = webhooksCounted(provider, "duplicate");
        int storedBefore = inboundEvents();

        HttpResponse<String> original = http.send(request, HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> duplicate = http.send(HttpRequest.newBuilder(request, (name, value) -> true).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(original.statusCode()).as(original.body()).isIn(200, 202);
        assertSameAnswer(duplicate, original);
        assertThat(inboundEvents()).isEqualTo(storedBefore + 1);
        assertThat(webhooksCounted(provider, "duplicate")).as("still counted as a duplicate").isEqualTo(duplicatesBefore + 1);
    }

    @Test
    void anotherMethodOnAProvidersPathIs405AndAnUnknownProviderIs404() throws Exception {
        byte[] body = lolaEvent("job.confirmed", "job-" + UUID.randomUUID());
        HttpRequest signed = signer.lola(body).build();
        int stored = inboundEvents();
        double received = webhooksReceived("lola");
        double accepted = webhooksCounted("lola", "accepted");

        for (String method : List.of("GET", "PUT", "DELETE", "PATCH", "HEAD")) {
            HttpRequest.BodyPublisher publisher = method.equals("PUT") || method.equals("PATCH")
                    ? HttpRequest.BodyPublishers.ofByteArray(body) : HttpRequest.BodyPublishers.noBody();
            HttpResponse<String> answer = http.send(HttpRequest.newBuilder(signed, (name, value) -> true).method(method, publisher)
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(answer.statusCode()).as(method).isEqualTo(405);
            assertThat(answer.headers().allValues("Allow")).as(method).containsExactly("POST");
            if (!method.equals("HEAD")) {
                assertError(answer, 405, "method not allowed: webhooks are sent with POST");
                assertThat(answer.body().lines()).as(method).hasSize(1);
            }
        }
        assertError(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/webhooks/nosuch")).GET().build(),
                HttpResponse.BodyHandlers.ofString()), 404, "unknown provider 'nosuch'");
        // the provider's name comes from the path, not from a query parameter of the same name
        assertError(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/webhooks/nosuch?provider=lola")).GET()
                .build(), HttpResponse.BodyHandlers.ofString()), 404, "unknown provider 'nosuch'");

        assertThat(inboundEvents()).isEqualTo(stored);
        assertThat(webhooksReceived("lola")).isEqualTo(received);
        assertThat(webhooksCounted("lola", "accepted")).isEqualTo(accepted);
        assertThat(http.send(signed, HttpResponse.BodyHandlers.ofString()).statusCode()).as("the POST itself is accepted").isEqualTo(202);
    }

    @Test
    void fullscriptsEmptyBodyProbeGetsTheChallengeAndStoresNothing() throws Exception {
        int before = inboundEvents();
        HttpResponse<String> probe = send(signer.post("fullscript", new byte[0]));
        assertThat(probe.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(probe.body()).path("challenge").asText()).isEqualTo(ProviderSigner.FULLSCRIPT_CHALLENGE);
        assertThat(inboundEvents()).isEqualTo(before);
    }

    @Test
    void badInputGetsAClearErrorAndStoresNothing() throws Exception {
        byte[] body = fixture("lola/job-created");
        int before = inboundEvents();

        HttpResponse<String> badSignature = send(signer.post("lola", body)
                .header("webhook-id", "evt_x").header("webhook-timestamp", Long.toString(Instant.now().getEpochSecond()))
                .header("webhook-signature", "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
        assertError(badSignature, 401, "webhook-signature does not match");

        assertError(send(signer.post("lola", body)), 401, "missing webhook-id header");

        long stale = Instant.now().minusSeconds(301).getEpochSecond();
        assertError(send(signer.lola(body, "evt_" + UUID.randomUUID(), stale)), 401, "outside the 300 s tolerance");

        assertError(send(signer.hurdle(body).setHeader("X-Webhook-Token", "wrong")), 401, "header X-Webhook-Token does not match");
        assertError(send(signer.post("lml?token=wrong", body)), 401, "query parameter token does not match");

        byte[] malformed = "{\"type\": \"job.created\", ".getBytes(StandardCharsets.UTF_8);
        assertError(send(signer.lola(malformed)), 400, "malformed JSON");
        assertError(send(signer.lola("[1,2]".getBytes(StandardCharsets.UTF_8))), 400, "body is not a JSON object");

        byte[] huge = ("{\"type\":\"job.created\",\"pad\":\"" + "x".repeat(1024 * 1024) + "\"}").getBytes(StandardCharsets.UTF_8);
        assertError(send(signer.lola(huge)), 413, "larger than 1048576 bytes");

        assertError(send(signer.post("acme-labs", body)), 404, "unknown provider 'acme-labs'");

        String longId = "evt_" + "x".repeat(300);
        assertError(send(signer.lola(body, longId, Instant.now().getEpochSecond())), 400, "event id is longer than 180 characters");

        assertThat(inboundEvents()).isEqualTo(before);
        assertThat(send(signer.lola(fixture("lola/job-confirmed"))).statusCode()).as("still serving").isEqualTo(202);

        HttpResponse<String> prometheus = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/actuator/prometheus")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(prometheus.statusCode()).isEqualTo(200);
        String metrics = prometheus.body();
        assertThat(metricValue(metrics, "labhooks_webhooks_total", "outcome=\"rejected_signature\",provider=\"lola\""))
                .as(metrics.lines().filter(l -> l.contains("labhooks_webhooks")).toList().toString()).isGreaterThanOrEqualTo(3);
        assertThat(metricValue(metrics, "labhooks_webhooks_total", "outcome=\"rejected_input\",provider=\"lola\"")).isGreaterThanOrEqualTo(3);
        double received = metricValue(metrics, "labhooks_webhooks_received_total", "provider=\"lola\"");
        double verified = metricValue(metrics, "labhooks_webhooks_verified_total", "provider=\"lola\"");
        assertThat(received - verified).as("the rejected signatures were received but not verified").isGreaterThanOrEqualTo(3);
        assertThat(verified).isGreaterThanOrEqualTo(1);
    }

    @Test
    void theSameEventPostedTwentyTimesConcurrentlyIsDeliveredOncePerSink() throws Exception {
        byte[] body = fixture("lola/sample-results-ready");
        String webhookId = "evt_" + UUID.randomUUID();
        long timestamp = Instant.now().getEpochSecond();
        ExecutorService pool = Executors.newFixedThreadPool(20);
        List<Callable<HttpResponse<String>>> copies = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            copies.add(() -> send(signer.lola(body, webhookId, timestamp)));
        }
        List<Integer> statuses = new ArrayList<>();
        List<String> bodies = new ArrayList<>();
        for (Future<HttpResponse<String>> response : pool.invokeAll(copies)) {
            statuses.add(response.get().statusCode());
            bodies.add(response.get().statusCode() + " " + response.get().body());
        }
        pool.shutdown();

        assertThat(statuses).as("every copy is acknowledged like the original: " + bodies).containsOnly(202);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM inbound_event WHERE dedupe_key = ?", Integer.class,
                "lola|" + webhookId)).isEqualTo(1);
        String eventId = jdbc.queryForObject("SELECT event_id FROM inbound_event WHERE dedupe_key = ?", String.class,
                "lola|" + webhookId);
        awaitFeedRow(eventId);
        awaitDeliveries(eventId, 1);
        awaitEmails(eventId, 1);
        Thread.sleep(1000); // give a wrongly queued second delivery time to show up
        assertThat(deliveriesOf(eventId)).hasSize(1);
        assertThat(emailsOf(eventId)).hasSize(1);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM lab_event_feed WHERE event_id = ?", Integer.class, eventId)).isEqualTo(1);
    }

    @Test
    void resultsBeforeSampleInLabEndsAtResultsReadyWithTheLateEventFlagged() throws Exception {
        String registration = "reg-" + UUID.randomUUID();
        byte[] results = ("{\"event\":\"lab_results.complete\",\"data\":{\"testregistration_id\":\"" + registration
                + "\",\"url\":\"https://api.londonmedicallaboratory.com/api/test_registration/" + registration + "/lab_results/\"}}")
                .getBytes(StandardCharsets.UTF_8);
        byte[] sampleIn = ("{\"event\":\"test_registration.sample_received\",\"data\":{\"testregistration_id\":\"" + registration
                + "\",\"sample_received_at\":\"2026-06-01T14:52:32+01:00\"}}").getBytes(StandardCharsets.UTF_8);

        assertThat(send(signer.lml(results)).statusCode()).isEqualTo(200);
        String resultsEvent = latestEventId("lml");
        awaitFeedRow(resultsEvent);
        assertThat(send(signer.lml(sampleIn)).statusCode()).isEqualTo(200);
        String sampleEvent = latestEventId("lml");
        Map<String, Object> late = awaitFeedRow(sampleEvent);

        assertThat(late.get("out_of_order")).isEqualTo(true);
        assertThat(late.get("order_status")).isEqualTo("RESULTS_READY");
        JsonNode lateEvent = JSON.readTree((String) late.get("event_json"));
        assertThat(lateEvent.path("type").asText()).isEqualTo("SAMPLE_RECEIVED_BY_LAB");
        assertThat(lateEvent.path("outOfOrder").asBoolean()).isTrue();
        assertThat(jdbc.queryForObject("SELECT status FROM order_state WHERE order_key = ?", String.class,
                "lml|" + registration)).isEqualTo("RESULTS_READY");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(jdbc.queryForObject(
                "SELECT status FROM lab_order_status WHERE order_key = ?", String.class, "lml|" + registration))
                .isEqualTo("RESULTS_READY"));
        assertThat(JSON.readTree((String) awaitFeedRow(resultsEvent).get("event_json")).path("outOfOrder").asBoolean()).isFalse();
    }

    @Test
    void anEventTypeNoMappingKnowsIsKeptAsUnknownWithItsRawType() throws Exception {
        byte[] body = ("{\"type\":\"job.teleported\",\"timestamp\":\"2026-06-01T08:14:02.123Z\",\"data\":{\"jobId\":\"job-"
                + UUID.randomUUID() + "\"}}").getBytes(StandardCharsets.UTF_8);
        assertThat(send(signer.lola(body)).statusCode()).isEqualTo(202);
        JsonNode event = JSON.readTree((String) awaitFeedRow(latestEventId("lola")).get("event_json"));
        assertThat(event.path("type").asText()).isEqualTo("UNKNOWN");
        assertThat(event.path("providerEventType").asText()).isEqualTo("job.teleported");
    }

    @Test
    void aReceiverThatFailsOnceGetsTheSameEventAgainWithTheSameWebhookId() throws Exception {
        String jobId = "job-" + UUID.randomUUID();
        receiver.stubFor(post(urlEqualTo("/labhooks")).withRequestBody(containing(jobId)).atPriority(1)
                .inScenario(jobId).whenScenarioStateIs(STARTED).willReturn(aResponse().withStatus(503)).willSetStateTo("recovered"));
        receiver.stubFor(post(urlEqualTo("/labhooks")).withRequestBody(containing(jobId)).atPriority(1)
                .inScenario(jobId).whenScenarioStateIs("recovered").willReturn(aResponse().withStatus(200)));

        assertThat(send(signer.lola(lolaEvent("job.confirmed", jobId))).statusCode()).isEqualTo(202);
        String eventId = latestEventId("lola");

        awaitDeliveries(eventId, 2);
        await().atMost(Duration.ofSeconds(15)).ignoreExceptions().until(() -> httpDelivery(eventId).get("status"), "DELIVERED"::equals);
        assertThat(httpDelivery(eventId).get("attempts")).isEqualTo(2);
        assertThat(deliveriesOf(eventId)).extracting(e -> e.getRequest().getBodyAsString()).containsOnly(
                deliveriesOf(eventId).get(0).getRequest().getBodyAsString());
    }

    @Test
    void aDeliveryThatKeepsFailingEndsDeadWithItsErrorAndOtherSinksStillGetTheEvent() throws Exception {
        String jobId = "job-" + UUID.randomUUID();
        receiver.stubFor(post(urlEqualTo("/labhooks")).withRequestBody(containing(jobId)).atPriority(1)
                .willReturn(aResponse().withStatus(503)));

        assertThat(send(signer.lola(lolaEvent("job.confirmed", jobId))).statusCode()).isEqualTo(202);
        String eventId = latestEventId("lola");

        awaitFeedRow(eventId);
        await().atMost(Duration.ofSeconds(15)).ignoreExceptions().until(() -> httpDelivery(eventId).get("status"), "DEAD"::equals);
        Map<String, Object> dead = httpDelivery(eventId);
        assertThat(dead.get("attempts")).isEqualTo(3);
        assertThat(dead.get("last_error")).isEqualTo("HTTP 503 from the receiver");
        assertThat(deliveriesOf(eventId)).hasSize(3);
    }

    @Test
    void aReceiverThatRefusesWithA4xxIsNotRetried() throws Exception {
        String jobId = "job-" + UUID.randomUUID();
        receiver.stubFor(post(urlEqualTo("/labhooks")).withRequestBody(containing(jobId)).atPriority(1)
                .willReturn(aResponse().withStatus(400)));

        assertThat(send(signer.lola(lolaEvent("job.confirmed", jobId))).statusCode()).isEqualTo(202);
        String eventId = latestEventId("lola");

        await().atMost(Duration.ofSeconds(15)).ignoreExceptions().until(() -> httpDelivery(eventId).get("status"), "DEAD"::equals);
        assertThat(httpDelivery(eventId).get("attempts")).isEqualTo(1);
        assertThat(httpDelivery(eventId).get("last_error")).isEqualTo("HTTP 400 from the receiver");
        Thread.sleep(1000);
        assertThat(deliveriesOf(eventId)).hasSize(1);
    }

    // ---- helpers -------------------------------------------------------------------------------------------

    /**
     * Sends each request in turn: the first is accepted, every later one is answered exactly like it. Exactly one
     * stored webhook carries {@code id} (and no other stored key contains it), with one canonical event and one
     * delivery per sink, delivered once to the HTTP receiver, the mailbox and the feed.
     */
    void assertStoredOnceUnder(String provider, String id, List<HttpRequest.Builder> requests) throws Exception {
        HttpResponse<String> first = send(requests.get(0));
        assertThat(first.statusCode()).as(first.body()).isEqualTo(202);
        for (HttpRequest.Builder again : requests.subList(1, requests.size())) {
            assertSameAnswer(send(again), first);
        }
        assertThat(jdbc.queryForList("SELECT dedupe_key, provider_event_id FROM inbound_event WHERE dedupe_key LIKE ?",
                "%" + id + "%")).extracting(row -> row.get("dedupe_key") + " " + row.get("provider_event_id"))
                .containsExactly(provider + "|" + id + " " + id);
        String eventId = jdbc.queryForObject("SELECT event_id FROM inbound_event WHERE dedupe_key = ?", String.class, provider + "|" + id);
        awaitFeedRow(eventId);
        awaitDeliveries(eventId, 1);
        awaitEmails(eventId, 1);
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(jdbc.queryForList("""
                SELECT d.sink, d.status FROM delivery d JOIN canonical_event c ON c.seq = d.canonical_event_seq
                JOIN inbound_event i ON i.id = c.inbound_event_id WHERE i.dedupe_key = ? ORDER BY d.sink""", provider + "|" + id))
                .extracting(row -> row.get("sink") + " " + row.get("status"))
                .containsExactly("email DELIVERED", "http DELIVERED", "jdbc DELIVERED"));
        assertThat(deliveriesOf(eventId)).hasSize(1);
        assertThat(emailsOf(eventId)).hasSize(1);
    }

    static void assertSameAnswer(HttpResponse<String> duplicate, HttpResponse<String> original) {
        assertThat(duplicate.statusCode()).as(duplicate.body()).isEqualTo(original.statusCode());
        assertThat(duplicate.body()).isEqualTo(original.body());
        assertThat(duplicate.headers().firstValue("Content-Type")).isEqualTo(original.headers().firstValue("Content-Type"));
    }

    /** The same request (method, headers, body) with a query string. */
    static HttpRequest.Builder withQuery(HttpRequest.Builder request, String query) {
        HttpRequest built = request.build();
        HttpRequest.Builder copy = HttpRequest.newBuilder(URI.create(built.uri() + "?" + query)).POST(built.bodyPublisher().orElseThrow());
        built.headers().map().forEach((name, values) -> values.forEach(v -> copy.header(name, v)));
        return copy;
    }

    static String encode(String value) {
        return java.net.URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    String prometheus() throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/prometheus")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    double webhooksCounted(String provider, String outcome) throws Exception {
        return metricValue(prometheus(), "labhooks_webhooks_total", "outcome=\"" + outcome + "\",provider=\"" + provider + "\"");
    }

    double webhooksReceived(String provider) throws Exception {
        return metricValue(prometheus(), "labhooks_webhooks_received_total", "provider=\"" + provider + "\"");
    }

    static byte[] lolaEvent(String type, String jobId) {
        return ("{\"type\":\"" + type + "\",\"timestamp\":\"2026-06-01T08:14:02.123Z\",\"data\":{\"id\":\"evt_" + UUID.randomUUID()
                + "\",\"jobId\":\"" + jobId + "\",\"externalOrderId\":\"order-" + jobId + "\",\"fulfillmentChannel\":\"MOBILE\"}}")
                .getBytes(StandardCharsets.UTF_8);
    }

    Map<String, Object> httpDelivery(String eventId) {
        return jdbc.queryForMap("""
                SELECT d.status, d.attempts, d.last_error FROM delivery d JOIN canonical_event c ON c.seq = d.canonical_event_seq
                WHERE c.event_id = ? AND d.sink = 'http'""", eventId);
    }

    static byte[] fixture(String name) throws IOException {
        return Files.readAllBytes(Path.of("mappings/tests/" + name + ".input.json"));
    }

    HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static void assertError(HttpResponse<String> response, int status, String reason) throws IOException {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(JSON.readTree(response.body()).path("error").asText()).contains(reason);
    }

    static double metricValue(String prometheus, String name, String labels) {
        return prometheus.lines().filter(l -> l.startsWith(name + "{") && l.contains(labels))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    int inboundEvents() {
        return jdbc.queryForObject("SELECT COUNT(*) FROM inbound_event", Integer.class);
    }

    String latestEventId(String provider) {
        return jdbc.queryForObject("SELECT event_id FROM inbound_event WHERE provider = ? ORDER BY id DESC FETCH FIRST 1 ROWS ONLY",
                String.class, provider);
    }

    Map<String, Object> awaitFeedRow(String eventId) {
        return await().atMost(Duration.ofSeconds(15)).until(() -> jdbc.queryForList(
                "SELECT * FROM lab_event_feed WHERE event_id = ?", eventId), rows -> rows.size() == 1).get(0);
    }

    List<ServeEvent> deliveriesOf(String eventId) {
        return receiver.getAllServeEvents().stream()
                .filter(e -> eventId.equals(e.getRequest().getHeader("webhook-id"))).toList();
    }

    List<ServeEvent> awaitDeliveries(String eventId, int count) {
        return await().atMost(Duration.ofSeconds(15)).until(() -> deliveriesOf(eventId), list -> list.size() >= count);
    }

    List<MimeMessage> emailsOf(String eventId) {
        return List.of(smtp.getReceivedMessages()).stream()
                .filter(m -> GreenMailUtil.getBody(m).contains(eventId)).toList();
    }

    List<MimeMessage> awaitEmails(String eventId, int count) {
        return await().atMost(Duration.ofSeconds(15)).until(() -> emailsOf(eventId), list -> list.size() >= count);
    }
}
