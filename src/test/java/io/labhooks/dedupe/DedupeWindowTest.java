package io.labhooks.dedupe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.labhooks.support.ProviderSigner;

/**
 * Dedupe windows through the real endpoint: each provider's route gives its window, a re-sent webhook is a
 * duplicate inside it, and once the window has passed (the clock is not moved: the stored expiry is, as if the
 * days had gone by) the sweep releases the key and the very same body is a new event, mapped and delivered under
 * an event id of its own. Runs on H2 and on PostgreSQL.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = "labhooks.pipeline.poll-interval-ms=100")
@DirtiesContext
abstract class DedupeWindowTest {

    @DynamicPropertySource
    static void secrets(DynamicPropertyRegistry registry) {
        ProviderSigner.registerSecrets(registry);
    }

    @LocalServerPort
    int port;
    @Autowired
    JdbcTemplate jdbc;
    @Autowired
    DedupeWindows windows;

    final HttpClient http = HttpClient.newHttpClient();
    ProviderSigner signer;

    @BeforeEach
    void signer() {
        signer = new ProviderSigner(URI.create("http://127.0.0.1:" + port));
    }

    @ParameterizedTest(name = "{0} keeps its dedupe key for {1}")
    @CsvSource({
            "lola,       P7D,  lola/job-confirmed",
            "hurdle,     P2D,  hurdle/phlebotomy-appointment-scheduled",
            "lml,        P14D, lml/order-shipped",
            "junction,   P61D, junction/order-created",
            "fullscript, P31D, fullscript/order-placed-with-lab-type"})
    void eachProviderKeepsItsKeyForItsWindow(String provider, String window, String fixture) throws Exception {
        long before = count(provider);
        assertThat(send(signer.signed(provider, fixture(fixture))).statusCode()).isBetween(200, 202);
        Map<String, Object> row = jdbc.queryForMap("""
                SELECT received_at, dedupe_expires_at FROM inbound_event WHERE provider = ? ORDER BY id DESC FETCH FIRST 1 ROWS ONLY""", provider);
        assertThat(count(provider)).isEqualTo(before + 1);
        assertThat(Duration.between(offset(row.get("received_at")), offset(row.get("dedupe_expires_at"))))
                .isEqualTo(Duration.parse(window));
    }

    @Test
    void theSameBodyAfterItsWindowIsANewEventWithAnEventIdOfItsOwn() throws Exception {
        byte[] body = fixture("hurdle/phlebotomy-appointment-rescheduled");
        assertThat(send(signer.hurdle(body)).statusCode()).isEqualTo(202);
        String key = jdbc.queryForObject("SELECT dedupe_key FROM inbound_event WHERE provider = 'hurdle' ORDER BY id DESC FETCH FIRST 1 ROWS ONLY", String.class);
        assertThat(send(signer.hurdle(body)).statusCode()).as("a re-send within the window").isEqualTo(202);
        assertThat(rows(key)).as("stored once within the window").hasSize(1);
        assertThat(windows.releaseExpired()).as("nothing has expired yet").isZero();

        // Two days later, as far as the stored expiry knows.
        jdbc.update("UPDATE inbound_event SET dedupe_expires_at = ? WHERE dedupe_key = ?", OffsetDateTime.now().minusMinutes(1), key);
        assertThat(windows.releaseExpired()).as("keys released").isEqualTo(1);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM camel_messageprocessed WHERE message_id = ?", Integer.class, key)).isZero();

        assertThat(send(signer.hurdle(body)).statusCode()).as("the same body after the window").isEqualTo(202);
        assertThat(send(signer.hurdle(body)).statusCode()).as("and re-sent again at once").isEqualTo(202);
        List<Map<String, Object>> stored = rows(key);
        assertThat(stored).as("stored again once, as a new event").hasSize(2);
        assertThat(stored.get(1).get("event_id")).isEqualTo(EventIds.generation(key, 2)).isNotEqualTo(stored.get(0).get("event_id"));
        assertThat(stored.get(0).get("dedupe_expires_at")).as("the first one's key is released").isNull();
        assertThat(stored.get(1).get("dedupe_expires_at")).as("the new one has a window of its own").isNotNull();

        // Both are mapped and delivered into the feed, each under its own event id.
        await().atMost(Duration.ofSeconds(20)).until(() -> jdbc.queryForObject(
                "SELECT COUNT(*) FROM lab_event_feed WHERE event_id IN (?, ?)", Integer.class,
                stored.get(0).get("event_id"), stored.get(1).get("event_id")) == 2);
    }

    private List<Map<String, Object>> rows(String key) {
        return jdbc.queryForList("SELECT id, event_id, status, dedupe_expires_at FROM inbound_event WHERE dedupe_key = ? ORDER BY id", key);
    }

    private long count(String provider) {
        return jdbc.queryForObject("SELECT COUNT(*) FROM inbound_event WHERE provider = ?", Long.class, provider);
    }

    private static OffsetDateTime offset(Object value) {
        return value instanceof OffsetDateTime odt ? odt : ((java.sql.Timestamp) value).toInstant().atOffset(java.time.ZoneOffset.UTC);
    }

    static byte[] fixture(String name) throws IOException {
        return Files.readAllBytes(Path.of("mappings/tests/" + name + ".input.json"));
    }

    HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
