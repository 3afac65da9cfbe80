package io.labhooks.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.CamelContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.labhooks.support.ProviderSigner;

/**
 * The JDBC sink takes a claimed batch whole, in one transaction; a batch holding one event the sink's database
 * refuses (here a rule the integrator put on lab_event_feed) is sent again one delivery at a time, so the bad one
 * fails alone and the others arrive once, on their first attempt. The sink's poller starts only once all twelve
 * events are waiting, so they are claimed as two batches of six (the batch size), in the order they were recorded.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "labhooks.pipeline.poll-interval-ms=200",
        "labhooks.pipeline.batch-size=6",
        "labhooks.sinks.jdbc.retry.max-attempts=1",
        "camel.main.auto-startup-exclude-pattern=deliver-jdbc"})
@DirtiesContext
@ExtendWith(OutputCaptureExtension.class)
abstract class JdbcSinkBatchTest {

    @DynamicPropertySource
    static void secrets(DynamicPropertyRegistry registry) {
        ProviderSigner.registerSecrets(registry);
    }

    @LocalServerPort
    int port;
    @Autowired
    JdbcTemplate jdbc;
    @Autowired
    CamelContext camel;
    @Autowired
    MeterRegistry metrics;

    @AfterEach
    void dropRule() {
        jdbc.execute("ALTER TABLE lab_event_feed DROP CONSTRAINT IF EXISTS no_refused_orders");
    }

    @Test
    void aBatchGoesInWholeAndOneEventTheSinkRefusesFailsAlone(CapturedOutput output) throws Exception {
        jdbc.execute("ALTER TABLE lab_event_feed ADD CONSTRAINT no_refused_orders CHECK (provider_order_id NOT LIKE 'refused-%')");
        String run = UUID.randomUUID().toString().substring(0, 8);
        List<String> first = send(run + "-a", -1);
        List<String> second = send(run + "-b", 3);
        assertThat(count("SELECT COUNT(*) FROM lab_event_feed")).as("nothing delivered before the sink's poller starts").isZero();

        camel.getRouteController().startRoute("deliver-jdbc");

        await().atMost(Duration.ofSeconds(30)).until(() -> count(
                "SELECT COUNT(*) FROM delivery WHERE sink = 'jdbc' AND status IN ('DELIVERED', 'DEAD')") == 12);
        List<Map<String, Object>> dead = jdbc.queryForList(
                "SELECT d.attempts, d.last_error, c.event_id FROM delivery d JOIN canonical_event c ON c.seq = d.canonical_event_seq"
                        + " WHERE d.sink = 'jdbc' AND d.status = 'DEAD'");
        assertThat(dead).as("only the refused event failed").hasSize(1);
        assertThat(dead.get(0).get("last_error").toString()).containsIgnoringCase("no_refused_orders")
                .as("the database's reason, without the row it quotes").doesNotContain("refused-3-");
        assertThat(output.getAll()).as("DeliveryQueue's line names the reason").contains("A batch of 6 deliveries to sink jdbc failed as a whole")
                .as("no log line quotes the refused row (PostgreSQL's message does), nor the failing SQL").doesNotContain("refused-3-")
                .doesNotContain("INSERT INTO lab_event_feed");
        assertThat(count("SELECT COUNT(*) FROM lab_event_feed")).as("the 11 others, once each").isEqualTo(11);
        assertThat(count("SELECT COUNT(DISTINCT event_id) FROM lab_event_feed")).isEqualTo(11);
        assertThat(count("SELECT COUNT(*) FROM lab_event_feed WHERE provider_order_id LIKE 'refused-%'")).isZero();
        for (String job : concat(first, second)) {
            assertThat(count("SELECT COUNT(*) FROM lab_event_feed WHERE provider_order_id = '" + job + "'")).as(job).isEqualTo(1);
            assertThat(count("SELECT COUNT(*) FROM lab_order_status WHERE provider_order_id = '" + job + "' AND status = 'CONFIRMED'"))
                    .as("the order's status is kept for " + job).isEqualTo(1);
        }
        assertThat(count("SELECT COUNT(*) FROM delivery WHERE sink = 'jdbc' AND status = 'DELIVERED' AND attempts = 1"))
                .as("delivered on their first attempt, not delayed to a retry").isEqualTo(11);
        assertThat(count("SELECT COUNT(*) FROM delivery_attempt a JOIN delivery d ON d.id = a.delivery_id WHERE d.sink = 'jdbc'"))
                .as("one attempt recorded per delivery").isEqualTo(12);
        assertThat(batches("together")).as("the batch without the refused event went in whole").isEqualTo(1);
        assertThat(batches("one-at-a-time")).as("the batch with it was sent again one delivery at a time").isEqualTo(1);
    }

    /**
     * Six webhooks for six orders, the one at {@code refused} (if any) for an order the sink's rule refuses; returns
     * the others' provider order ids, once all six are waiting for the sink.
     */
    private List<String> send(String run, int refused) throws Exception {
        int before = count("SELECT COUNT(*) FROM delivery WHERE sink = 'jdbc'");
        ProviderSigner signer = new ProviderSigner(URI.create("http://127.0.0.1:" + port));
        HttpClient http = HttpClient.newHttpClient();
        List<String> good = new ArrayList<>();
        for (int order = 0; order < 6; order++) {
            String job = (order == refused ? "refused-" : "job-") + order + "-" + run;
            if (order != refused) {
                good.add(job);
            }
            byte[] event = WebhookPipelineTest.lolaEvent("job.confirmed", job);
            assertThat(http.send(signer.lola(event).build(), HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(202);
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> count("SELECT COUNT(*) FROM delivery WHERE sink = 'jdbc'") == before + 6);
        return good;
    }

    private double batches(String outcome) {
        var counter = metrics.find("labhooks.sinks.batches").tags("sink", "jdbc", "outcome", outcome).counter();
        return counter == null ? 0 : counter.count();
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private int count(String sql) {
        return jdbc.queryForObject(sql, Integer.class);
    }
}
