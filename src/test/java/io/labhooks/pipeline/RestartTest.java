package io.labhooks.pipeline;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

import io.labhooks.LabhooksApplication;
import io.labhooks.support.ProviderSigner;

/**
 * A delivery that is still failing when the box stops is picked up by the next box on the same database and
 * delivered: the retry schedule lives in the database, not in the JVM.
 */
class RestartTest {

    @RegisterExtension
    static WireMockExtension receiver = WireMockExtension.newInstance()
            .options(com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig().dynamicPort())
            .build();

    @Test
    void aPendingDeliveryIsCompletedByTheNextBoxOnTheSameDatabase() throws Exception {
        Path data = Files.createTempDirectory("labhooks-restart");
        String database = "jdbc:h2:file:" + data.resolve("labhooks") + ";LOCK_TIMEOUT=10000";
        receiver.stubFor(post(urlEqualTo("/labhooks")).willReturn(aResponse().withStatus(503)));
        byte[] body = Files.readAllBytes(Path.of("mappings/tests/lola/sample-results-ready.input.json"));

        String eventId;
        try (ConfigurableApplicationContext box = start(database)) {
            int port = Integer.parseInt(box.getEnvironment().getProperty("local.server.port"));
            HttpResponse<String> ack = HttpClient.newHttpClient().send(
                    new ProviderSigner(URI.create("http://127.0.0.1:" + port)).lola(body).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(ack.statusCode()).isEqualTo(202);
            JdbcTemplate jdbc = box.getBean(JdbcTemplate.class);
            eventId = jdbc.queryForObject("SELECT event_id FROM inbound_event", String.class);
            await().atMost(Duration.ofSeconds(15)).ignoreExceptions().until(() -> httpDelivery(jdbc, eventId).get("last_error") != null);
            assertThat(httpDelivery(jdbc, eventId).get("status")).isEqualTo("PENDING");
        }

        receiver.stubFor(post(urlEqualTo("/labhooks")).willReturn(aResponse().withStatus(200)));
        try (ConfigurableApplicationContext box = start(database)) {
            JdbcTemplate jdbc = box.getBean(JdbcTemplate.class);
            await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> httpDelivery(jdbc, eventId).get("status"), "DELIVERED"::equals);
        }
        assertThat(receiver.getAllServeEvents()).anyMatch(e -> eventId.equals(e.getRequest().getHeader("webhook-id"))
                && e.getResponse().getStatus() == 200);
    }

    private static Map<String, Object> httpDelivery(JdbcTemplate jdbc, String eventId) {
        return jdbc.queryForMap("""
                SELECT d.status, d.last_error FROM delivery d JOIN canonical_event c ON c.seq = d.canonical_event_seq
                WHERE c.event_id = ? AND d.sink = 'http'""", eventId);
    }

    private static ConfigurableApplicationContext start(String database) {
        List<String> arguments = new ArrayList<>(List.of(
                "--server.port=0",
                "--spring.datasource.url=" + database,
                "--labhooks.pipeline.poll-interval-ms=100",
                "--labhooks.sinks.http.url=" + receiver.baseUrl() + "/labhooks",
                "--labhooks.sinks.http.circuit.probe-interval=200ms",
                "--labhooks.sinks.http.secret=whsec_" + java.util.Base64.getEncoder().encodeToString(UUID.randomUUID().toString().getBytes()),
                "--labhooks.sinks.http.retry.initial-delay=300ms",
                "--labhooks.sinks.http.retry.max-delay=1s"));
        for (String secret : ProviderSigner.secretProperties()) {
            arguments.add("--" + secret);
        }
        return new SpringApplicationBuilder(LabhooksApplication.class).run(arguments.toArray(String[]::new));
    }
}
