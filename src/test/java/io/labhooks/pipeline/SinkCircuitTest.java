package io.labhooks.pipeline;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
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
 * A receiver that is down is probed, not hammered: once the HTTP sink's attempts have failed {@code failures}
 * times in a row, every further attempt is a probe, one per interval, while the other deliveries wait without
 * spending attempts; the first probe that succeeds closes the circuit and everything is delivered. The retry
 * schedule here (100 ms) would otherwise try each of the eight orders several times a second.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "labhooks.pipeline.poll-interval-ms=100",
        "labhooks.sinks.http.secret=" + WebhookPipelineTest.SINK_SECRET,
        "labhooks.sinks.http.retry.initial-delay=100ms",
        "labhooks.sinks.http.retry.max-delay=200ms",
        "labhooks.sinks.http.circuit.failures=3",
        "labhooks.sinks.http.circuit.probe-interval=1s",
        // one delivery at a time, so the count below is exact (with more workers, attempts already under way when
        // the circuit opens still finish)
        "labhooks.sinks.http.concurrency=1"})
@DirtiesContext
class SinkCircuitTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static WireMockExtension receiver = WireMockExtension.newInstance()
            .options(com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig().dynamicPort())
            .build();

    @DynamicPropertySource
    static void box(DynamicPropertyRegistry registry) {
        ProviderSigner.registerSecrets(registry);
        registry.add("labhooks.sinks.http.url", () -> receiver.baseUrl() + "/labhooks");
        registry.add("spring.datasource.url", () -> "jdbc:h2:mem:circuit-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=10000");
    }

    @LocalServerPort
    int port;
    @Autowired
    JdbcTemplate jdbc;
    @Autowired
    MeterRegistry metrics;
    final HttpClient http = HttpClient.newHttpClient();

    @Test
    void aReceiverThatIsDownGetsOneProbePerIntervalThenEverythingIsDelivered() throws Exception {
        receiver.stubFor(post(urlEqualTo("/labhooks")).willReturn(aResponse().withStatus(503)));
        ProviderSigner signer = new ProviderSigner(URI.create("http://127.0.0.1:" + port));
        for (int order = 0; order < 8; order++) {
            byte[] event = WebhookPipelineTest.lolaEvent("job.confirmed", "job-" + order + "-" + UUID.randomUUID());
            assertThat(http.send(signer.lola(event).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(202);
        }

        await().atMost(Duration.ofSeconds(20)).until(() -> !circuit().equals("CLOSED"));
        await().atMost(Duration.ofSeconds(20)).until(() -> probes() >= 3);
        // Read while no probe is out, so every probe counted has its attempt recorded.
        long[] snapshot = await().atMost(Duration.ofSeconds(20)).until(() -> {
            long before = probes();
            long attempts = httpAttempts();
            return circuit().equals("OPEN") && probes() == before ? new long[] {before, attempts} : null;
        }, java.util.Objects::nonNull);
        assertThat(snapshot[1]).as("attempts: the 3 failures that opened the circuit, then only the probes")
                .isEqualTo(3 + snapshot[0]);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM delivery WHERE sink = 'http' AND status = 'PENDING'", Integer.class))
                .as("every delivery still waiting, none dead").isEqualTo(8);
        assertThat(metrics.get("labhooks.sinks.circuit.open").tag("sink", "http").gauge().value()).isEqualTo(1.0);

        receiver.stubFor(post(urlEqualTo("/labhooks")).willReturn(aResponse().withStatus(200)));
        await().atMost(Duration.ofSeconds(30)).until(() -> jdbc.queryForObject(
                "SELECT COUNT(*) FROM delivery WHERE sink = 'http' AND status = 'DELIVERED'", Integer.class) == 8);
        assertThat(circuit()).isEqualTo("CLOSED");
        assertThat(metrics.get("labhooks.sinks.circuit.open").tag("sink", "http").gauge().value()).isZero();
    }

    private long probes() {
        Counter counter = metrics.find("labhooks.sinks.circuit.probes").tag("sink", "http").counter();
        return counter == null ? 0 : (long) counter.count();
    }

    private long httpAttempts() {
        return jdbc.queryForObject("""
                SELECT COUNT(*) FROM delivery_attempt a JOIN delivery d ON d.id = a.delivery_id WHERE d.sink = 'http'""", Long.class);
    }

    private String circuit() throws Exception {
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(health.body()).at("/components/pipeline/details/sinks/http/circuit").asText();
    }
}
