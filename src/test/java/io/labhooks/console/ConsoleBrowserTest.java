package io.labhooks.console;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import io.labhooks.support.ProviderSigner;

/**
 * What a support person does in the console, in Debian's chromium against a box on H2 that takes real signed
 * webhooks and delivers to a real HTTP receiver: sign in, see webhooks in the overview and the lists, follow an
 * event's timeline, find an order by the clinic's externalOrderId, reveal a raw payload with a reason (audited),
 * retry a dead letter, see a payload's script shown as text, and sign out. One browser for the class.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "labhooks.pipeline.poll-interval-ms=100",
        "labhooks.admin.token=" + ConsoleBrowserTest.TOKEN,
        "labhooks.sinks.http.secret=whsec_c2luay10ZXN0LXNpZ25pbmcta2V5LTAxMjM0NTY3OA==",
        "labhooks.sinks.http.retry.initial-delay=200ms",
        "labhooks.sinks.http.retry.max-attempts=2"})
@DirtiesContext
class ConsoleBrowserTest {

    static final String TOKEN = "console-browser-test-token";

    @RegisterExtension
    static WireMockExtension receiver = WireMockExtension.newInstance()
            .options(com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig().dynamicPort())
            .build();

    @DynamicPropertySource
    static void box(DynamicPropertyRegistry registry) {
        ProviderSigner.registerSecrets(registry);
        registry.add("spring.datasource.url", () -> "jdbc:h2:mem:console-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
        registry.add("labhooks.sinks.http.url", () -> receiver.baseUrl() + "/labhooks");
    }

    static WebDriver browser;

    @LocalServerPort
    int port;
    @Autowired
    JdbcTemplate jdbc;
    final HttpClient http = HttpClient.newHttpClient();
    ProviderSigner signer;

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

    @BeforeEach
    void setUp() {
        signer = new ProviderSigner(URI.create("http://127.0.0.1:" + port));
        receiver.stubFor(post(urlEqualTo("/labhooks")).willReturn(aResponse().withStatus(200)));
    }

    @Test
    void aSupportPersonFindsWhereAnOrderIsAndWhatHappenedToIt() throws Exception {
        signIn("alice");
        Chromium.screenshot(browser, "overview-empty");
        String job = "job-" + UUID.randomUUID();
        send(signer.lola(lolaEvent("job.confirmed", job, "Jane Patient")));
        send(signer.lola(lolaEvent("job.completed", job, "Jane Patient")));
        await().atMost(Duration.ofSeconds(20)).until(() -> jdbc.queryForObject(
                "SELECT COUNT(*) FROM delivery d JOIN canonical_event c ON c.seq = d.canonical_event_seq"
                        + " WHERE c.payload LIKE ? AND d.status = 'DELIVERED' AND d.sink = 'http'", Integer.class, "%" + job + "%"), n -> n == 2);

        // The overview refreshes by itself: the lola row shows both webhooks without a reload.
        int stored = jdbc.queryForObject("SELECT COUNT(*) FROM inbound_event WHERE provider = 'lola'", Integer.class);
        waitUntil(() -> text(By.cssSelector("#providers tr[data-provider='lola'] td.received")).equals(String.valueOf(stored)));
        assertThat(browser.getCurrentUrl()).endsWith("/console/overview");
        waitUntil(() -> text(By.cssSelector("#sinks tr[data-sink='http'] td.dead")).equals("0")); // the figures may be swapped meanwhile
        waitUntil(() -> !browser.findElement(By.id("figures")).getAttribute("data-refreshed").isEmpty());
        Chromium.screenshot(browser, "overview");

        // The inbound list, filtered by provider, shows them; the newest first.
        browser.get(url("/console/webhooks"));
        browser.findElement(By.name("provider")).sendKeys("lola");
        browser.findElement(By.cssSelector("form.filters button[type=submit]")).click();
        waitUntil(() -> browser.getCurrentUrl().contains("provider=lola"));
        assertThat(text(By.id("webhooks"))).contains("job.completed", "job.confirmed");
        Chromium.screenshot(browser, "webhooks");

        // The canonical events list, and one event's timeline with its delivery attempt.
        browser.get(url("/console/events?provider=lola&type=VISIT_COMPLETED"));
        List<WebElement> links = browser.findElements(By.cssSelector("#events tbody th a"));
        assertThat(links).isNotEmpty();
        links.get(0).click();
        waitUntil(() -> browser.getCurrentUrl().contains("/console/events/"));
        String timeline = text(By.cssSelector("table.timeline"));
        assertThat(timeline).contains("received", "mapped", "delivery attempt", "DELIVERED");
        assertThat(text(By.id("canonical"))).contains("\"type\" : \"VISIT_COMPLETED\"").doesNotContain("Jane Patient");
        Chromium.screenshot(browser, "event");

        // The order, by the clinic's own externalOrderId: its state, both events in one timeline, its deliveries.
        browser.get(url("/console/orders"));
        browser.findElement(By.id("q")).sendKeys("order-" + job);
        browser.findElement(By.cssSelector("form.filters button[type=submit]")).click();
        waitUntil(() -> !browser.findElements(By.id("order-timeline")).isEmpty());
        assertThat(text(By.cssSelector("#state td.status"))).isEqualTo("SAMPLE_COLLECTED").isEqualTo(jdbc.queryForObject(
                "SELECT status FROM order_state WHERE external_order_id = ?", String.class, "order-" + job));
        assertThat(browser.findElements(By.cssSelector("#order-timeline tbody tr"))).hasSize(2);
        assertThat(text(By.id("order-timeline"))).contains("ORDER_CONFIRMED", "VISIT_COMPLETED", "http: DELIVERED");
        assertThat(text(By.id("order-deliveries"))).contains("http", "DELIVERED");
        Chromium.screenshot(browser, "order");
    }

    @Test
    void aRawPayloadIsShownOnlyWithAReasonAndTheReadIsAudited() throws Exception {
        signIn("bob");
        String job = "job-" + UUID.randomUUID();
        send(signer.lola(lolaEvent("job.confirmed", job, "Jane Revealed")));
        long id = storedWebhook(job);

        browser.get(url("/console/webhooks/" + id));
        assertThat(text(By.id("payload"))).contains("[redacted]", job).doesNotContain("Jane Revealed");
        assertThat(browser.getPageSource()).doesNotContain("Jane Revealed");
        browser.findElement(By.id("reason")).sendKeys("clinic ticket 4711: patient name check");
        browser.findElement(By.cssSelector("form.reveal button[type=submit]")).click();
        waitUntil(() -> text(By.id("payload-heading")).startsWith("Raw payload"));
        assertThat(text(By.id("payload"))).contains("Jane Revealed");
        Chromium.screenshot(browser, "webhook-raw");

        List<Map<String, Object>> audit = jdbc.queryForList(
                "SELECT actor, action, target, detail FROM admin_audit WHERE target = ?", "inbound event " + id);
        assertThat(audit).hasSize(1);
        assertThat(audit.get(0).get("action")).isEqualTo("read-raw-payload");
        assertThat((String) audit.get(0).get("actor")).startsWith("bob (console, token ").doesNotContain(TOKEN);
        assertThat(audit.get(0).get("detail")).isEqualTo("reason: clinic ticket 4711: patient name check");

        browser.get(url("/console/audit?action=read-raw-payload"));
        assertThat(text(By.id("audit"))).contains("inbound event " + id, "clinic ticket 4711");
        Chromium.screenshot(browser, "audit");
    }

    @Test
    void aScriptInAPayloadIsShownAsTextAndNeverRuns() throws Exception {
        signIn("carol");
        String job = "job-" + UUID.randomUUID();
        String script = "<script>window.labhooksXss=1</script><img src=x onerror=window.labhooksXss=2>";
        send(signer.lola(lolaEvent("job.confirmed", job, script.replace("\"", "\\\""))));
        long id = storedWebhook(job);

        browser.get(url("/console/webhooks/" + id));
        browser.findElement(By.id("reason")).sendKeys("checking an odd payload");
        browser.findElement(By.cssSelector("form.reveal button[type=submit]")).click();
        waitUntil(() -> text(By.id("payload-heading")).startsWith("Raw payload"));

        assertThat(text(By.id("payload"))).contains(script);
        assertThat(browser.findElements(By.cssSelector("#payload script, #payload img"))).isEmpty();
        assertThat(((JavascriptExecutor) browser).executeScript("return window.labhooksXss === undefined")).isEqualTo(true);
    }

    @Test
    void aDeadLetterIsRetriedFromThePageAndDelivered() throws Exception {
        signIn("dave");
        String job = "job-" + UUID.randomUUID();
        receiver.stubFor(post(urlEqualTo("/labhooks")).withRequestBody(containing(job)).atPriority(1)
                .willReturn(aResponse().withStatus(500)));
        send(signer.lola(lolaEvent("job.confirmed", job, "Jane Dead")));
        Long delivery = await().atMost(Duration.ofSeconds(20)).until(() -> jdbc.queryForList(
                "SELECT d.id FROM delivery d JOIN canonical_event c ON c.seq = d.canonical_event_seq"
                        + " WHERE c.payload LIKE ? AND d.sink = 'http' AND d.status = 'DEAD'", Long.class, "%" + job + "%"),
                l -> l.size() == 1).get(0);

        browser.get(url("/console/dead-letters?sink=http"));
        assertThat(text(By.tagName("main"))).contains("dead · http · ");
        Chromium.screenshot(browser, "dead-letters");
        receiver.stubFor(post(urlEqualTo("/labhooks")).withRequestBody(containing(job)).atPriority(1)
                .willReturn(aResponse().withStatus(200)));
        browser.findElement(By.cssSelector("button[aria-label='Retry delivery " + delivery + "']")).click();
        waitUntil(() -> text(By.tagName("main")).contains("Delivery " + delivery + " is queued again"));

        await().atMost(Duration.ofSeconds(20)).until(() -> jdbc.queryForObject(
                "SELECT status FROM delivery WHERE id = ?", String.class, delivery), "DELIVERED"::equals);
        assertThat(jdbc.queryForObject("SELECT actor FROM admin_audit WHERE action = 'retry-delivery' AND target = ?",
                String.class, "delivery " + delivery)).startsWith("dave (console, token ");
    }

    @Test
    void aGroupOfDeadLettersIsRetriedAtOnce() throws Exception {
        signIn("erin");
        String run = UUID.randomUUID().toString();
        receiver.stubFor(post(urlEqualTo("/labhooks")).withRequestBody(containing(run)).atPriority(1)
                .willReturn(aResponse().withStatus(500)));
        send(signer.lola(lolaEvent("job.confirmed", "job-a-" + run, "Jane Group")));
        send(signer.lola(lolaEvent("job.confirmed", "job-b-" + run, "Jane Group")));
        List<Long> dead = await().atMost(Duration.ofSeconds(20)).until(() -> jdbc.queryForList(
                "SELECT d.id FROM delivery d JOIN canonical_event c ON c.seq = d.canonical_event_seq"
                        + " WHERE c.payload LIKE ? AND d.sink = 'http' AND d.status = 'DEAD' ORDER BY d.id", Long.class, "%" + run + "%"),
                l -> l.size() == 2);

        browser.get(url("/console/dead-letters?sink=http"));
        receiver.stubFor(post(urlEqualTo("/labhooks")).withRequestBody(containing(run)).atPriority(1)
                .willReturn(aResponse().withStatus(200)));
        // the group holding both: its table lists their ids
        browser.findElement(By.xpath("//section[.//th[text()='" + dead.get(0) + "'] and .//th[text()='" + dead.get(1)
                + "']]//button[contains(@class,'retry-group')]")).click();
        waitUntil(() -> text(By.tagName("main")).contains("dead deliveries of the group are queued again"));

        await().atMost(Duration.ofSeconds(20)).until(() -> jdbc.queryForObject(
                "SELECT COUNT(*) FROM delivery WHERE status = 'DELIVERED' AND id IN (?, ?)", Integer.class, dead.get(0), dead.get(1)) == 2);
        for (Long id : dead) {
            assertThat(jdbc.queryForObject("SELECT actor FROM admin_audit WHERE action = 'retry-delivery' AND target = ?",
                    String.class, "delivery " + id)).startsWith("erin (console, token ");
        }
    }

    @Test
    void aReplayRunsOnlyWithTheDryRunsCountConfirmed() throws Exception {
        signIn("frank");
        String job = "job-" + UUID.randomUUID();
        send(signer.lola(lolaEvent("job.confirmed", job, "Jane Replayed")));
        send(signer.lola(lolaEvent("job.completed", job, "Jane Replayed")));
        String orderKey = "lola|" + job;
        await().atMost(Duration.ofSeconds(20)).until(() -> jdbc.queryForObject(
                "SELECT COUNT(*) FROM delivery WHERE order_key = ? AND sink = 'http' AND status = 'DELIVERED'", Integer.class, orderKey), n -> n == 2);

        dryRunRedelivery(orderKey);
        assertThat(text(By.cssSelector("#matched strong"))).isEqualTo("2");
        assertThat(browser.findElements(By.cssSelector("#sample tbody tr"))).hasSize(2);
        Chromium.screenshot(browser, "replay-dry-run");

        // A count other than the dry run's is refused and replays nothing.
        browser.findElement(By.id("confirmCount")).sendKeys("3");
        browser.findElement(By.cssSelector("form.stacked button[type=submit]")).click();
        waitUntil(() -> text(By.tagName("main")).contains("matches 2 event(s) now, not the 3 you confirmed"));
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM delivery WHERE order_key = ? AND replayed", Integer.class, orderKey)).isZero();

        dryRunRedelivery(orderKey);
        browser.findElement(By.id("confirmCount")).sendKeys("2");
        browser.findElement(By.cssSelector("form.stacked button[type=submit]")).click();
        waitUntil(() -> !browser.findElements(By.id("replayed")).isEmpty());
        assertThat(text(By.cssSelector("#replayed strong"))).isEqualTo("2");
        await().atMost(Duration.ofSeconds(20)).until(() -> jdbc.queryForObject(
                "SELECT COUNT(*) FROM delivery WHERE order_key = ? AND sink = 'http' AND replayed AND status = 'DELIVERED'",
                Integer.class, orderKey), n -> n == 2);
        assertThat(jdbc.queryForObject("SELECT actor FROM admin_audit WHERE action = 'replay-redeliver' AND detail LIKE ?",
                String.class, "%" + job + "%")).startsWith("frank (console, token ");
    }

    @Test
    void anOrderIsErasedOnlyWithItsKeyTypedIn() throws Exception {
        signIn("grace");
        String job = "job-" + UUID.randomUUID();
        send(signer.lola(lolaEvent("job.confirmed", job, "Jane Erased")));
        String orderKey = "lola|" + job;
        await().atMost(Duration.ofSeconds(20)).until(() -> jdbc.queryForObject(
                "SELECT COUNT(*) FROM delivery WHERE order_key = ? AND status <> 'DELIVERED'", Integer.class, orderKey) == 0
                && jdbc.queryForObject("SELECT COUNT(*) FROM delivery WHERE order_key = ?", Integer.class, orderKey) > 0);

        long webhook = storedWebhook(job);
        browser.get(url("/console/orders?q=" + encode("order-" + job)));
        browser.findElement(By.id("confirm-0")).sendKeys("lola|someone-else");
        browser.findElement(By.cssSelector("form.erase button[type=submit]")).click();
        waitUntil(() -> text(By.tagName("main")).contains("type the order key exactly"));
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM order_state WHERE order_key = ?", Integer.class, orderKey)).isOne();

        browser.get(url("/console/orders?q=" + encode("order-" + job)));
        browser.findElement(By.id("confirm-0")).sendKeys(orderKey);
        browser.findElement(By.cssSelector("form.erase button[type=submit]")).click();
        waitUntil(() -> !browser.findElements(By.id("erased")).isEmpty());
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM order_state WHERE order_key = ?", Integer.class, orderKey)).isZero();
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM inbound_event WHERE id = ?", Integer.class, webhook)).isZero();
        assertThat(jdbc.queryForObject("SELECT actor FROM admin_audit WHERE action = 'erase-order' AND target = ?",
                String.class, "order " + orderKey)).startsWith("grace (console, token ");
    }

    @Test
    void afterSigningOutThePagesAreRefused() throws Exception {
        signIn("erin");
        browser.findElement(By.cssSelector("form.who button[type=submit]")).click();
        waitUntil(() -> browser.getCurrentUrl().contains("/console/sign-in"));
        assertThat(text(By.tagName("main"))).contains("You are signed out.");
        assertThat(browser.manage().getCookieNamed(ConsoleGuard.SESSION_COOKIE)).isNull();

        browser.get(url("/console/orders"));
        assertThat(browser.getCurrentUrl()).endsWith("/console/sign-in");
        assertThat(browser.findElements(By.id("q"))).isEmpty();

        // A wrong token gets no session either.
        browser.findElement(By.id("operator")).sendKeys("mallory");
        browser.findElement(By.id("token")).sendKeys("not-the-token");
        browser.findElement(By.cssSelector("main button[type=submit]")).click();
        waitUntil(() -> text(By.tagName("main")).contains("That is not a current admin token."));
        assertThat(browser.manage().getCookieNamed(ConsoleGuard.SESSION_COOKIE)).isNull();
        Chromium.screenshot(browser, "sign-in");
    }

    private void dryRunRedelivery(String orderKey) {
        browser.get(url("/console/replays"));
        new org.openqa.selenium.support.ui.Select(browser.findElement(By.id("sink"))).selectByValue("http");
        browser.findElement(By.id("order")).sendKeys(orderKey);
        browser.findElement(By.cssSelector("#replay-form button[type=submit]")).click();
        waitUntil(() -> !browser.findElements(By.id("matched")).isEmpty());
    }

    private void signIn(String operator) {
        browser.manage().deleteAllCookies();
        browser.get(url("/console/sign-in"));
        browser.findElement(By.id("operator")).sendKeys(operator);
        browser.findElement(By.id("token")).sendKeys(TOKEN);
        browser.findElement(By.cssSelector("main button[type=submit]")).click();
        waitUntil(() -> browser.getCurrentUrl().endsWith("/console/overview"));
        assertThat(text(By.cssSelector("form.who strong"))).isEqualTo(operator);
    }

    private long storedWebhook(String job) {
        return await().atMost(Duration.ofSeconds(15)).until(() -> jdbc.queryForList(
                "SELECT i.id FROM inbound_event i JOIN canonical_event c ON c.inbound_event_id = i.id WHERE c.payload LIKE ?",
                Long.class, "%" + job + "%"), l -> l.size() == 1).get(0);
    }

    private void send(HttpRequest.Builder request) throws Exception {
        HttpResponse<String> answer = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(202);
    }

    private String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    private static String text(By by) {
        return browser.findElement(by).getText().strip();
    }

    private static void waitUntil(java.util.function.BooleanSupplier condition) {
        // while the next page loads, an element may be gone or, as Chromium 156 answers, "not in the document"
        new WebDriverWait(browser, Duration.ofSeconds(20)).ignoring(org.openqa.selenium.WebDriverException.class)
                .until(d -> condition.getAsBoolean());
    }

    static byte[] lolaEvent(String type, String jobId, String patientName) {
        return ("{\"type\":\"" + type + "\",\"timestamp\":\"2026-06-01T08:14:02.123Z\",\"data\":{\"id\":\"evt_" + UUID.randomUUID()
                + "\",\"jobId\":\"" + jobId + "\",\"externalOrderId\":\"order-" + jobId + "\",\"fulfillmentChannel\":\"MOBILE\","
                + "\"patientName\":\"" + patientName + "\"}}").getBytes(StandardCharsets.UTF_8);
    }

    static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
