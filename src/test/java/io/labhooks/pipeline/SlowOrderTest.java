package io.labhooks.pipeline;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.labhooks.support.ProviderSigner;

/**
 * A receiver that is slow for one order does not slow the others: the slow order's delivery holds one of the
 * sink's workers while the other orders' deliveries, claimed in the same batch behind it, all arrive first.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "labhooks.pipeline.poll-interval-ms=100",
        "labhooks.sinks.http.secret=" + WebhookPipelineTest.SINK_SECRET})
@DirtiesContext
class SlowOrderTest {

    @RegisterExtension
    static WireMockExtension receiver = WireMockExtension.newInstance()
            .options(com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig().dynamicPort())
            .build();

    @DynamicPropertySource
    static void box(DynamicPropertyRegistry registry) {
        ProviderSigner.registerSecrets(registry);
        registry.add("labhooks.sinks.http.url", () -> receiver.baseUrl() + "/labhooks");
        registry.add("spring.datasource.url", () -> "jdbc:h2:mem:slow-order-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=10000");
    }

    @LocalServerPort
    int port;
    @Autowired
    JdbcTemplate jdbc;

    @Test
    void theOtherOrdersArriveWhileTheSlowOneIsStillBeingAnswered() throws Exception {
        String slow = "job-slow-" + UUID.randomUUID();
        receiver.stubFor(post(urlEqualTo("/labhooks")).atPriority(2).willReturn(aResponse().withStatus(200)));
        receiver.stubFor(post(urlEqualTo("/labhooks")).withRequestBody(containing(slow)).atPriority(1)
                .willReturn(aResponse().withStatus(200).withFixedDelay(6000)));
        ProviderSigner signer = new ProviderSigner(URI.create("http://127.0.0.1:" + port));
        HttpClient http = HttpClient.newHttpClient();
        // The slow order first: it is claimed first, at the head of the batch.
        assertThat(http.send(signer.lola(WebhookPipelineTest.lolaEvent("job.confirmed", slow)).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(202);
        String run = UUID.randomUUID().toString().substring(0, 8);
        for (int order = 0; order < 20; order++) {
            byte[] event = WebhookPipelineTest.lolaEvent("job.confirmed", "job-" + order + "-" + run);
            assertThat(http.send(signer.lola(event).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(202);
        }

        await().atMost(Duration.ofSeconds(30)).until(() -> httpDeliveries("DELIVERED", "%" + run + "%") == 20);
        assertThat(httpDeliveries("PENDING", "%" + slow + "%"))
                .as("the slow order's delivery is still being answered when the 20 others have all arrived").isEqualTo(1);
        await().atMost(Duration.ofSeconds(30)).until(() -> httpDeliveries("DELIVERED", "%" + slow + "%") == 1);
    }

    private int httpDeliveries(String status, String payloadLike) {
        return jdbc.queryForObject("""
                SELECT COUNT(*) FROM delivery d JOIN canonical_event c ON c.seq = d.canonical_event_seq
                WHERE d.sink = 'http' AND d.status = ? AND c.payload LIKE ?""", Integer.class, status, payloadLike);
    }
}
