package io.labhooks.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;

import org.apache.camel.CamelContext;
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
 * A poll that finds more waiting than one batch keeps claiming until the backlog is done, instead of one batch per
 * poll interval. The interval here is an hour, so each poller runs once, a second after it starts: the normaliser
 * and the JDBC sink's poller start only once twelve events wait for them, and that one poll, in batches of five,
 * must take all twelve.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "labhooks.pipeline.poll-interval-ms=3600000",
        "labhooks.pipeline.batch-size=5",
        "camel.main.auto-startup-exclude-pattern=normalise-poll,deliver-jdbc"})
@DirtiesContext
class PollerBacklogTest {

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        ProviderSigner.registerSecrets(registry);
        registry.add("spring.datasource.url", () -> "jdbc:h2:mem:poller-backlog-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    }

    @LocalServerPort
    int port;
    @Autowired
    JdbcTemplate jdbc;
    @Autowired
    CamelContext camel;

    @Test
    void onePollTakesABacklogOfSeveralBatches() throws Exception {
        ProviderSigner signer = new ProviderSigner(URI.create("http://127.0.0.1:" + port));
        HttpClient http = HttpClient.newHttpClient();
        for (int order = 0; order < 12; order++) {
            byte[] event = WebhookPipelineTest.lolaEvent("job.confirmed", "job-" + order + "-" + UUID.randomUUID());
            assertThat(http.send(signer.lola(event).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(202);
        }
        assertThat(count("SELECT COUNT(*) FROM inbound_event WHERE status = 'RECEIVED'")).isEqualTo(12);

        camel.getRouteController().startRoute("normalise-poll");
        await().atMost(Duration.ofSeconds(30)).until(() -> count("SELECT COUNT(*) FROM inbound_event WHERE status = 'NORMALISED'") == 12);
        assertThat(count("SELECT COUNT(*) FROM delivery WHERE sink = 'jdbc' AND status = 'PENDING'")).isEqualTo(12);

        camel.getRouteController().startRoute("deliver-jdbc");
        // the outcomes are recorded just after the sink's own transaction: wait for them, not for the feed rows
        await().atMost(Duration.ofSeconds(30)).until(() -> count("SELECT COUNT(*) FROM delivery WHERE sink = 'jdbc' AND status = 'DELIVERED'") == 12);
        assertThat(count("SELECT COUNT(*) FROM delivery WHERE sink = 'jdbc' AND status = 'DELIVERED' AND attempts = 1")).isEqualTo(12);
        assertThat(count("SELECT COUNT(*) FROM lab_event_feed")).isEqualTo(12);
    }

    private int count(String sql) {
        return jdbc.queryForObject(sql, Integer.class);
    }
}
