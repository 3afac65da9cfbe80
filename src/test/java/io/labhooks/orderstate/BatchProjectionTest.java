package io.labhooks.orderstate;

import static io.labhooks.orderstate.OrderLinkingTest.fixture;
import static io.labhooks.orderstate.OrderLinkingTest.withoutOrderNumber;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
 * The normaliser starts only once the webhooks wait for it (an hour's poll interval: it runs once, a second after
 * it is started), so it takes them as one batch; the JDBC sink's poller never starts, so the deliveries are seen
 * as queued. Runs once on H2 and
 * once on PostgreSQL (subclasses).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "labhooks.pipeline.poll-interval-ms=3600000",
        "camel.main.auto-startup-exclude-pattern=normalise-poll,deliver-jdbc"})
@DirtiesContext
abstract class BatchProjectionTest {

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

    final HttpClient http = HttpClient.newHttpClient();

    /**
     * The normaliser records a claimed batch together (a few statements for the batch): one order's whole story in
     * one batch, each event naming an id only an earlier event of the batch linked, must come out as event by
     * event: one order, its state moved on by each event and not back by a late one, and one head of line.
     */
    @Test
    void oneBatchLinksAndProjectsAsEventByEventWould() throws Exception {
        String number = "HUR-" + UUID.randomUUID();
        String kit = "KT-" + UUID.randomUUID();
        String test = UUID.randomUUID().toString();
        String received = fixture("hurdle/order-received").replace("HUR-100234", number).replace("KT4P9Q21", kit);
        ProviderSigner signer = new ProviderSigner(URI.create("http://127.0.0.1:" + port));
        List<String> bodies = List.of(fixture("hurdle/order-created").replace("HUR-100234", number), received,
                withoutOrderNumber(fixture("hurdle/test-lab-accessioned").replace("KT4P9Q21", kit)
                        .replace("6a1d2f0e-3b4c-4d5e-8f90-a1b2c3d4e5f6", test)),
                withoutOrderNumber(fixture("hurdle/test-processed").replace("6a1d2f0e-3b4c-4d5e-8f90-a1b2c3d4e5f6", test)),
                // the parcel's scan again, late: kept and delivered, flagged, and the order stays where it is
                received.replace("2026-06-02T11:42:00.000Z", "2026-06-02T11:43:00.000Z"));
        List<String> eventIds = new ArrayList<>();
        for (String body : bodies) {
                HttpResponse<String> ack = http.send(signer.hurdle(body.getBytes(StandardCharsets.UTF_8)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(ack.statusCode()).as(ack.body()).isBetween(200, 202);
                eventIds.add(jdbc.queryForObject("SELECT event_id FROM inbound_event WHERE provider = 'hurdle' ORDER BY id DESC"
                        + " FETCH FIRST 1 ROWS ONLY", String.class));
            }
        camel.getRouteController().startRoute("normalise-poll");
        await().atMost(Duration.ofSeconds(30)).until(() -> jdbc.queryForObject("SELECT COUNT(*) FROM inbound_event"
                + " WHERE provider = 'hurdle' AND status = 'RECEIVED'", Integer.class) == 0);
        String key = "hurdle|" + number;
        assertThat(jdbc.queryForList("SELECT order_key, order_status, out_of_order FROM canonical_event WHERE order_key = ?"
                + " ORDER BY seq", key))
                .extracting(row -> row.get("order_key") + " " + row.get("order_status") + " " + row.get("out_of_order"))
                .containsExactly(key + " CREATED false", key + " KIT_DELIVERED false", key + " SAMPLE_AT_LAB false",
                        key + " RESULTS_READY false", key + " RESULTS_READY true");
        assertThat(jdbc.queryForList("SELECT event_id FROM canonical_event WHERE order_key = ? ORDER BY seq", String.class, key))
                .containsExactlyElementsOf(eventIds);
        assertThat(jdbc.queryForMap("SELECT status, version, last_event_id FROM order_state WHERE order_key = ?", key))
                .containsValues("RESULTS_READY", eventIds.get(3)).extractingByKey("version").hasToString("4");
        assertThat(links(key)).containsExactlyInAnyOrder("kit " + kit, "order " + number, "test " + test);
        assertThat(jdbc.queryForList("SELECT head_of_line FROM delivery WHERE sink = 'jdbc' AND order_key = ? ORDER BY"
                + " canonical_event_seq", Boolean.class, key)).containsExactly(true, false, false, false, false);
    }

    /** "kind value" of each id linked to the order. */
    List<String> links(String orderKey) {
        return jdbc.queryForList("SELECT kind, ref_value FROM order_link WHERE order_key = ? ORDER BY kind, ref_value", orderKey)
                .stream().map(row -> row.get("kind") + " " + row.get("ref_value")).toList();
    }

}
