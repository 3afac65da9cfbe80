package io.labhooks.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.labhooks.support.Installation;
import io.labhooks.support.ProviderSigner;

/**
 * The mapping preview in Debian's chromium, against a box on H2 whose mappings are a copy to edit: a Lola webhook is
 * mapped and delivered (JDBC sink), the copy's Lola mapping is edited, and the webhook's preview (reached from the
 * remap dry run) shows the changed paths with their old and new values while nothing is written but its audit line;
 * a broken edit is reported as refused, and a mapping that makes a schema-invalid event shows its one-line error.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "labhooks.pipeline.poll-interval-ms=100",
        "labhooks.admin.token=" + ConsoleMappingPreviewTest.TOKEN})
@DirtiesContext
class ConsoleMappingPreviewTest {

    static final String TOKEN = "console-preview-test-token";
    static final Installation INSTALLATION = Installation.copyOfShipped();
    static final Path LOLA = INSTALLATION.mappings().resolve("lola.jsonata");

    @DynamicPropertySource
    static void box(DynamicPropertyRegistry registry) {
        ProviderSigner.registerSecrets(registry);
        registry.add("spring.datasource.url", () -> "jdbc:h2:mem:console-preview-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
        registry.add("labhooks.routes-dir", () -> INSTALLATION.routes().toString());
        registry.add("labhooks.mappings-dir", () -> INSTALLATION.mappings().toString());
    }

    static WebDriver browser;

    @LocalServerPort
    int port;
    @Autowired
    JdbcTemplate jdbc;

    @BeforeAll
    static void startBrowser() throws Exception {
        browser = Chromium.start();
    }

    @AfterAll
    static void stopBrowser() {
        if (browser != null) {
            browser.quit();
        }
    }

    @Test
    void thePreviewShowsWhatTheEditedMappingChangesAndWritesNothing() throws Exception {
        String shipped = Files.readString(LOLA);
        String job = "job-" + UUID.randomUUID();
        HttpResponse<String> sent = HttpClient.newHttpClient().send(new ProviderSigner(URI.create("http://127.0.0.1:" + port))
                .lola(ConsoleBrowserTest.lolaEvent("job.confirmed", job, "Jane Previewed")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(sent.statusCode()).as(sent.body()).isEqualTo(202);
        long id = await().atMost(Duration.ofSeconds(20)).until(() -> jdbc.queryForList(
                "SELECT i.id FROM inbound_event i JOIN canonical_event c ON c.inbound_event_id = i.id"
                        + " JOIN delivery d ON d.canonical_event_seq = c.seq WHERE c.payload LIKE ? AND d.status = 'DELIVERED'",
                Long.class, "%" + job + "%"), l -> l.size() == 1).get(0);
        String eventId = jdbc.queryForObject("SELECT event_id FROM canonical_event WHERE inbound_event_id = ?", String.class, id);

        // The integrator's edit: MOBILE jobs get another channel, and refs.jobId a suffix.
        assertThat(shipped).containsOnlyOnce("\"MOBILE\": \"MOBILE_PHLEBOTOMY\"").containsOnlyOnce("\"jobId\": $id($d.jobId),");
        Files.writeString(LOLA, shipped.replace("\"MOBILE\": \"MOBILE_PHLEBOTOMY\"", "\"MOBILE\": \"CLINIC_OR_VENUE\"")
                .replace("\"jobId\": $id($d.jobId),", "\"jobId\": $id($d.jobId) & \"-v2\","));

        signIn("heidi");
        Map<String, Object> before = written(id);
        // From the remap dry run's sample to the webhook's page, and its preview.
        browser.get(url("/console/replays"));
        browser.findElement(By.cssSelector("input[name=action][value=remap]")).click();
        browser.findElement(By.id("order")).sendKeys("lola|" + job);
        browser.findElement(By.cssSelector("#replay-form button[type=submit]")).click();
        waitUntil(() -> !browser.findElements(By.id("matched")).isEmpty());
        assertThat(text(By.cssSelector("#matched strong"))).isEqualTo("1");
        browser.findElement(By.cssSelector("#sample a[href$='/console/webhooks/" + id + "']")).click();
        waitUntil(() -> browser.getCurrentUrl().endsWith("/console/webhooks/" + id));
        clickPreview(id);
        assertThat(text(By.id("nothing-written"))).contains("Nothing was written", "lola.jsonata");
        assertThat(browser.findElements(By.id("preview-error"))).isEmpty();
        assertThat(browser.findElements(By.id("refusal"))).isEmpty();
        assertThat(browser.findElements(By.cssSelector("#differences tbody tr"))).hasSize(2);
        assertThat(difference("channel")).containsExactly("changed", "\"MOBILE_PHLEBOTOMY\"", "\"CLINIC_OR_VENUE\"");
        assertThat(difference("refs.jobId")).containsExactly("changed", "\"" + job + "\"", "\"" + job + "-v2\"");
        assertThat(text(By.id("left-out"))).contains("eventId", "outOfOrder", "order.status");
        assertThat(text(By.id("preview-event"))).contains("\"channel\" : \"CLINIC_OR_VENUE\"").doesNotContain(eventId, "Jane Previewed");
        assertThat(text(By.id("previous-event"))).contains("\"channel\" : \"MOBILE_PHLEBOTOMY\"", eventId);
        assertThat(browser.getPageSource()).doesNotContain("Jane Previewed");
        Chromium.screenshot(browser, "mapping-preview");

        assertThat(written(id)).isEqualTo(before);
        List<Map<String, Object>> audit = jdbc.queryForList(
                "SELECT actor, action FROM admin_audit WHERE target = ?", "inbound event " + id);
        assertThat(audit).hasSize(1);
        assertThat(audit.get(0).get("action")).isEqualTo("mapping-preview");
        assertThat((String) audit.get(0).get("actor")).startsWith("heidi (console, token ").doesNotContain(TOKEN);

        // A half-written edit is refused: the preview says so and runs the version in use, like the normaliser.
        Files.writeString(LOLA, "( $events := {\"job.created\": ");
        preview(id);
        assertThat(text(By.id("refusal"))).contains("mapping file lola.jsonata does not parse", "refused",
                "stays in use", "ran the version in use");
        assertThat(difference("channel")).containsExactly("changed", "\"MOBILE_PHLEBOTOMY\"", "\"CLINIC_OR_VENUE\"");
        Chromium.screenshot(browser, "mapping-preview-refused");

        // A mapping that parses but makes an event outside the canonical schema: its error, on one line.
        Files.writeString(LOLA, "{\"type\": \"NOT_A_CANONICAL_TYPE\", \"channel\": \"MOBILE_PHLEBOTOMY\"}");
        preview(id);
        String error = text(By.id("preview-error"));
        assertThat(error).startsWith("The mapping fails:").contains("JSON validation error", "$.type").doesNotContain("\n", "\tat ", "io.labhooks.");
        assertThat(browser.findElements(By.id("preview-event"))).isEmpty();
        assertThat(browser.findElements(By.id("refusal"))).isEmpty();
        Chromium.screenshot(browser, "mapping-preview-error");
        assertThat(written(id)).isEqualTo(before);
    }

    /** Everything the pipeline writes, and the webhook's own state: a preview must change none of it. */
    private Map<String, Object> written(long id) {
        return Map.of(
                "canonical events", jdbc.queryForObject("SELECT COUNT(*) FROM canonical_event", Long.class),
                "deliveries", jdbc.queryForList("SELECT id, status, attempts FROM delivery ORDER BY id"),
                "order states", jdbc.queryForList("SELECT order_key, status, version, last_event_id FROM order_state ORDER BY order_key"),
                "feed rows", jdbc.queryForObject("SELECT COUNT(*) FROM lab_event_feed", Long.class),
                "webhook", jdbc.queryForMap("SELECT status, revision, attempts, last_error, normalised_at, next_attempt_at,"
                        + " claimed_until FROM inbound_event WHERE id = ?", id));
    }

    private void preview(long id) {
        browser.get(url("/console/webhooks/" + id));
        clickPreview(id);
    }

    private void clickPreview(long id) {
        browser.findElement(By.cssSelector("form.preview button[type=submit]")).click();
        waitUntil(() -> browser.getCurrentUrl().endsWith("/console/webhooks/" + id + "/preview")
                && !browser.findElements(By.id("nothing-written")).isEmpty());
    }

    /** The change, old value and new value shown for a JSON path. */
    private static List<String> difference(String path) {
        var row = browser.findElement(By.cssSelector("#differences tr[data-path='" + path + "']"));
        return List.of(row.findElement(By.cssSelector("td.change")).getText().strip(),
                row.findElement(By.cssSelector("td.before")).getText().strip(),
                row.findElement(By.cssSelector("td.after")).getText().strip());
    }

    private void signIn(String operator) {
        browser.manage().deleteAllCookies();
        browser.get(url("/console/sign-in"));
        browser.findElement(By.id("operator")).sendKeys(operator);
        browser.findElement(By.id("token")).sendKeys(TOKEN);
        browser.findElement(By.cssSelector("main button[type=submit]")).click();
        waitUntil(() -> browser.getCurrentUrl().endsWith("/console/overview"));
    }

    private String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    private static String text(By by) {
        return browser.findElement(by).getText().strip();
    }

    private static void waitUntil(java.util.function.BooleanSupplier condition) {
        new WebDriverWait(browser, Duration.ofSeconds(20)).ignoring(org.openqa.selenium.NoSuchElementException.class)
                .ignoring(org.openqa.selenium.StaleElementReferenceException.class)
                .until(d -> condition.getAsBoolean());
    }
}
