package io.labhooks.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.labhooks.support.ProviderSigner;

/**
 * One claimed batch is recorded in one transaction; an event that cannot be recorded (here an external order id
 * longer than the order table holds, which only the database notices) fails alone: the batch is recorded again
 * event by event, so the others are recorded once, on their first attempt, and nothing of the bad one is kept.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "labhooks.pipeline.poll-interval-ms=2000",
        "labhooks.pipeline.normalise-max-attempts=1"})
@DirtiesContext
abstract class BatchIsolationTest {

    @DynamicPropertySource
    static void secrets(DynamicPropertyRegistry registry) {
        ProviderSigner.registerSecrets(registry);
    }

    @LocalServerPort
    int port;
    @Autowired
    JdbcTemplate jdbc;

    @Test
    void anEventTheDatabaseRefusesFailsAloneAndTheRestOfItsBatchIsRecordedOnce() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        ProviderSigner signer = new ProviderSigner(URI.create("http://127.0.0.1:" + port));
        HttpClient http = HttpClient.newHttpClient();
        List<String> good = new ArrayList<>();
        List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
        // Sent at once, well inside one poll interval, so that the normaliser most likely claims them as one batch
        // (the end state below is what a user must see however they were claimed).
        for (int order = 0; order < 6; order++) {
            String job = "job-" + order + "-" + run;
            byte[] event = WebhookPipelineTest.lolaEvent("job.confirmed", job);
            if (order == 3) {
                event = new String(event, StandardCharsets.UTF_8)
                        .replace("\"externalOrderId\":\"order-" + job + "\"", "\"externalOrderId\":\"" + "x".repeat(300) + "\"")
                        .getBytes(StandardCharsets.UTF_8);
            } else {
                good.add(job);
            }
            sent.add(http.sendAsync(signer.lola(event).build(), HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> response : sent) {
            assertThat(response.get().statusCode()).isEqualTo(202);
        }

        await().atMost(Duration.ofSeconds(30)).until(() -> count("SELECT COUNT(*) FROM inbound_event WHERE status IN ('NORMALISED', 'FAILED')") == 6);
        List<Map<String, Object>> failed = jdbc.queryForList("SELECT attempts, last_error FROM inbound_event WHERE status = 'FAILED'");
        assertThat(failed).hasSize(1);
        assertThat(failed.get(0).get("last_error").toString()).as("the database's reason is kept").containsIgnoringCase("too long");
        assertThat(count("SELECT COUNT(*) FROM inbound_event WHERE status = 'NORMALISED' AND attempts = 1"))
                .as("the others were recorded on their first attempt, not delayed to a retry").isEqualTo(5);
        assertThat(count("SELECT COUNT(*) FROM canonical_event")).as("once each, nothing of the rolled-back batch kept").isEqualTo(5);
        assertThat(count("SELECT COUNT(*) FROM canonical_event c JOIN inbound_event i ON i.id = c.inbound_event_id"
                + " WHERE i.status = 'FAILED'")).isZero();
        for (String job : good) {
            assertThat(count("SELECT COUNT(*) FROM order_state WHERE external_order_id = 'order-" + job + "'")).isEqualTo(1);
        }
        assertThat(count("SELECT COUNT(*) FROM order_state")).isEqualTo(5);
        await().atMost(Duration.ofSeconds(30)).until(() -> count("SELECT COUNT(*) FROM lab_event_feed") == 5);
        // a delivery's outcome is recorded just after the sink took it
        await().atMost(Duration.ofSeconds(10)).until(() -> count("SELECT COUNT(*) FROM delivery WHERE sink = 'jdbc' AND status = 'DELIVERED'") == 5);
        assertThat(count("SELECT COUNT(*) FROM delivery WHERE sink = 'jdbc' AND status = 'DELIVERED' AND attempts = 1")).isEqualTo(5);
        assertThat(count("SELECT COUNT(*) FROM delivery_attempt a JOIN delivery d ON d.id = a.delivery_id"
                + " WHERE d.sink = 'jdbc' AND a.outcome = 'DELIVERED'")).as("one attempt recorded per delivery").isEqualTo(5);
    }

    private int count(String sql) {
        return jdbc.queryForObject(sql, Integer.class);
    }
}
