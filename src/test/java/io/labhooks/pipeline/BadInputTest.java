package io.labhooks.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
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
 * The "bad input battery": each kind of bad webhook, signed exactly as its provider signs, through the real HTTP
 * endpoint. Each gets its status and one-line reason, stores nothing (no inbound_event row, no dedupe key), and
 * leaves the box healthy and accepting. The log must never show a secret, a signature or a patient value.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = "labhooks.pipeline.poll-interval-ms=100")
@DirtiesContext
@ExtendWith(OutputCaptureExtension.class)
class BadInputTest {

    static final ObjectMapper JSON = new ObjectMapper();

    // Secrets during a rotation: the current one (ProviderSigner's), a previous one still listed, a retired one not.
    static final String LOLA_PREVIOUS = whsec("lola-previous-signing-key-012345");
    static final String LOLA_RETIRED = whsec("lola-retired-signing-key-0123456");
    static final String JUNCTION_RETIRED = whsec("junction-retired-signing-key-012");
    static final String FULLSCRIPT_PREVIOUS = "fullscript-previous-secret";
    static final String FULLSCRIPT_RETIRED = "fullscript-retired-secret";
    static final String HURDLE_PREVIOUS = "hurdle-previous-token";
    static final String HURDLE_RETIRED = "hurdle-retired-token";
    static final String LML_RETIRED = "lml-retired-token";

    /** Patient values in the bodies sent here: none may reach the log. */
    static final List<String> PATIENT = List.of("Philippa-Qx7", "Zanzibar-Qx7", "philippa.qx7@example.test", "+447700900417");
    static final String PATIENT_JSON = "{\"firstName\":\"Philippa-Qx7\",\"lastName\":\"Zanzibar-Qx7\","
            + "\"email\":\"philippa.qx7@example.test\",\"phone\":\"+447700900417\"}";

    /** Every secret, token and signature value this test used: none may reach the log. */
    static final Set<String> SENT_SECRETS = ConcurrentHashMap.newKeySet();

    @DynamicPropertySource
    static void box(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url",
                () -> "jdbc:h2:mem:bad-input-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=10000");
        for (String secret : ProviderSigner.secretProperties()) {
            String[] pair = secret.split("=", 2);
            SENT_SECRETS.add(pair[1]);
            String value = switch (pair[0]) {
                case "LOLA_WEBHOOK_SECRET" -> pair[1] + " " + LOLA_PREVIOUS;
                case "FULLSCRIPT_WEBHOOK_SECRET" -> pair[1] + "," + FULLSCRIPT_PREVIOUS;
                case "HURDLE_WEBHOOK_TOKEN" -> pair[1] + ", " + HURDLE_PREVIOUS;
                default -> pair[1];
            };
            registry.add(pair[0], () -> value);
        }
        SENT_SECRETS.addAll(List.of(LOLA_PREVIOUS, LOLA_RETIRED, JUNCTION_RETIRED, FULLSCRIPT_PREVIOUS, FULLSCRIPT_RETIRED,
                HURDLE_PREVIOUS, HURDLE_RETIRED, LML_RETIRED));
    }

    @LocalServerPort
    int port;
    @Autowired
    JdbcTemplate jdbc;

    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    ProviderSigner signer;

    @BeforeEach
    void signer() {
        signer = new ProviderSigner(URI.create(base()));
    }

    @AfterEach
    void theLogShowsNoSecretSignatureOrPatientValue(CapturedOutput output) {
        String log = output.getAll();
        assertThat(log).doesNotContain("StackOverflowError").doesNotContain("OutOfMemoryError");
        for (String value : SENT_SECRETS) {
            assertThat(log).as("a secret or signature in the log").doesNotContain(value);
        }
        for (String value : PATIENT) {
            assertThat(log).as("a patient value in the log").doesNotContain(value);
        }
    }

    // ---- 1 ------------------------------------------------------------------------------------------------

    @Test
    void invalidUtf8IsRefusedEvenWhenCorrectlySigned() throws Exception {
        List<Integer> before = stored();
        List<byte[]> bodies = List.of(
                withBytes(0xC3, 0x28),             // a lead byte without its continuation
                withBytes(0xFF),                   // never valid in UTF-8
                withBytes(0xC0, 0xAF),             // overlong "/"
                withBytes(0xED, 0xA0, 0x80),       // an encoded UTF-16 surrogate (CESU-8)
                withBytes(0xF4, 0x90, 0x80, 0x80), // above U+10FFFF
                withBytes(0xE2, 0x82),             // truncated sequence
                "{\"type\":\"job.created\"}".getBytes(StandardCharsets.UTF_16)); // UTF-16 with its byte order mark
        for (byte[] body : bodies) {
            assertError(send(signer.lola(body)), 400, "body is not valid UTF-8");
            assertError(send(signer.hurdle(body)), 400, "body is not valid UTF-8");
            assertError(send(signer.fullscript(body)), 400, "body is not valid UTF-8");
        }
        byte[] bom = ByteBuffer.allocate(3 + 22).put(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF})
                .put(utf8("{\"type\":\"job.created\"}")).array();
        assertError(send(signer.lola(bom)), 400, "body starts with a byte order mark");
        // UTF-16LE without a byte order mark is valid UTF-8 (NUL bytes); it must not be read as UTF-16 either
        assertError(send(signer.lola("{\"type\":\"job.created\"}".getBytes(StandardCharsets.UTF_16LE))), 400, "malformed JSON");
        assertNothingStoredSince(before);
        assertHealthyAndAccepting();
    }

    // ---- 2 ------------------------------------------------------------------------------------------------

    @Test
    void jsonThatIsNotOneObjectIsRefused() throws Exception {
        List<Integer> before = stored();
        for (String body : List.of("[1,2]", "[]", "\"job.created\"", "42", "null", "true")) {
            assertError(send(signer.lola(utf8(body))), 400, "body is not a JSON object");
            assertError(send(signer.lml(utf8(body))), 400, "body is not a JSON object");
        }
        assertError(send(signer.lola(utf8("{\"type\":\"job.created\"} {\"type\":\"job.confirmed\"}"))), 400, "malformed JSON at line 1");
        assertNothingStoredSince(before);
        assertHealthyAndAccepting();
    }

    // ---- 3 ------------------------------------------------------------------------------------------------

    @Test
    void deeplyNestedJsonIsRefusedWithoutAStackOverflow() throws Exception {
        List<Integer> before = stored();
        List<byte[]> bodies = List.of(
                utf8("[".repeat(100_000)),
                utf8("{\"a\":".repeat(100_000)),
                utf8("{\"type\":\"job.created\",\"data\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}"),
                utf8("{\"type\":\"job.created\",\"data\":" + "[".repeat(200) + "]".repeat(200) + "}"));
        for (byte[] body : bodies) {
            assertError(send(signer.lola(body)), 400, "JSON is nested deeper than 200 levels");
            assertError(send(signer.hurdle(body)), 400, "JSON is nested deeper than 200 levels");
            assertError(send(signer.junction(body)), 400, "JSON is nested deeper than 200 levels");
        }
        assertNothingStoredSince(before);
        assertHealthyAndAccepting();
    }

    // ---- 4 ------------------------------------------------------------------------------------------------

    @Test
    void numbersThatCannotBeCarriedExactlyAreRefusedOrdinaryLargeOnesAreMapped() throws Exception {
        List<Integer> before = stored();
        for (String number : List.of("9".repeat(5000), "-" + "9".repeat(101), "0." + "1".repeat(5000), "1" + "0".repeat(4999) + "e1")) {
            assertError(send(signer.lola(lolaWith("\"count\":" + number))), 400, "a JSON number is longer than 100 characters");
        }
        for (String number : List.of("1e999999", "-1e999999", "1E400", "-2.5e+309")) {
            assertError(send(signer.lola(lolaWith("\"count\":" + number))), 400, "a JSON number is out of range");
            assertError(send(signer.hurdle(lolaWith("\"count\":" + number))), 400, "a JSON number is out of range");
        }
        assertNothingStoredSince(before);

        // a 30-digit integer and a 1e300 are unusual but exact enough: accepted and mapped without error
        byte[] large = lolaWith("\"count\":123456789012345678901234567890,\"ratio\":1e300");
        assertThat(send(signer.lola(large)).statusCode()).isEqualTo(202);
        String eventId = jdbc.queryForObject("SELECT event_id FROM inbound_event WHERE provider = 'lola' ORDER BY id DESC FETCH FIRST 1 ROWS ONLY",
                String.class);
        await().atMost(Duration.ofSeconds(15)).until(() -> jdbc.queryForObject(
                "SELECT COUNT(*) FROM lab_event_feed WHERE event_id = ?", Integer.class, eventId) == 1);
        assertHealthyAndAccepting();
    }

    // ---- 5 ------------------------------------------------------------------------------------------------

    @Test
    void duplicateKeysAreRefusedAsAmbiguous() throws Exception {
        List<Integer> before = stored();
        List<byte[]> bodies = List.of(
                utf8("{\"type\":\"job.created\",\"type\":\"job.cancelled\"}"),
                utf8("{\"type\":\"job.created\",\"data\":{\"jobId\":\"job-1\",\"jobId\":\"job-2\",\"patient\":" + PATIENT_JSON + "}}"));
        for (byte[] body : bodies) {
            assertError(send(signer.lola(body)), 400, "duplicate key in a JSON object at line 1");
            assertError(send(signer.hurdle(body)), 400, "duplicate key in a JSON object");
            HttpResponse<String> response = send(signer.lml(body));
            assertError(response, 400, "duplicate key in a JSON object");
            assertThat(response.body()).as("the reason does not quote the body").doesNotContain("jobId").doesNotContain("\\\"type");
        }
        assertNothingStoredSince(before);
        assertHealthyAndAccepting();
    }

    // ---- 6 ------------------------------------------------------------------------------------------------

    @Test
    void aBodyDeclaredAsSomethingOtherThanJsonGets415() throws Exception {
        List<Integer> before = stored();
        for (String type : List.of("text/plain", "application/xml", "text/json", "application/x-www-form-urlencoded", "*/*")) {
            assertError(send(signer.lola(lolaWith("")).setHeader("Content-Type", type)), 415, "Content-Type must be application/json");
            assertError(send(signer.hurdle(lolaWith("")).setHeader("Content-Type", type)), 415, "Content-Type must be application/json");
        }
        assertError(send(signer.fullscript(lolaWith("")).setHeader("Content-Type", "text/plain")), 415, "Content-Type must be application/json");
        assertError(send(signer.lola(lolaWith("")).setHeader("Content-Type", "application/json; charset=iso-8859-1")), 415,
                "Content-Type charset must be UTF-8");
        assertError(send(signer.lola(lolaWith("")).setHeader("Content-Type", "json")), 415, "Content-Type is not a valid media type");
        assertError(send(signer.lola(lolaWith("")).header("Content-Type", "text/plain")), 415,
                "Content-Type is sent more than once with different values");
        assertError(send(signer.lola(lolaWith("")).setHeader("Content-Type", "application/x-www-form-urlencoded")
                .header("Content-Type", "application/json")), 415, "Content-Type is sent more than once with different values");

        // Fullscript's empty-body probe is answered whatever it declares, and stores nothing
        for (String type : new String[] {"text/plain", "application/x-www-form-urlencoded", null}) {
            HttpRequest.Builder probe = signer.post("fullscript", new byte[0]);
            HttpResponse<String> answer = send(type == null ? withoutContentType(probe) : probe.setHeader("Content-Type", type));
            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(answer.body()).path("challenge").asText()).isEqualTo(ProviderSigner.FULLSCRIPT_CHALLENGE);
        }
        assertNothingStoredSince(before);

        for (String type : List.of("application/json", "application/json; charset=utf-8", "APPLICATION/JSON;charset=\"UTF-8\"",
                "application/vnd.lola.event+json")) {
            assertThat(send(signer.lola(lolaWith("")).setHeader("Content-Type", type)).statusCode()).as(type).isEqualTo(202);
        }
        // no provider documents its Content-Type: a missing one is accepted, the body is still checked
        assertThat(send(withoutContentType(signer.lola(lolaWith("")))).statusCode()).isEqualTo(202);
        assertThat(send(withoutContentType(signer.lml(lolaWith("")))).statusCode()).isEqualTo(200);
        assertError(send(withoutContentType(signer.lola(utf8("[1]")))), 400, "body is not a JSON object");
        assertHealthyAndAccepting();
    }

    // ---- 7 ------------------------------------------------------------------------------------------------

    @Test
    void anEmptyBodyIsRefusedExceptAsFullscriptsProbe() throws Exception {
        List<Integer> before = stored();
        for (byte[] body : List.of(new byte[0], utf8(" \r\n\t "))) {
            assertError(send(signer.lola(body)), 400, "empty body: a JSON object is expected");
            assertError(send(signer.junction(body)), 400, "empty body: a JSON object is expected");
            assertError(send(signer.hurdle(body)), 400, "empty body: a JSON object is expected");
            assertError(send(signer.lml(body)), 400, "empty body: a JSON object is expected");
        }
        assertError(send(signer.fullscript(utf8(" "))), 400, "empty body: a JSON object is expected");
        assertThat(send(signer.fullscript(new byte[0])).statusCode()).isEqualTo(200);
        assertNothingStoredSince(before);
        assertHealthyAndAccepting();
    }

    // ---- 8 ------------------------------------------------------------------------------------------------

    @Test
    void aVerificationHeaderSentTwiceWithDifferentValuesIsRefusedNeverFirstOneWins() throws Exception {
        List<Integer> before = stored();
        byte[] body = lolaWith("");
        String otherSignature = "v1," + ProviderSigner.standardWebhooksSignature(ProviderSigner.LOLA_SECRET, "evt_other", 1, body);
        SENT_SECRETS.add(otherSignature.substring(3));

        assertError(send(signer.lola(body).header("webhook-signature", otherSignature)), 400,
                "header webhook-signature is sent more than once with different values");
        assertError(send(signer.lola(body).header("webhook-id", "evt_" + UUID.randomUUID())), 400,
                "header webhook-id is sent more than once with different values");
        assertError(send(signer.lola(body).header("webhook-timestamp", "1")), 400,
                "header webhook-timestamp is sent more than once with different values");
        assertError(send(signer.junction(body).header("svix-signature", otherSignature)), 400,
                "header svix-signature is sent more than once with different values");
        assertError(send(signer.junction(body).header("svix-id", "msg_other")), 400,
                "header svix-id is sent more than once with different values");
        assertError(send(signer.fullscript(body).header("Fullscript-Signature", "t=1,v1=00")), 400,
                "header Fullscript-Signature is sent more than once with different values");

        // whichever comes first, the genuine token or the wrong one
        assertError(send(signer.hurdle(body).header("X-Webhook-Token", "hurdle-wrong-token")), 400,
                "header X-Webhook-Token is sent more than once with different values");
        assertError(send(signer.post("hurdle", body).header("X-Webhook-Token", "hurdle-wrong-token")
                .header("X-Webhook-Token", ProviderSigner.HURDLE_TOKEN)), 400, "header X-Webhook-Token is sent more than once");
        assertError(send(signer.post("lml?token=" + ProviderSigner.LML_TOKEN + "&token=lml-wrong-token", body)), 400,
                "query parameter token is sent more than once with different values");
        assertError(send(signer.post("lml?token=lml-wrong-token&token=" + ProviderSigner.LML_TOKEN, body)), 400,
                "query parameter token is sent more than once with different values");
        assertNothingStoredSince(before);

        // the same value twice is not ambiguous
        String id = "evt_" + UUID.randomUUID();
        assertThat(send(signer.lola(body, id, Instant.now().getEpochSecond()).header("webhook-id", id)).statusCode()).isEqualTo(202);
        assertHealthyAndAccepting();
    }

    @Test
    void credentialsAreReadOnlyWhereTheProviderSendsThem() throws Exception {
        // Query strings end up in proxy and access logs: a header credential there does not count, nor LML's
        // token in a header. Each is answered as missing, and nothing is stored.
        List<Integer> before = stored();
        byte[] body = lolaWith("");

        assertError(send(signer.post("hurdle?X-Webhook-Token=" + ProviderSigner.HURDLE_TOKEN, body)), 401,
                "missing header X-Webhook-Token");
        assertError(send(signer.post("lml", body).header("token", ProviderSigner.LML_TOKEN)), 401, "missing query parameter token");

        HttpRequest lola = signer.lola(body).build();
        assertError(send(moveToQuery(lola, "webhook-signature")), 401, "missing webhook-signature header");
        assertError(send(moveToQuery(lola, "webhook-id", "webhook-timestamp", "webhook-signature")), 401, "missing webhook-id header");
        HttpRequest junction = signer.junction(fixture("junction/order-updated-completed")).build();
        assertError(send(moveToQuery(junction, "svix-signature")), 401, "missing svix-signature header");
        HttpRequest fullscript = signer.fullscript(fixture("fullscript/lab-order-updated-results-ready")).build();
        assertError(send(moveToQuery(fullscript, "Fullscript-Signature")), 401, "missing Fullscript-Signature header");
        // a query string that is not percent-encoding: refused, and the web server does not log the token it holds
        assertThat(rawPost("/webhooks/lml?token=%zz" + ProviderSigner.LML_TOKEN, lolaWith("")))
                .startsWith("HTTP/1.1 400").contains("the query string is not valid percent-encoding");
        assertNothingStoredSince(before);

        // in its own place too, the credential is all that counts: a wrong copy in the other place is ignored
        assertThat(send(signer.hurdle(lolaWith("")).uri(URI.create(base() + "/webhooks/hurdle?X-Webhook-Token=hurdle-wrong-token")))
                .statusCode()).isEqualTo(202);
        assertThat(send(signer.lml(lolaWith("")).header("token", "lml-wrong-token")).statusCode()).isEqualTo(200);
        assertThat(stored()).isEqualTo(List.of(before.get(0) + 2, before.get(1) + 2));
        assertHealthyAndAccepting();
    }

    // ---- 9 ------------------------------------------------------------------------------------------------

    @Test
    void aReplayedSignatureWithANewBodyIsRefused() throws Exception {
        HttpRequest lola = signer.lola(lolaWith("")).build();
        HttpRequest junction = signer.junction(fixture("junction/order-updated-completed")).build();
        HttpRequest fullscript = signer.fullscript(fixture("fullscript/lab-order-updated-results-ready")).build();
        assertThat(send(lola).statusCode()).isEqualTo(202);
        assertThat(send(junction).statusCode()).isEqualTo(202);
        assertThat(send(fullscript).statusCode()).isEqualTo(200);
        List<Integer> before = stored();

        assertError(send(rebuild(lola, lolaWith(""), h -> true)), 401, "webhook-signature does not match");
        assertError(send(rebuild(junction, fixture("junction/order-updated-draw-completed"), h -> true)), 401,
                "svix-signature does not match");
        assertError(send(rebuild(fullscript, fixture("fullscript/lab-order-updated-partial-results"), h -> true)), 401,
                "Fullscript-Signature does not match");
        assertNothingStoredSince(before);
        assertHealthyAndAccepting();
    }

    @Test
    void aReplayedWhiteLabelledJunctionWebhookWithAMadeUpSvixIdIsNotANewEvent() throws Exception {
        byte[] body = fixture("junction/order-updated-completed");
        HttpRequest signed = signer.junctionWhiteLabelled(body).build();
        assertThat(send(signed).statusCode()).isEqualTo(202);
        List<Integer> before = stored();

        // The unsigned svix-id would otherwise become the dedupe key, and the replay a "new" event.
        assertError(send(rebuild(signed, body, h -> true).header("svix-id", "msg_made_up_" + UUID.randomUUID())), 400,
                "svix-id and webhook-id differ");
        assertNothingStoredSince(before);
    }

    // ---- 10 -----------------------------------------------------------------------------------------------

    @Test
    void aSignatureMadeWithARotatedOutSecretIsRefused() throws Exception {
        List<Integer> before = stored();
        assertError(send(standardWebhooks("lola", "webhook-", LOLA_RETIRED, lolaWith(""))), 401, "webhook-signature does not match");
        assertError(send(standardWebhooks("junction", "svix-", JUNCTION_RETIRED, fixture("junction/order-updated-completed"))), 401,
                "svix-signature does not match");
        assertError(send(fullscriptSignedWith(FULLSCRIPT_RETIRED, fixture("fullscript/lab-order-updated-results-ready"))), 401,
                "Fullscript-Signature does not match");
        assertError(send(signer.post("hurdle", lolaWith("")).header("X-Webhook-Token", HURDLE_RETIRED)), 401,
                "header X-Webhook-Token does not match");
        assertError(send(signer.post("lml?token=" + LML_RETIRED, lolaWith(""))), 401, "query parameter token does not match");
        assertNothingStoredSince(before);

        // the secrets still listed are all accepted at once
        assertThat(send(standardWebhooks("lola", "webhook-", LOLA_PREVIOUS, lolaWith(""))).statusCode()).isEqualTo(202);
        assertThat(send(fullscriptSignedWith(FULLSCRIPT_PREVIOUS, fixture("fullscript/lab-order-updated-results-ready"))).statusCode())
                .isEqualTo(200);
        assertThat(send(signer.post("hurdle", lolaWith("")).header("X-Webhook-Token", HURDLE_PREVIOUS)).statusCode()).isEqualTo(202);
        assertHealthyAndAccepting();
    }

    // ---- 11 -----------------------------------------------------------------------------------------------

    @Test
    void aThousandConcurrentBadRequestsAreAllRefusedAndTheBoxStaysHealthy() throws Exception {
        List<Integer> before = stored();
        byte[] oversize = lolaWith("\"pad\":\"" + "x".repeat(1024 * 1024) + "\"");
        byte[] deep = utf8("[".repeat(50_000));
        byte[] duplicate = utf8("{\"event_payload\":{\"event\":{\"id\":\"e1\",\"id\":\"e2\",\"type\":\"lab_order.updated\"}}}");
        byte[] badUtf8 = withBytes(0xC3, 0x28);
        record Expected(int status, String reason) {
        }
        List<Expected> expected = new ArrayList<>();
        List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
        long started = System.nanoTime();
        for (int i = 0; i < 1000; i++) {
            HttpRequest.Builder request;
            switch (i % 8) {
                case 0 -> {
                    request = signer.lola(lolaWith("")).setHeader("webhook-signature",
                            "v1," + Base64.getEncoder().encodeToString(UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8)));
                    expected.add(new Expected(401, "webhook-signature does not match"));
                }
                case 1 -> {
                    request = signer.post("hurdle", lolaWith("")).header("X-Webhook-Token", HURDLE_RETIRED);
                    expected.add(new Expected(401, "header X-Webhook-Token does not match"));
                }
                case 2 -> {
                    request = signer.lola(utf8("{\"type\": \"job.created\", \"data\": " + PATIENT_JSON));
                    expected.add(new Expected(400, "malformed JSON"));
                }
                case 3 -> {
                    request = signer.hurdle(deep);
                    expected.add(new Expected(400, "JSON is nested deeper than 200 levels"));
                }
                case 4 -> {
                    request = signer.fullscript(duplicate);
                    expected.add(new Expected(400, "duplicate key in a JSON object"));
                }
                case 5 -> {
                    request = signer.junction(badUtf8);
                    expected.add(new Expected(400, "body is not valid UTF-8"));
                }
                case 6 -> {
                    request = signer.lml(lolaWith("")).setHeader("Content-Type", "application/xml");
                    expected.add(new Expected(415, "Content-Type must be application/json"));
                }
                default -> {
                    request = signer.lola(oversize);
                    expected.add(new Expected(413, "larger than 1048576 bytes"));
                }
            }
            HttpRequest built = request.timeout(Duration.ofSeconds(60)).build();
            remember(built);
            responses.add(http.sendAsync(built, HttpResponse.BodyHandlers.ofString()));
        }
        CompletableFuture.allOf(responses.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);

        for (int i = 0; i < responses.size(); i++) {
            HttpResponse<String> response = responses.get(i).get();
            assertThat(response.statusCode()).as("request %d: %s", i, response.body()).isEqualTo(expected.get(i).status());
            assertThat(JSON.readTree(response.body()).path("error").asText()).as("request %d", i).contains(expected.get(i).reason());
        }
        assertThat(seconds).as("1000 bad requests answered within 20 s").isLessThan(20);
        assertNothingStoredSince(before);
        assertHealthyAndAccepting();
    }

    // ---- helpers ------------------------------------------------------------------------------------------

    static String whsec(String key) {
        return "whsec_" + Base64.getEncoder().encodeToString(key.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] fixture(String name) throws Exception {
        return WebhookPipelineTest.fixture(name);
    }

    /** A Lola job.created with a patient block, a unique job id and extra members. */
    static byte[] lolaWith(String extraMembers) {
        String job = "job-" + UUID.randomUUID();
        return utf8("{\"type\":\"job.created\",\"timestamp\":\"2026-06-01T08:14:02.123Z\",\"data\":{\"id\":\"evt_" + UUID.randomUUID()
                + "\",\"jobId\":\"" + job + "\",\"externalOrderId\":\"order-" + job + "\",\"fulfillmentChannel\":\"MOBILE\""
                + ",\"patient\":" + PATIENT_JSON + (extraMembers.isEmpty() ? "" : "," + extraMembers) + "}}");
    }

    /** A Lola-like body whose one string value holds the given raw bytes. */
    static byte[] withBytes(int... bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(utf8("{\"type\":\"job.created\",\"data\":{\"patient\":" + PATIENT_JSON + ",\"note\":\"a"));
        for (int b : bytes) {
            out.write(b);
        }
        out.writeBytes(utf8("b\"}}"));
        return out.toByteArray();
    }

    HttpRequest.Builder standardWebhooks(String provider, String prefix, String secret, byte[] body) {
        String id = "evt_" + UUID.randomUUID();
        long timestamp = Instant.now().getEpochSecond();
        return signer.post(provider, body).header(prefix + "id", id).header(prefix + "timestamp", Long.toString(timestamp))
                .header(prefix + "signature", "v1," + ProviderSigner.standardWebhooksSignature(secret, id, timestamp, body));
    }

    HttpRequest.Builder fullscriptSignedWith(String secret, byte[] body) {
        String t = Long.toString(Instant.now().getEpochSecond());
        return signer.post("fullscript", body).header("Fullscript-Signature", "t=" + t + ",v1=" + ProviderSigner.fullscriptSignature(secret, t, body));
    }

    static HttpRequest.Builder withoutContentType(HttpRequest.Builder request) {
        HttpRequest built = request.build();
        HttpRequest.Builder copy = HttpRequest.newBuilder(built.uri()).POST(built.bodyPublisher().orElseThrow());
        built.headers().map().forEach((name, values) -> {
            if (!name.equalsIgnoreCase("Content-Type")) {
                values.forEach(v -> copy.header(name, v));
            }
        });
        return copy;
    }

    /** The same request (headers, signature) with another body: what an attacker replaying a signature sends. */
    static HttpRequest.Builder rebuild(HttpRequest original, byte[] body, Predicate<String> keepHeader) {
        HttpRequest.Builder copy = HttpRequest.newBuilder(original.uri()).POST(HttpRequest.BodyPublishers.ofByteArray(body));
        original.headers().map().forEach((name, values) -> {
            if (keepHeader.test(name)) {
                values.forEach(v -> copy.header(name, v));
            }
        });
        return copy;
    }

    /** The same request with the named headers sent as query parameters instead (their values remembered as secrets). */
    static HttpRequest.Builder moveToQuery(HttpRequest original, String... names) {
        List<String> moved = List.of(names);
        StringBuilder query = new StringBuilder();
        original.headers().map().forEach((name, values) -> {
            if (moved.stream().anyMatch(name::equalsIgnoreCase)) {
                for (String value : values) {
                    SENT_SECRETS.add(value);
                    query.append(query.length() == 0 ? "?" : "&").append(name).append('=')
                            .append(java.net.URLEncoder.encode(value, StandardCharsets.UTF_8));
                }
            }
        });
        HttpRequest.Builder copy = HttpRequest.newBuilder(URI.create(original.uri() + query.toString()))
                .POST(original.bodyPublisher().orElseThrow());
        original.headers().map().forEach((name, values) -> {
            if (moved.stream().noneMatch(name::equalsIgnoreCase)) {
                values.forEach(v -> copy.header(name, v));
            }
        });
        return copy;
    }

    /** A POST written by hand, for a request line java.net.http refuses to send; the whole answer as text. */
    String rawPost(String target, byte[] body) throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(utf8("POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n"));
            socket.getOutputStream().write(body);
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Remembers the signatures and tokens a request carries, so the log check can look for them. */
    static void remember(HttpRequest request) {
        request.headers().map().forEach((name, values) -> {
            for (String value : values) {
                switch (name.toLowerCase()) {
                    case "webhook-signature", "svix-signature" -> {
                        for (String entry : value.split("\\s+")) {
                            SENT_SECRETS.add(entry.startsWith("v1,") ? entry.substring(3) : entry);
                        }
                    }
                    case "fullscript-signature" -> {
                        int v1 = value.indexOf("v1=");
                        if (v1 >= 0 && value.length() - v1 > 10) {
                            SENT_SECRETS.add(value.substring(v1 + 3));
                        }
                    }
                    case "x-webhook-token" -> SENT_SECRETS.add(value);
                    default -> {
                    }
                }
            }
        });
    }

    HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return send(request.timeout(Duration.ofSeconds(30)).build());
    }

    HttpResponse<String> send(HttpRequest request) throws Exception {
        remember(request);
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    static void assertError(HttpResponse<String> response, int status, String reason) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(JSON.readTree(response.body()).path("error").asText()).contains(reason);
    }

    /** Stored webhooks and recorded dedupe keys. */
    List<Integer> stored() {
        return List.of(jdbc.queryForObject("SELECT COUNT(*) FROM inbound_event", Integer.class),
                jdbc.queryForObject("SELECT COUNT(*) FROM camel_messageprocessed", Integer.class));
    }

    void assertNothingStoredSince(List<Integer> before) {
        assertThat(stored()).as("inbound_event rows, dedupe keys").isEqualTo(before);
    }

    void assertHealthyAndAccepting() throws Exception {
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(base() + "/actuator/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(health.body()).path("status").asText()).isEqualTo("UP");
        List<Integer> before = stored();
        assertThat(send(signer.lola(WebhookPipelineTest.lolaEvent("job.confirmed", "job-" + UUID.randomUUID()))).statusCode())
                .as("a valid webhook is still accepted").isEqualTo(202);
        assertThat(stored()).isEqualTo(List.of(before.get(0) + 1, before.get(1) + 1));
    }

    String base() {
        return "http://127.0.0.1:" + port;
    }
}
