package io.labhooks.pipeline;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.labhooks.support.Installation;
import io.labhooks.support.ProviderSigner;

/**
 * A downstream outage, a receiver that times out, poison events and a worker that died holding a claim: nothing
 * is lost, nothing waits behind a poison event, each order's events reach the receiver in order, and the other
 * sinks are not held up. Retries are fast here (300 ms) so the test runs in seconds. Runs on H2 and on
 * PostgreSQL (subclasses).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "labhooks.pipeline.poll-interval-ms=100",
        "labhooks.pipeline.normalise-max-attempts=1",
        "labhooks.sinks.http.secret=" + WebhookPipelineTest.SINK_SECRET,
        // about the queue, not the circuit breaker (SinkCircuitTest): a probe every 200 ms keeps it from slowing them
        "labhooks.sinks.http.circuit.probe-interval=200ms",
        "labhooks.sinks.http.retry.initial-delay=300ms",
        "labhooks.sinks.http.retry.multiplier=1.0",
        "labhooks.sinks.http.retry.max-delay=300ms",
        "labhooks.sinks.http.retry.max-attempts=200",
        "camel.component.http.response-timeout=700",
        "ACME_WEBHOOK_SECRET=" + ProviderSigner.ACME_SECRET})
@DirtiesContext
abstract class DeliveryResilienceTest {

    static final ObjectMapper JSON = new ObjectMapper();
    /** The acme provider of SixthProviderTest, with a mapping that always fails on a "poison" event. */
    static final Installation INSTALLATION = Installation.copyOfShipped()
            .withCopy("routes/providers/acme.camel.yaml", Path.of("src/test/resources/sixth-provider/acme.camel.yaml"))
            .with("mappings/acme.jsonata", "kind = \"poison\" ? $error(\"this event can never be mapped\") : "
                    + read("src/test/resources/sixth-provider/acme.jsonata"));

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
    final HttpClient http = HttpClient.newHttpClient();
    ProviderSigner signer;

    @BeforeEach
    void signer() {
        signer = new ProviderSigner(URI.create("http://127.0.0.1:" + port));
    }

    @Test
    void eventsQueuedThroughAnOutageAndTimeoutsAllArriveInEachOrdersOrderWhileTheFeedGoesOn() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        receiver.stubFor(post(urlEqualTo("/labhooks")).withRequestBody(containing(run)).atPriority(1)
                .willReturn(aResponse().withStatus(503)));
        List<String> jobs = List.of("job-a-" + run, "job-b-" + run, "job-c-" + run);
        List<String> lifecycle = List.of("job.confirmed", "job.arrived", "job.completed");
        for (String type : lifecycle) {
            for (String job : jobs) {
                assertThat(send(signer.lola(WebhookPipelineTest.lolaEvent(type, job))).statusCode()).isEqualTo(202);
            }
        }

        // The JDBC sink is not held up by the HTTP outage.
        await().atMost(Duration.ofSeconds(20)).until(() -> feedRows(run), n -> n == 9);
        // While the receiver is down, only each order's first event is tried: the rest wait behind it.
        await().atMost(Duration.ofSeconds(10)).until(() -> attemptsWithError(run) >= 6);
        assertThat(typesReceived(run)).containsOnly("ORDER_CONFIRMED");

        // Then it answers too slowly (a timeout is a failed attempt too), then it recovers.
        receiver.stubFor(post(urlEqualTo("/labhooks")).withRequestBody(containing(run)).atPriority(1)
                .willReturn(aResponse().withStatus(200).withFixedDelay(1500)));
        await().atMost(Duration.ofSeconds(10)).until(() -> jdbc.queryForObject("""
                SELECT COUNT(*) FROM delivery_attempt a JOIN delivery d ON d.id = a.delivery_id
                JOIN canonical_event c ON c.seq = d.canonical_event_seq
                WHERE c.payload LIKE ? AND a.error LIKE '%imeout%'""", Integer.class, "%" + run + "%"), n -> n >= 1);
        receiver.stubFor(post(urlEqualTo("/labhooks")).withRequestBody(containing(run)).atPriority(1)
                .willReturn(aResponse().withStatus(200)));

        await().atMost(Duration.ofSeconds(30)).until(() -> delivered(run), n -> n == 9);
        for (String job : jobs) {
            List<String> eventIds = jdbc.queryForList("""
                    SELECT event_id FROM canonical_event WHERE order_key LIKE ? ORDER BY seq""", String.class, "%" + job);
            assertThat(eventIds).hasSize(3);
            assertThat(firstArrivals(job)).as("the order in which %s's events first reached the receiver", job)
                    .containsExactlyElementsOf(eventIds);
        }
        assertThat(jdbc.queryForObject("""
                SELECT COUNT(*) FROM delivery d JOIN canonical_event c ON c.seq = d.canonical_event_seq
                WHERE d.status = 'DEAD' AND c.payload LIKE ?""", Integer.class, "%" + run + "%")).isZero();
    }

    @Test
    void aPoisonDeliveryEndsDeadAndAFailingOrderHoldsUpNoOtherOrder() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String refused = "job-refused-" + run;
        String failing = "job-failing-" + run;
        String healthy = "job-healthy-" + run;
        receiver.stubFor(post(urlEqualTo("/labhooks")).withRequestBody(containing(run)).atPriority(2)
                .willReturn(aResponse().withStatus(200)));
        receiver.stubFor(post(urlEqualTo("/labhooks")).withRequestBody(containing(refused))
                .withRequestBody(containing("ORDER_CONFIRMED")).atPriority(1).willReturn(aResponse().withStatus(422)));
        receiver.stubFor(post(urlEqualTo("/labhooks")).withRequestBody(containing(failing)).atPriority(1)
                .willReturn(aResponse().withStatus(500)));

        for (String type : List.of("job.confirmed", "job.completed")) {
            for (String job : List.of(refused, failing, healthy)) {
                assertThat(send(signer.lola(WebhookPipelineTest.lolaEvent(type, job))).statusCode()).isEqualTo(202);
            }
        }

        // The refused event is DEAD after one attempt, and its order's next event goes out after it.
        await().atMost(Duration.ofSeconds(20)).until(() -> statuses(refused), s -> s.equals(List.of("DEAD", "DELIVERED")));
        assertThat(jdbc.queryForObject("""
                SELECT d.last_error FROM delivery d JOIN canonical_event c ON c.seq = d.canonical_event_seq
                WHERE c.order_key LIKE ? AND d.status = 'DEAD'""", String.class, "%" + refused))
                .isEqualTo("HTTP 422 from the receiver");
        // The order whose receiver keeps failing keeps retrying its first event, and holds up no other order.
        await().atMost(Duration.ofSeconds(20)).until(() -> statuses(healthy), s -> s.equals(List.of("DELIVERED", "DELIVERED")));
        assertThat(statuses(failing)).containsExactly("PENDING", "PENDING");
        assertThat(firstArrivals(failing)).hasSize(1);
    }

    @Test
    void anEventWhoseMappingAlwaysFailsEndsFailedWithItsErrorAndTheEventsBehindItAreDelivered() throws Exception {
        receiver.stubFor(post(urlEqualTo("/labhooks")).willReturn(aResponse().withStatus(200)));
        String poisonId = "acme-poison-" + UUID.randomUUID();
        String healthyId = "acme-healthy-" + UUID.randomUUID();

        assertThat(send(signer.acme(poisonId, "poison")).statusCode()).isEqualTo(202);
        assertThat(send(signer.acme(healthyId, "results.posted")).statusCode()).isEqualTo(202);
        assertThat(send(signer.lola(WebhookPipelineTest.lolaEvent("job.confirmed", "job-after-poison-" + poisonId)))
                .statusCode()).isEqualTo(202);

        await().atMost(Duration.ofSeconds(20)).until(() -> jdbc.queryForList(
                "SELECT status FROM inbound_event WHERE provider_event_id = ?", String.class, poisonId), s -> s.equals(List.of("FAILED")));
        assertThat(jdbc.queryForObject("SELECT last_error FROM inbound_event WHERE provider_event_id = ?", String.class, poisonId))
                .contains("this event can never be mapped");
        await().atMost(Duration.ofSeconds(20)).until(() -> jdbc.queryForObject(
                "SELECT COUNT(*) FROM lab_event_feed WHERE event_json LIKE ? OR event_json LIKE ?", Integer.class,
                "%" + healthyId + "%", "%job-after-poison-" + poisonId + "%"), n -> n == 2);
    }

    @Test
    void aDeliveryClaimedByAWorkerThatDiedIsLeftAloneUntilItsLeaseRunsOutThenDelivered() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        receiver.stubFor(post(urlEqualTo("/labhooks")).withRequestBody(containing(run)).atPriority(1)
                .willReturn(aResponse().withStatus(503)));
        assertThat(send(signer.lola(WebhookPipelineTest.lolaEvent("job.confirmed", "job-" + run))).statusCode()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(20)).until(() -> attemptsWithError(run) >= 1);

        // A worker of another box claims it and dies: its lease still has 2 seconds to run.
        OffsetDateTime leaseEnds = OffsetDateTime.now().plusSeconds(2);
        jdbc.update("""
                UPDATE delivery SET claimed_by = 'a-worker-that-died', claimed_until = ?, next_attempt_at = ?
                WHERE sink = 'http' AND canonical_event_seq IN (SELECT seq FROM canonical_event WHERE payload LIKE ?)""",
                leaseEnds, OffsetDateTime.now(), "%" + run + "%");
        int attemptsBefore = attemptsWithError(run);
        receiver.stubFor(post(urlEqualTo("/labhooks")).withRequestBody(containing(run)).atPriority(1)
                .willReturn(aResponse().withStatus(200)));

        await().atMost(Duration.ofSeconds(20)).until(() -> delivered(run), n -> n == 1);
        Instant deliveredAt = jdbc.queryForObject("""
                SELECT d.delivered_at FROM delivery d JOIN canonical_event c ON c.seq = d.canonical_event_seq
                WHERE d.sink = 'http' AND c.payload LIKE ?""", OffsetDateTime.class, "%" + run + "%").toInstant();
        assertThat(deliveredAt).as("not taken from under a live claim").isAfterOrEqualTo(leaseEnds.toInstant());
        assertThat(attemptsWithError(run)).isEqualTo(attemptsBefore);
    }

    // ---- helpers -------------------------------------------------------------------------------------------


    int feedRows(String run) {
        return jdbc.queryForObject("SELECT COUNT(*) FROM lab_event_feed WHERE event_json LIKE ?", Integer.class, "%" + run + "%");
    }

    int delivered(String run) {
        return jdbc.queryForObject("""
                SELECT COUNT(*) FROM delivery d JOIN canonical_event c ON c.seq = d.canonical_event_seq
                WHERE d.sink = 'http' AND d.status = 'DELIVERED' AND c.payload LIKE ?""", Integer.class, "%" + run + "%");
    }

    int attemptsWithError(String run) {
        return jdbc.queryForObject("""
                SELECT COUNT(*) FROM delivery_attempt a JOIN delivery d ON d.id = a.delivery_id
                JOIN canonical_event c ON c.seq = d.canonical_event_seq
                WHERE d.sink = 'http' AND c.payload LIKE ? AND a.error IS NOT NULL""", Integer.class, "%" + run + "%");
    }

    List<String> statuses(String job) {
        return jdbc.queryForList("""
                SELECT d.status FROM delivery d JOIN canonical_event c ON c.seq = d.canonical_event_seq
                WHERE d.sink = 'http' AND c.order_key LIKE ? ORDER BY c.seq""", String.class, "%" + job);
    }

    /** The receiver's requests, oldest first. */
    List<ServeEvent> received(String text) {
        List<ServeEvent> events = new ArrayList<>(receiver.getAllServeEvents());
        java.util.Collections.reverse(events);
        return events.stream().filter(e -> e.getRequest().getBodyAsString().contains(text)).toList();
    }

    List<String> typesReceived(String text) throws Exception {
        List<String> types = new ArrayList<>();
        for (ServeEvent event : received(text)) {
            types.add(JSON.readTree(event.getRequest().getBodyAsString()).path("type").asText());
        }
        return types;
    }

    /** Distinct webhook-ids in the order the receiver first saw them. */
    List<String> firstArrivals(String text) {
        LinkedHashSet<String> ids = new LinkedHashSet<>();
        received(text).forEach(e -> ids.add(e.getRequest().getHeader("webhook-id")));
        return List.copyOf(ids);
    }

    HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static String read(String file) {
        try {
            return java.nio.file.Files.readString(Path.of(file));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
