package io.labhooks.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.labhooks.support.Installation;
import io.labhooks.support.ProviderSigner;

/**
 * A mapping file edited while the box runs, through the real pipeline (signed webhooks over HTTP, normaliser, JDBC
 * sink on H2): the edit is used within seconds with no restart; a half-written edit is refused (logged naming the
 * file, counted on /actuator/prometheus) while the webhooks go on being mapped with the previous version and
 * delivered; the finished edit is then taken.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "labhooks.pipeline.poll-interval-ms=100",
        "ACME_WEBHOOK_SECRET=" + ProviderSigner.ACME_SECRET})
@DirtiesContext
@AutoConfigureObservability
@ExtendWith(OutputCaptureExtension.class)
class MappingReloadTest {

    static final Path ACME = Path.of("src/test/resources/sixth-provider");
    static final Installation INSTALLATION = Installation.copyOfShipped()
            .withCopy("routes/providers/acme.camel.yaml", ACME.resolve("acme.camel.yaml"))
            .withCopy("mappings/acme.jsonata", ACME.resolve("acme.jsonata"));
    /** How long a step may take on a loaded machine. */
    static final Duration DEADLINE = Duration.ofSeconds(15);

    @DynamicPropertySource
    static void box(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", () -> "jdbc:h2:mem:reload-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=10000");
        registry.add("labhooks.routes-dir", () -> INSTALLATION.routes().toString());
        registry.add("labhooks.mappings-dir", () -> INSTALLATION.mappings().toString());
    }

    @LocalServerPort
    int port;
    @Autowired
    JdbcTemplate jdbc;
    final HttpClient http = HttpClient.newHttpClient();
    ProviderSigner signer;

    @Test
    void anEditIsUsedWithinSecondsABrokenOneIsRefusedWhileThePreviousVersionGoesOnAndAFixIsTaken(CapturedOutput output)
            throws Exception {
        signer = new ProviderSigner(URI.create("http://127.0.0.1:" + port));
        String shipped = Files.readString(ACME.resolve("acme.jsonata"));
        assertThat(shipped).contains("\"channel\": \"TEST_KIT\"");
        assertThat(sendAndAwaitDelivery()).isEqualTo("TEST_KIT");

        edit(shipped.replace("\"channel\": \"TEST_KIT\"", "\"channel\": \"CLINIC_OR_VENUE\""));
        sendUntil("CLINIC_OR_VENUE", "TEST_KIT");

        // An editor caught half way through writing the next version: it must never be used.
        String next = shipped.replace("\"channel\": \"TEST_KIT\"", "\"channel\": \"ON_SITE\"");
        edit(next.substring(0, next.indexOf("ON_SITE") + 20));
        Instant deadline = Instant.now().plus(DEADLINE);
        while (refused() < 1) {
            assertThat(Instant.now()).as("the broken edit is refused within seconds").isBefore(deadline);
            assertThat(sendAndAwaitDelivery()).as("mapped with the previous version").isEqualTo("CLINIC_OR_VENUE");
        }
        for (int i = 0; i < 2; i++) {
            assertThat(sendAndAwaitDelivery()).as("mapped with the previous version").isEqualTo("CLINIC_OR_VENUE");
        }
        assertThat(refused()).as("one refusal for the one broken version").isEqualTo(1);
        List<String> errors = output.getAll().lines().filter(l -> l.contains("ERROR") && l.contains("Mapping file")).toList();
        assertThat(errors).singleElement().asString()
                .contains("Mapping file acme.jsonata does not parse (JSONata error S0")
                .contains("refused, the version taken at")
                .doesNotContain("ON_SITE");
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM inbound_event WHERE status <> 'NORMALISED'", Integer.class))
                .as("no webhook failed or was left behind").isZero();

        edit(next);
        sendUntil("ON_SITE", "CLINIC_OR_VENUE");
        assertThat(output.getAll()).contains("Mapping file acme.jsonata changed: the new version is in use");
    }

    /** Sends webhooks one after another until one is mapped with the wanted channel; the ones before keep the old one. */
    private void sendUntil(String wanted, String before) throws Exception {
        Instant deadline = Instant.now().plus(DEADLINE);
        String channel = sendAndAwaitDelivery();
        while (!channel.equals(wanted)) {
            assertThat(channel).as("mapped with the previous version").isEqualTo(before);
            assertThat(Instant.now()).as("the edit is used within seconds").isBefore(deadline);
            channel = sendAndAwaitDelivery();
        }
    }

    private void edit(String mapping) throws Exception {
        Files.writeString(INSTALLATION.mappings().resolve("acme.jsonata"), mapping);
    }

    /** The channel of the event delivered to the JDBC sink for a new acme webhook. */
    private String sendAndAwaitDelivery() throws Exception {
        String id = "acme-" + UUID.randomUUID();
        assertThat(http.send(signer.acme(id, "order.opened").build(), HttpResponse.BodyHandlers.ofString()).statusCode())
                .isEqualTo(202);
        List<String> delivered = await().atMost(DEADLINE).until(() -> jdbc.queryForList("""
                SELECT f.event_json FROM lab_event_feed f JOIN canonical_event c ON c.event_id = f.event_id
                JOIN inbound_event i ON i.id = c.inbound_event_id WHERE i.provider_event_id = ?""", String.class, id),
                rows -> rows.size() == 1);
        return new ObjectMapper().readTree(delivered.get(0)).path("channel").asText();
    }

    private double refused() throws Exception {
        String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/prometheus")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        return metrics.lines().filter(l -> l.startsWith("labhooks_mappings_refused_total{") && l.contains("mapping=\"acme.jsonata\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).findFirst().orElse(-1);
    }
}
