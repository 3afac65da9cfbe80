package io.labhooks.pipeline;

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
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.labhooks.support.Installation;
import io.labhooks.support.ProviderSigner;

/**
 * An integrator adds a sixth, made-up provider ("acme") to an installation with nothing but a route file, a
 * JSONata mapping and fixtures (src/test/resources/sixth-provider), and it works end to end. Its fixture is also
 * checked by MappingGoldenTest. This installation also sends its JDBC sink to a database of its own.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "labhooks.pipeline.poll-interval-ms=100",
        "ACME_WEBHOOK_SECRET=" + ProviderSigner.ACME_SECRET})
@DirtiesContext
class SixthProviderTest {

    static final Installation INSTALLATION = installation();
    /** This installation writes its feed into a database of its own, not the box's. */
    static final String FEED_DATABASE = "jdbc:h2:mem:acme-feed-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1";

    @DynamicPropertySource
    static void installedFolders(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", () -> "jdbc:h2:mem:acme-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
        registry.add("labhooks.routes-dir", () -> INSTALLATION.routes().toString());
        registry.add("labhooks.mappings-dir", () -> INSTALLATION.mappings().toString());
        registry.add("labhooks.sinks.jdbc.url", () -> FEED_DATABASE);
        registry.add("labhooks.sinks.jdbc.username", () -> "sa");
    }

    /** A copy of the shipped routes/ and mappings/, plus the integrator's two acme files. */
    static Installation installation() {
        Path acme = Path.of("src/test/resources/sixth-provider");
        return Installation.copyOfShipped()
                .withCopy("routes/providers/acme.camel.yaml", acme.resolve("acme.camel.yaml"))
                .withCopy("mappings/acme.jsonata", acme.resolve("acme.jsonata"));
    }

    @LocalServerPort
    int port;
    @Autowired
    JdbcTemplate jdbc;

    @Test
    void aProviderAddedWithYamlAndAMappingOnlyIsVerifiedStoredMappedAndDelivered() throws Exception {
        byte[] body = Files.readAllBytes(Path.of("src/test/resources/sixth-provider/tests/acme/results-posted.input.json"));
        long timestamp = Instant.now().getEpochSecond();
        String webhookId = "acme-delivery-1";
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/webhooks/acme"))
                .header("Content-Type", "application/json")
                .header("webhook-id", webhookId)
                .header("webhook-timestamp", Long.toString(timestamp))
                .header("webhook-signature", "v1," + ProviderSigner.standardWebhooksSignature(ProviderSigner.ACME_SECRET, webhookId, timestamp, body))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();

        HttpResponse<String> ack = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(ack.statusCode()).isEqualTo(202);

        JdbcTemplate feed = new JdbcTemplate(new DriverManagerDataSource(FEED_DATABASE, "sa", ""));
        List<Map<String, Object>> rows = await().atMost(Duration.ofSeconds(15)).until(
                () -> feed.queryForList("SELECT * FROM lab_event_feed WHERE provider = 'acme'"), r -> r.size() == 1);
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(feed.queryForList(
                "SELECT status FROM lab_order_status WHERE order_key = 'acme|ACME-42'", String.class)).containsExactly("RESULTS_READY"));
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM information_schema.tables WHERE LOWER(table_name) = 'lab_event_feed'",
                Integer.class)).as("the feed lives only in the configured sink database").isZero();
        JsonNode event = new ObjectMapper().readTree((String) rows.get(0).get("event_json"));
        assertThat(event.path("type").asText()).isEqualTo("RESULTS_READY");
        assertThat(event.path("providerEventId").asText()).isEqualTo("acme-evt-0001");
        assertThat(event.path("order").path("providerOrderId").asText()).isEqualTo("ACME-42");
        assertThat(event.toString()).doesNotContain("Jane").doesNotContain("jane@example.test");
        assertThat(jdbc.queryForObject("SELECT status FROM order_state WHERE order_key = 'acme|ACME-42'", String.class))
                .isEqualTo("RESULTS_READY");

        HttpResponse<String> badSignature = HttpClient.newHttpClient().send(HttpRequest.newBuilder(request, (n, v) -> true)
                .setHeader("webhook-signature", "v1," + Base64.getEncoder().encodeToString(new byte[32])).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(badSignature.statusCode()).isEqualTo(401);
        assertThat(new String(body, StandardCharsets.UTF_8)).contains("acme-evt-0001");
    }
}
