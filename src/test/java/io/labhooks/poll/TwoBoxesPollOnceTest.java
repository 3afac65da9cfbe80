package io.labhooks.poll;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Date;
import java.util.List;
import java.util.Map;

import org.apache.camel.CamelContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;

import io.labhooks.LabhooksApplication;
import io.labhooks.support.ProviderSigner;
import io.labhooks.support.TestPostgres;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Two boxes on one PostgreSQL poll the same open orders: each poll is made by one box only. Every call the API
 * sees is a poll the database recorded (no call is made twice), calls for one order are a cadence apart, and both
 * boxes share the work.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "labhooks.pipeline.poll-interval-ms=100", "LABHOOKS_INSTANCE_NAME=box-a"})
@DirtiesContext
class TwoBoxesPollOnceTest {

    @RegisterExtension
    static final TestPostgres POSTGRES = new TestPostgres();
    static final WireMockServer API = new WireMockServer(WireMockConfiguration.options().dynamicPort());
    static final Duration CADENCE = Duration.ofSeconds(1);
    static ConfigurableApplicationContext boxB;

    static {
        API.start();
    }

    @DynamicPropertySource
    static void box(DynamicPropertyRegistry registry) {
        POSTGRES.use(registry);
        ProviderSigner.registerSecrets(registry);
        registry.add("LOLA_API_URL", () -> API.baseUrl() + "/lola/api/integration/v1");
        registry.add("LOLA_API_KEY", () -> "lola-key");
        registry.add("LABHOOKS_RECONCILE_INTERVAL", () -> "1s");
    }

    @LocalServerPort
    int port;
    @Autowired
    JdbcTemplate jdbc;

    @AfterAll
    static void stop() throws Exception { // box B; POSTGRES stops box A and drops the schema after this
        if (boxB != null) {
            boxB.getBean(CamelContext.class).stop();
            boxB.close();
        }
        API.stop();
    }

    @Test
    void eachPollIsMadeByOneBox(@Autowired ConfigurableApplicationContext boxA) throws Exception {
        boxB = startBoxB();
        API.stubFor(get(anyUrl()).atPriority(10).willReturn(aResponse().withStatus(404)));
        ProviderSigner signer = new ProviderSigner(URI.create("http://127.0.0.1:" + port));
        HttpClient http = HttpClient.newHttpClient();
        List<String> jobs = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            String job = "job" + ReconciliationPollingTest.shortId();
            jobs.add(job);
            API.stubFor(get(urlEqualTo(path(job))).withHeader("X-API-Key", equalTo("lola-key"))
                    .willReturn(okJson(ReconciliationPollingTest.booking(job, "CONFIRMED"))));
            assertThat(http.send(signer.lola(ReconciliationPollingTest.fixture("lola/job-confirmed", "ckxyz123", job))
                    .build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(202);
        }

        // several cadences of polling by both boxes
        await().atMost(Duration.ofSeconds(60)).until(() -> jobs.stream().allMatch(job -> polls(job) >= 5));

        for (String job : jobs) {
            // a poll is recorded after its call: read the record first, then the calls (one may be in flight)
            int recorded = polls(job);
            List<ServeEvent> calls = API.getAllServeEvents().stream().filter(e -> e.getRequest().getUrl().equals(path(job))).toList();
            assertThat(calls.size()).as("calls for " + job).isBetween(recorded, recorded + 1);
            List<Date> at = calls.stream().map(e -> e.getRequest().getLoggedDate()).sorted(Comparator.naturalOrder()).toList();
            for (int i = 1; i < at.size(); i++) {
                assertThat(at.get(i).getTime() - at.get(i - 1).getTime()).as("calls for " + job + " about a cadence apart")
                        .isGreaterThanOrEqualTo(CADENCE.toMillis() / 2); // two boxes polling at once would be milliseconds apart
            }
        }
        assertThat(polled(boxA)).as("box A polled").isPositive();
        assertThat(polled(boxB)).as("box B polled").isPositive();
        API.verify(getRequestedFor(anyUrl()).withHeader("X-API-Version", equalTo("1")));
    }

    private static double polled(ConfigurableApplicationContext box) {
        return box.getBean(MeterRegistry.class).find("labhooks.poll.calls").counters().stream()
                .mapToDouble(c -> c.count()).sum();
    }

    private int polls(String job) {
        List<Map<String, Object>> rows = jdbc.queryForList(
                "SELECT polls FROM poll_watch WHERE provider = 'lola' AND resource = 'booking' AND ref_value = ?", job);
        return rows.isEmpty() ? 0 : ((Number) rows.get(0).get("polls")).intValue();
    }

    private static String path(String job) {
        return "/lola/api/integration/v1/bookings/" + job;
    }

    private static ConfigurableApplicationContext startBoxB() {
        List<String> properties = new ArrayList<>(List.of(
                "server.port=0", "LABHOOKS_INSTANCE_NAME=box-b", "labhooks.pipeline.poll-interval-ms=100",
                "spring.datasource.url=" + POSTGRES.url(),
                "spring.datasource.username=" + TestPostgres.USER, "spring.datasource.password=",
                "spring.flyway.schemas=" + POSTGRES.schema(),
                "LOLA_API_URL=" + API.baseUrl() + "/lola/api/integration/v1", "LOLA_API_KEY=lola-key",
                "LABHOOKS_RECONCILE_INTERVAL=1s"));
        properties.addAll(List.of(ProviderSigner.secretProperties()));
        // as command-line arguments, which outrank application.yaml (default properties would not)
        return new SpringApplicationBuilder(LabhooksApplication.class)
                .run(properties.stream().map(p -> "--" + p).toArray(String[]::new));
    }
}
