package io.labhooks.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.UUID;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** A box with no provider secrets set still starts; each provider answers 503 naming the variable to set. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "LOLA_WEBHOOK_SECRET=", "JUNCTION_WEBHOOK_SECRET=", "HURDLE_WEBHOOK_TOKEN=", "LML_WEBHOOK_TOKEN=",
        "FULLSCRIPT_WEBHOOK_SECRET=set-but-no-challenge-token", "FULLSCRIPT_CHALLENGE_TOKEN="})
@DirtiesContext
class ProviderNotConfiguredTest {

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", () -> "jdbc:h2:mem:unconfigured-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    }

    @LocalServerPort
    int port;
    @Autowired
    JdbcTemplate jdbc;

    final HttpClient http = HttpClient.newHttpClient();

    @Test
    void eachProviderNamesTheVariableToSetAndNothingIsStored() throws Exception {
        assertUnavailable("lola", "provider 'lola' is not configured: set LOLA_WEBHOOK_SECRET");
        assertUnavailable("junction", "provider 'junction' is not configured: set JUNCTION_WEBHOOK_SECRET");
        assertUnavailable("hurdle", "provider 'hurdle' is not configured: set HURDLE_WEBHOOK_TOKEN");
        assertUnavailable("lml", "provider 'lml' is not configured: set LML_WEBHOOK_TOKEN");
        assertUnavailable("fullscript", "provider 'fullscript' is not configured: set FULLSCRIPT_CHALLENGE_TOKEN");
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM inbound_event", Integer.class)).isZero();

        HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(base() + "/actuator/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(new ObjectMapper().readTree(health.body()).path("status").asText()).isEqualTo("UP");
    }

    @Test
    void theAdminApiIsOffWithoutATokenAndSaysWhatToSet() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/admin/events")).header("Authorization", "Bearer anything").build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(new ObjectMapper().readTree(response.body()).path("error").asText())
                .isEqualTo("the admin API is off: set LABHOOKS_ADMIN_TOKEN to turn it on");
    }

    private void assertUnavailable(String provider, String reason) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(base() + "/webhooks/" + provider))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"type\":\"x\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(new ObjectMapper().readTree(response.body()).path("error").asText()).isEqualTo(reason);
    }

    private String base() {
        return "http://127.0.0.1:" + port;
    }
}
