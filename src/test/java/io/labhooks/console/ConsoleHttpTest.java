package io.labhooks.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
 * The console's security over plain HTTP: its headers, and that nothing changes without the page's CSRF token
 * or from another site, on a box on H2 with a real signed webhook stored.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "labhooks.pipeline.poll-interval-ms=100",
        "labhooks.admin.token=" + ConsoleHttpTest.TOKEN})
@DirtiesContext
class ConsoleHttpTest {

    static final String TOKEN = "console-http-test-token";
    static final Pattern CSRF = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"");

    @DynamicPropertySource
    static void box(DynamicPropertyRegistry registry) {
        ProviderSigner.registerSecrets(registry);
        registry.add("spring.datasource.url", () -> "jdbc:h2:mem:console-http-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    }

    @LocalServerPort
    int port;
    @Autowired
    JdbcTemplate jdbc;
    final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

    @Test
    void everyConsoleAnswerCarriesAStrictContentSecurityPolicyAndIsNotCached() throws Exception {
        for (String path : List.of("/console/sign-in", "/console/overview", "/console/console.js")) {
            HttpResponse<String> answer = get(path, null);
            assertThat(answer.headers().firstValue("Content-Security-Policy")).as(path).hasValue(ConsoleHeaders.CSP);
            assertThat(answer.headers().firstValue("Cache-Control")).as(path).hasValue("no-store");
            assertThat(answer.headers().firstValue("X-Frame-Options")).as(path).hasValue("DENY");
        }
        assertThat(ConsoleHeaders.CSP).contains("default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'")
                .doesNotContain("unsafe-inline");
        // Not signed in: the overview sends the operator to sign in.
        HttpResponse<String> overview = get("/console/overview", null);
        assertThat(overview.statusCode()).isEqualTo(302);
        assertThat(overview.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/console/sign-in"));
        // The session cookie is HttpOnly and SameSite=Strict.
        String setCookie = signInAnswer().headers().allValues("Set-Cookie").stream()
                .filter(c -> c.startsWith(ConsoleGuard.SESSION_COOKIE + "=")).findFirst().orElseThrow();
        assertThat(setCookie).contains("HttpOnly", "SameSite=Strict", "Path=/console");
    }

    @Test
    void aStateChangeWithoutTheCsrfTokenOrFromAnotherSiteIsRefusedAndNothingIsAudited() throws Exception {
        long id = storeAWebhook();
        String session = sessionCookie();
        String csrf = csrfOf(get("/console/webhooks/" + id, session).body());
        String reveal = "/console/webhooks/" + id + "/raw";

        HttpResponse<String> without = post(reveal, session, "reason=curious", null);
        HttpResponse<String> wrong = post(reveal, session, "reason=curious&_csrf=forged", null);
        HttpResponse<String> crossSite = post(reveal, session, "reason=curious&_csrf=" + csrf, "cross-site");
        assertThat(without.statusCode()).isEqualTo(403);
        assertThat(without.body()).contains("lacks the page&#39;s CSRF token");
        assertThat(wrong.statusCode()).isEqualTo(403);
        assertThat(crossSite.statusCode()).isEqualTo(403);
        assertThat(jdbc.queryForObject("SELECT COUNT(*) FROM admin_audit", Integer.class)).isZero();
        // Sign-in too needs its form's token (no login CSRF).
        assertThat(post("/console/sign-in", null, "operator=alice&token=" + TOKEN, null).statusCode()).isEqualTo(403);

        // With the token it is done, and audited.
        HttpResponse<String> done = post(reveal, session, "reason=ticket+42&_csrf=" + csrf, "same-origin");
        assertThat(done.statusCode()).isEqualTo(200);
        assertThat(jdbc.queryForObject("SELECT detail FROM admin_audit WHERE action = 'read-raw-payload'", String.class))
                .isEqualTo("reason: ticket 42");
    }

    @Test
    void aWebhookPageSaysWhatWasFetchedForItAndWhy() throws Exception {
        long id = storeAWebhook();
        await().atMost(java.time.Duration.ofSeconds(20)).until(() -> "NORMALISED".equals(
                jdbc.queryForObject("SELECT status FROM inbound_event WHERE id = ?", String.class, id)));
        String session = sessionCookie();
        assertThat(get("/console/webhooks/" + id, session).body()).as("nothing fetched: nothing said").doesNotContain("id=\"fetch\"");

        // as the fetch stage leaves a webhook it gave up on (Lola's API is not configured in this test)
        jdbc.update("UPDATE inbound_event SET fetch_outcome = 'WEBHOOK_ONLY', fetch_note = ? WHERE id = ?",
                "fetch budget of PT1H spent; booking: answered 503", id);
        assertThat(get("/console/webhooks/" + id, session).body())
                .contains("Fetched from the provider's API", "WEBHOOK_ONLY: fetch budget of PT1H spent; booking: answered 503");
        jdbc.update("UPDATE inbound_event SET status = 'REJECTED', fetch_outcome = 'REJECTED', fetch_note = ? WHERE id = ?",
                "booking: the lola API does not know it (404 for /bookings/x)", id);
        assertThat(get("/console/webhooks/" + id, session).body()).contains("REJECTED: booking: the lola API does not know it");
    }

    private long storeAWebhook() throws Exception {
        String job = "job-" + UUID.randomUUID();
        HttpResponse<String> sent = http.send(new ProviderSigner(URI.create("http://127.0.0.1:" + port))
                .lola(ConsoleBrowserTest.lolaEvent("job.confirmed", job, "Jane Patient")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(sent.statusCode()).isEqualTo(202);
        return jdbc.queryForObject("SELECT MAX(id) FROM inbound_event", Long.class);
    }

    private HttpResponse<String> signInAnswer() throws Exception {
        HttpResponse<String> page = get("/console/sign-in", null);
        String signInCookie = page.headers().allValues("Set-Cookie").get(0).split(";")[0];
        return post("/console/sign-in", signInCookie, "operator=alice&token=" + TOKEN + "&_csrf=" + csrfOf(page.body()), "same-origin");
    }

    private String sessionCookie() throws Exception {
        HttpResponse<String> signedIn = signInAnswer();
        assertThat(signedIn.statusCode()).isEqualTo(302);
        return signedIn.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith(ConsoleGuard.SESSION_COOKIE + "="))
                .findFirst().orElseThrow().split(";")[0];
    }

    private static String csrfOf(String page) {
        Matcher m = CSRF.matcher(page);
        assertThat(m.find()).as("a CSRF field in the page").isTrue();
        return m.group(1);
    }

    private HttpResponse<String> get(String path, String cookie) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(20));
        if (cookie != null) {
            request.header("Cookie", cookie);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, String cookie, String form, String fetchSite) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Content-Type", "application/x-www-form-urlencoded").timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.ofString(form));
        if (cookie != null) {
            request.header("Cookie", cookie);
        }
        if (fetchSite != null) {
            request.header("Sec-Fetch-Site", fetchSite);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
