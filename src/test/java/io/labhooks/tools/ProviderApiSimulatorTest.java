package io.labhooks.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.StreamSupport;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.ValidationMessage;

import io.labhooks.support.JunctionOpenApi;

/**
 * Runs tools/ProviderApiSimulator.java as a newcomer does, as a separate process started with the JDK's own java
 * launcher, and checks what the box will rely on: each provider's credential and error shapes, LML's 204
 * followed by results, LML paging, lifecycles that move on without any webhook, and Junction bodies that
 * validate against Junction's OpenAPI schemas.
 *
 * Each test starts its own simulator with one-second steps. A resource's clock starts the first time it is
 * served, so each test sees every resource at its first step no matter which tests ran before.
 */
class ProviderApiSimulatorTest {

    private static final Path SIMULATOR = Path.of("tools", "ProviderApiSimulator.java");
    /** Beside the project, as in the brief's layout: fail loudly when it is not there, never skip. */
    /** Compiling the single-file program takes a few seconds, more on a busy machine. */
    private static final Duration STARTUP = Duration.ofSeconds(90);
    private static final Duration LIFECYCLE = Duration.ofSeconds(30);
    private static final Pattern BANNER = Pattern.compile("Provider API simulator on http://localhost:(\\d+)");

    /** Lola gets two keys from its variable (rotation); the other four fall back to their demo keys. */
    private static final String LOLA_KEY_1 = "sim-test-lola-key-one";
    private static final String LOLA_KEY_2 = "sim-test-lola-key-two";
    private static final String[] LOLA = {"X-API-Key", LOLA_KEY_2, "X-API-Version", "1"};
    private static final String[] HURDLE = {"X-API-Key", "demo-hurdle-api-key"};
    private static final String[] LML = {"Authorization", "Bearer demo-lml-api-key"};
    private static final String[] JUNCTION = {"x-vital-api-key", "demo-junction-api-key"};
    private static final String[] FULLSCRIPT = {"Authorization", "Bearer demo-fullscript-api-key"};
    private static final List<String> KEYS = List.of(LOLA_KEY_1, LOLA_KEY_2, "demo-lola-api-key", "demo-hurdle-api-key",
            "demo-lml-api-key", "demo-junction-api-key", "demo-fullscript-api-key");

    private static final String JUNCTION_ORDER = "84d96c03-6b1c-4226-ad8f-ef44a6bc08af";
    private static final String JUNCTION_REDRAW = "1ed9c8d7-e1b4-4d61-8123-0f99de5ae99a";
    private static final String FULLSCRIPT_LAB_ORDER = "a0b50c8d-711e-43fa-85bb-5de80365aa10";
    private static final List<String> FULLSCRIPT_LIFECYCLE =
            List.of("purchased", "schedule_appointment", "upcoming_appointment", "processing", "results_ready");

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** Started by the first request of each test, so a test that needs none starts none. */
    private Simulator simulator;

    private Simulator simulator() {
        if (simulator == null) {
            simulator = Simulator.start(Path.of("").toAbsolutePath(), SIMULATOR,
                    Map.of("LOLA_API_KEY", LOLA_KEY_1 + ", " + LOLA_KEY_2));
        }
        return simulator;
    }

    @AfterEach
    void stopSimulatorAndCheckItsOutput() {
        if (simulator == null) {
            return;
        }
        simulator.close();
        String output = simulator.output();
        for (String key : KEYS) {
            if (!key.startsWith("demo-")) {
                assertThat(output).as("the simulator's output must never show a key").doesNotContain(key);
            }
        }
        // The demo keys are shown once, in the banner, so a newcomer can copy them; never in a request line.
        assertThat(output.lines().filter(line -> line.matches("\\d\\d:\\d\\d:\\d\\d .*")))
                .noneMatch(line -> KEYS.stream().anyMatch(line::contains));
    }

    @Test
    void everyProviderAsksForItsOwnCredentialAndAnswersWithItsOwn401() throws Exception {
        String booking = "/lola/api/integration/v1/bookings/ckxyz123";
        assertAnswer(get(booking), 401, "{\"error\":\"UNAUTHORIZED\"}");
        assertAnswer(get(booking, "X-API-Key", "demo-lola-api-key", "X-API-Version", "1"), 401,
                "{\"error\":\"UNAUTHORIZED\"}"); // the variable is set, so the demo key is not accepted
        assertAnswer(get(booking, "X-API-Key", LOLA_KEY_2), 400, "{\"error\":\"VALIDATION\"}"); // no X-API-Version
        assertThat(get(booking, "X-API-Key", LOLA_KEY_1, "X-API-Version", "1").statusCode()).isEqualTo(200);
        assertThat(get(booking, LOLA).statusCode()).isEqualTo(200);

        String test = "/hurdle/tests/v2/6a1d2f0e-3b4c-4d5e-8f90-a1b2c3d4e5f6";
        assertAnswer(get(test), 401, "{\"message\":\"Unauthorized\"}");
        assertAnswer(get(test, "X-API-Key", "wrong"), 401, "{\"message\":\"Unauthorized\"}");
        assertThat(get(test, HURDLE).statusCode()).isEqualTo(200);

        String registration = "/lml/api/test_registration/1234-5678";
        HttpResponse<String> lml = get(registration);
        assertAnswer(lml, 401, "{\"message\":\"Token is not valid.\"}");
        assertThat(lml.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
        assertAnswer(get(registration, "Authorization", "Bearer wrong"), 401, "{\"message\":\"Token is not valid.\"}");
        assertAnswer(get(registration, "X-API-Key", "demo-lml-api-key"), 401, "{\"message\":\"Token is not valid.\"}");
        assertThat(get(registration, LML).statusCode()).isEqualTo(200);

        String order = "/junction/v3/order/" + JUNCTION_ORDER;
        assertAnswer(get(order), 401, "{\"detail\":\"Not authenticated\"}");
        assertAnswer(get(order, "Authorization", "Bearer demo-junction-api-key"), 401, "{\"detail\":\"Not authenticated\"}");
        assertThat(get(order, JUNCTION).statusCode()).isEqualTo(200);

        String labOrder = "/fullscript/api/clinic/labs/orders/" + FULLSCRIPT_LAB_ORDER;
        HttpResponse<String> fullscript = get(labOrder);
        assertAnswer(fullscript, 401, "{\"error\":\"The access token is invalid.\"}");
        assertThat(fullscript.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
        assertAnswer(get(labOrder, "Authorization", "Bearer demo-lml-api-key"), 401,
                "{\"error\":\"The access token is invalid.\"}");
        assertThat(get(labOrder, FULLSCRIPT).statusCode()).isEqualTo(200);

        assertThat(simulator().output()).contains("GET " + booking + " 401", "GET " + labOrder + " 200");
    }

    @Test
    void unknownIdsAre404InEachProvidersShape() throws Exception {
        assertAnswer(get("/lola/api/integration/v1/bookings/no-such-job", LOLA), 404, "{\"error\":\"NOT_FOUND\"}");
        assertAnswer(get("/hurdle/tests/v2/no-such-test", HURDLE), 404, "{\"message\":\"Test not found.\"}");
        assertAnswer(get("/hurdle/orders/v3/no-such-order", HURDLE), 404, "{\"message\":\"Order not found.\"}");
        assertAnswer(get("/hurdle/phlebotomy/v1/appointments/no-such-appointment", HURDLE), 404,
                "{\"message\":\"Appointment not found.\"}");
        assertAnswer(get("/lml/api/test_registration/no-such-registration", LML), 404, "{\"message\":\"Not found.\"}");
        assertAnswer(get("/lml/api/lab_result/no-such-registration/test_registration", LML), 404,
                "{\"message\":\"Not found.\"}");
        assertAnswer(get("/lml/api/order/no-such-order/", LML), 404, "{\"message\":\"Not found.\"}");
        assertAnswer(get("/junction/v3/order/00000000-0000-4000-8000-000000000000", JUNCTION), 404,
                "{\"detail\":\"Order not found.\"}");
        assertAnswer(get("/fullscript/api/clinic/labs/orders/no-such-lab-order", FULLSCRIPT), 404,
                "{\"error\":\"Not found\"}");

        // Junction's order_id is a UUID path parameter: the numeric id of an example webhook fails validation.
        HttpResponse<String> numeric = get("/junction/v3/order/84001", JUNCTION);
        assertThat(numeric.statusCode()).isEqualTo(422);
        JsonNode detail = JSON.readTree(numeric.body()).get("detail").get(0);
        assertThat(detail.get("type").asText()).isEqualTo("uuid_parsing");
        assertThat(detail.get("loc").toString()).isEqualTo("[\"path\",\"order_id\"]");
        assertValid("ValidationError", detail);

        assertThat(get("/nowhere", LML).statusCode()).isEqualTo(404);
        HttpResponse<String> post = client.send(HttpRequest.newBuilder(simulator().uri("/lml/api/order/98765"))
                .headers(LML).POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("Allow")).hasValue("GET");
    }

    @Test
    void lmlAnswers204UntilTheRegistrationsResultsAreReadyThenTheResults() throws Exception {
        String results = "/lml/api/lab_result/12345678/test_registration";
        // The first request starts the registration's clock; its results are ready two steps (seconds) later.
        JsonNode pending = json(get("/lml/api/test_registration/12345678/", LML));
        HttpResponse<String> first = get(results, LML);
        assertThat(pending.get("results_ready").asBoolean()).isFalse();
        assertThat(pending.get("status").asText()).isEqualTo("awaiting_patient"); // the new docs' status, not in the SDK enum
        assertThat(first.statusCode()).isEqualTo(204);
        assertThat(first.body()).isEmpty();

        await().atMost(LIFECYCLE).pollInterval(Duration.ofMillis(200)).until(() -> get(results, LML).statusCode() == 200);

        JsonNode array = json(get(results, LML));
        assertThat(array.isArray()).isTrue();
        assertThat(array).isNotEmpty();
        for (JsonNode result : array) {
            assertThat(fieldNames(result)).containsExactly(
                    "id", "name", "code", "value", "min_range", "max_range", "comment", "successful", "biomarker_id");
            assertThat(result.get("value").isTextual()).as("LML sends values as strings").isTrue();
        }
        assertThat(array.get(0).get("code").asText()).isEqualTo("TPR");
        assertThat(json(get("/lml/api/test_registration/12345678/lab_results/", LML))).isEqualTo(array);

        JsonNode ready = json(get("/lml/api/test_registration/12345678", LML));
        assertThat(ready.get("results_ready").asBoolean()).isTrue();
        assertThat(ready.get("status").asText()).isEqualTo("success");
        assertThat(ready.get("lab_id").asText()).isEqualTo("123456");
        assertThat(json(get("/lml/api/test_registration/LML-CD5678", LML)).get("id").asText())
                .as("a TRF code finds the registration too").isEqualTo("12345678");
        assertThat(json(get("/lml/api/order/98765", LML)).get("test_registrations").get(0).get("id").asText())
                .isEqualTo("12345678");

        assertThat(simulator().output()).contains("GET " + results + " 204  step ", "GET " + results + " 200  step 3/3 success");
    }

    @Test
    void lmlPagesTheRegistrationListAndRedirectsTheUrlWithoutTheTrailingSlash() throws Exception {
        HttpResponse<String> redirect = get("/lml/api/test_registration?page=1&limit=4", LML);
        assertThat(redirect.statusCode()).isEqualTo(301);
        assertThat(redirect.headers().firstValue("Location")).hasValue("/lml/api/test_registration/?page=1&limit=4");

        JsonNode first = json(get(redirect.headers().firstValue("Location").orElseThrow(), LML));
        assertThat(first.get("nr_of_results").asInt()).isEqualTo(6);
        assertThat(first.get("current_page").asInt()).isEqualTo(1);
        assertThat(first.get("nr_of_pages").asInt()).isEqualTo(2);
        assertThat(first.get("results_per_page").asInt()).isEqualTo(4);
        assertThat(first.get("next_page").asInt()).isEqualTo(2);
        assertThat(first.get("items")).hasSize(4);

        JsonNode second = json(get("/lml/api/test_registration/?page=2&limit=4", LML));
        assertThat(second.get("current_page").asInt()).isEqualTo(2);
        assertThat(second.get("next_page").isNull()).isTrue();
        assertThat(second.get("items")).hasSize(2);
        assertThat(json(get("/lml/api/test_registration/?page=3&limit=4", LML)).get("items")).isEmpty();
        assertThat(json(get("/lml/api/test_registration/", LML)).get("results_per_page").asInt())
                .as("100 per page unless asked").isEqualTo(100);
        assertThat(get("/lml/api/test_registration/?page=0", LML).statusCode()).isEqualTo(400);

        Set<String> listed = new HashSet<>();
        first.get("items").forEach(item -> listed.add(item.get("id").asText()));
        second.get("items").forEach(item -> listed.add(item.get("id").asText()));
        assertThat(listed).containsExactlyInAnyOrder("1234-5678", "12345678", "5555-6666", "9876-5432",
                "e23e2d33-5ab4-4efc-8e94-7e914b5f99df", "eae987c4-32d6-42b9-8c9f-524a78a1b507");

        // The order links its registrations (the old docs' list), and the retest points at the original.
        JsonNode order = json(get("/lml/api/order/e23e2d33-5ab4-4efc-8e94-7e914b5f99df/", LML));
        assertThat(order.get("shipping_status").asText()).isEqualTo("shipped");
        List<String> linked = new ArrayList<>();
        for (JsonNode entry : order.get("test_registrations")) {
            linked.add(entry.get("id").asText());
            assertThat(json(get("/lml/api/test_registration/" + entry.get("id").asText() + "/", LML))
                    .get("trf_code").asText()).isEqualTo(entry.get("trf_code").asText());
        }
        assertThat(linked).containsExactly("1234-5678", "eae987c4-32d6-42b9-8c9f-524a78a1b507",
                "e23e2d33-5ab4-4efc-8e94-7e914b5f99df", "5555-6666");
        assertThat(json(get("/lml/api/test_registration/5555-6666", LML)).get("parent_id").asText())
                .isEqualTo("e23e2d33-5ab4-4efc-8e94-7e914b5f99df");
        await().atMost(LIFECYCLE).pollInterval(Duration.ofMillis(200)).until(() ->
                json(get("/lml/api/order/e23e2d33-5ab4-4efc-8e94-7e914b5f99df", LML)).get("shipping_status").asText()
                        .equals("delivered"));
    }

    @Test
    void fullscriptLabOrderAdvancesToProcessingWithNoWebhook() throws Exception {
        String path = "/fullscript/api/clinic/labs/orders/" + FULLSCRIPT_LAB_ORDER;
        JsonNode first = json(get(path, FULLSCRIPT)).get("lab_order");
        assertThat(first.get("id").asText()).isEqualTo(FULLSCRIPT_LAB_ORDER);
        assertThat(first.get("status").asText()).isEqualTo("purchased");
        assertThat(first.get("state").asText()).isEqualTo("purchased");

        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        await().atMost(LIFECYCLE).pollInterval(Duration.ofMillis(200)).until(() -> {
            JsonNode labOrder = json(get(path, FULLSCRIPT)).get("lab_order");
            assertThat(labOrder.get("state").asText()).isEqualTo(labOrder.get("status").asText());
            seen.add(labOrder.get("status").asText());
            return labOrder.get("status").asText().equals("processing");
        });
        List<Integer> positions = seen.stream().map(FULLSCRIPT_LIFECYCLE::indexOf).toList();
        assertThat(positions).doesNotContain(-1).isSorted();

        JsonNode processing = json(get(path, FULLSCRIPT)).get("lab_order");
        assertThat(Instant.parse(processing.get("updated_at").asText()))
                .isAfter(Instant.parse(first.get("updated_at").asText()));
    }

    @Test
    void junctionBodiesValidateAgainstJunctionsOwnSchemas() throws Exception {
        JunctionOpenApi.errors("ClientFacingOrder", JSON.createObjectNode()); // schemas loaded before the simulator starts, so no slow first load falls inside a step
        String order = "/junction/v3/order/" + JUNCTION_ORDER;
        String redraw = "/junction/v3/order/" + JUNCTION_REDRAW;
        // The first step of the transaction, collected before any assertion: the shared clock moves every second.
        JsonNode body = json(get(order, JUNCTION));
        JsonNode partial = json(get(order + "/result", JUNCTION));
        HttpResponse<String> noPdf = get(order + "/result/pdf", JUNCTION);
        JsonNode appointment = json(get(order + "/phlebotomy/appointment", JUNCTION));
        JsonNode redrawAppointment = json(get(redraw + "/phlebotomy/appointment", JUNCTION));
        JsonNode redrawBody = json(get(redraw, JUNCTION));
        HttpResponse<String> noResult = get(redraw + "/result", JUNCTION);

        assertValid("ClientFacingOrder", body);
        assertThat(body.get("last_event").get("status").asText()).isEqualTo("sample_with_lab.at_home_phlebotomy.partial_results");
        assertThat(body.get("order_transaction").get("orders")).hasSize(2);
        assertValid("LabResultsRaw", partial);
        assertThat(partial.get("metadata").get("status").asText()).isEqualTo("partial");
        assertThat(noPdf.statusCode()).as("no PDF for partial results").isEqualTo(404);
        assertValid("ClientFacingAppointment", appointment);
        assertValid("ClientFacingAppointment", redrawAppointment);
        assertThat(redrawAppointment.get("id").asText()).isEqualTo("06c2c65b-74a0-4f25-a4a9-44f796296355");
        assertThat(redrawAppointment.get("event_status").asText()).isEqualTo("scheduled");
        assertValid("ClientFacingOrder", redrawBody);
        assertThat(redrawBody.get("origin").asText()).isEqualTo("redraw");
        assertThat(noResult.statusCode()).as("no results before the draw").isEqualTo(404);

        await().atMost(LIFECYCLE).pollInterval(Duration.ofMillis(200)).until(() ->
                json(get(order + "/result", JUNCTION)).get("metadata").get("status").asText().equals("final"));
        assertValid("LabResultsRaw", json(get(order + "/result", JUNCTION)));
        assertValid("ClientFacingOrder", json(get(order, JUNCTION)));
        HttpResponse<String> pdf = get(order + "/result/pdf", JUNCTION);
        assertThat(pdf.headers().firstValue("Content-Type")).hasValue("application/pdf");
        assertThat(pdf.body()).startsWith("%PDF-");

        await().atMost(LIFECYCLE).pollInterval(Duration.ofMillis(200)).until(() -> {
            HttpResponse<String> result = get(redraw + "/result", JUNCTION);
            return result.statusCode() == 200 && json(result).get("metadata").get("status").asText().equals("final");
        });
        JsonNode done = assertValid("ClientFacingOrder", json(get(redraw, JUNCTION)));
        assertThat(done.get("order_transaction").get("status").asText()).isEqualTo("completed");
        assertValid("LabResultsRaw", json(get(redraw + "/result", JUNCTION)));
        assertValid("ClientFacingAppointment", json(get(redraw + "/phlebotomy/appointment", JUNCTION)));
        assertValid("GetOrdersResponse", json(get("/junction/v3/orders", JUNCTION)));
    }

    @Test
    void theSchemaCheckIsNotVacuous() throws Exception {
        ObjectNode order = (ObjectNode) json(get("/junction/v3/order/" + JUNCTION_ORDER, JUNCTION));
        order.remove("last_event");
        assertThat(errors("ClientFacingOrder", order)).as("a required field is missing").isNotEmpty();
        ObjectNode badDate = (ObjectNode) json(get("/junction/v3/order/" + JUNCTION_ORDER, JUNCTION));
        badDate.put("updated_at", "yesterday");
        assertThat(errors("ClientFacingOrder", badDate)).as("formats are asserted").isNotEmpty();
    }

    @Test
    void junctionListsTheOrdersChangedSinceAWatermarkPageByPage() throws Exception {
        JunctionOpenApi.errors("ClientFacingOrder", JSON.createObjectNode()); // load the schemas first
        // Timestamps are served to the second, so the watermark is too.
        Instant watermark = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(1);
        String since = "/junction/v3/orders?updated_start_date=" + watermark + "&size=1";
        // Both orders' first step, collected before any assertion: the shared clock moves every second.
        JsonNode page1 = json(get(since + "&page=1", JUNCTION));
        JsonNode page2 = json(get(since + "&page=2", JUNCTION));
        JsonNode page3 = json(get(since + "&page=3", JUNCTION));

        for (JsonNode page : List.of(page1, page2, page3)) {
            assertValid("GetOrdersResponse", page);
            assertThat(page.get("total").asInt()).isEqualTo(2);
            assertThat(page.get("size").asInt()).isEqualTo(1);
        }
        assertThat(page1.get("page").asInt()).isEqualTo(1);
        assertThat(page1.get("orders")).hasSize(1);
        assertThat(page2.get("orders")).hasSize(1);
        assertThat(page3.get("orders")).isEmpty();
        List<String> listed = new ArrayList<>(ids(page1.get("orders")));
        listed.addAll(ids(page2.get("orders")));
        assertThat(listed).containsExactlyInAnyOrder(JUNCTION_ORDER, JUNCTION_REDRAW);
        assertThat(json(get("/junction/v3/orders?updated_end_date=" + watermark, JUNCTION)).get("total").asInt())
                .as("nothing was updated before the watermark").isZero();

        // The orders change with no webhook; their updated_at moves, so a poll from the last watermark finds them.
        Instant firstSeen = Instant.parse(page1.get("orders").get(0).get("updated_at").asText());
        String changed = "/junction/v3/orders?updated_start_date=" + firstSeen.plusSeconds(1);
        await().atMost(LIFECYCLE).pollInterval(Duration.ofMillis(200)).until(() ->
                ids(json(get(changed, JUNCTION)).get("orders")).contains(JUNCTION_ORDER));
        JsonNode later = assertValid("GetOrdersResponse", json(get(changed, JUNCTION)));
        for (JsonNode order : later.get("orders")) {
            assertThat(Instant.parse(order.get("updated_at").asText())).isAfter(firstSeen);
        }

        for (String bad : List.of("size=0", "size=101", "page=0", "page=first", "updated_start_date=soon")) {
            HttpResponse<String> invalid = get("/junction/v3/orders?" + bad, JUNCTION);
            assertThat(invalid.statusCode()).as(bad).isEqualTo(422);
            JsonNode detail = JSON.readTree(invalid.body()).get("detail").get(0);
            assertThat(detail.get("loc").get(1).asText()).isEqualTo(bad.substring(0, bad.indexOf('=')));
            assertValid("ValidationError", detail);
        }
    }

    @Test
    void refusesToStartOutsideTheProjectRootWithExitCode2() throws Exception {
        Path elsewhere = Files.createTempDirectory("simulator-elsewhere");
        try (Simulator misplaced = Simulator.launch(elsewhere, SIMULATOR.toAbsolutePath(), Map.of())) {
            assertThat(misplaced.process.waitFor(STARTUP.toSeconds(), TimeUnit.SECONDS)).isTrue();
            assertThat(misplaced.process.exitValue()).isEqualTo(2);
            await().atMost(Duration.ofSeconds(5)).until(() -> misplaced.output().contains("run from the project root"));
        } finally {
            Files.deleteIfExists(elsewhere);
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    private HttpResponse<String> get(String path, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(simulator().uri(path)).timeout(Duration.ofSeconds(10)).GET();
        if (headers.length > 0) {
            request.headers(headers);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response) throws IOException {
        assertThat(response.statusCode()).as(response.uri() + " answered " + response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        return JSON.readTree(response.body());
    }

    private static void assertAnswer(HttpResponse<String> response, int status, String body) throws IOException {
        assertThat(response.statusCode()).as(response.uri().toString()).isEqualTo(status);
        assertThat(JSON.readTree(response.body())).isEqualTo(JSON.readTree(body));
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static List<String> ids(JsonNode orders) {
        return StreamSupport.stream(orders.spliterator(), false).map(o -> o.get("id").asText()).toList();
    }

    private static JsonNode assertValid(String schemaName, JsonNode node) {
        assertThat(errors(schemaName, node)).as(schemaName + " errors in " + node.toPrettyString()).isEmpty();
        return node;
    }

    private static Set<ValidationMessage> errors(String schemaName, JsonNode node) {
        return JunctionOpenApi.errors(schemaName, node);
    }

    /** The simulator as a process: its output collected line by line, its port read from the banner. */
    private static final class Simulator implements AutoCloseable {

        private final Process process;
        private final List<String> lines = Collections.synchronizedList(new ArrayList<>());
        private volatile int port;

        private Simulator(Process process) {
            this.process = process;
            Thread reader = new Thread(() -> {
                try (BufferedReader out = process.inputReader()) {
                    for (String line = out.readLine(); line != null; line = out.readLine()) {
                        lines.add(line);
                        Matcher banner = BANNER.matcher(line);
                        if (banner.find()) {
                            port = Integer.parseInt(banner.group(1));
                        }
                    }
                } catch (IOException e) {
                    // the process ended; what it printed is already collected
                }
            }, "simulator-output");
            reader.setDaemon(true);
            reader.start();
        }

        /** Port 0: the simulator picks a free port and names it in its banner. */
        static Simulator start(Path directory, Path program, Map<String, String> environment) {
            Simulator simulator = launch(directory, program, environment);
            await().atMost(STARTUP).until(() -> simulator.port != 0 || !simulator.process.isAlive());
            if (simulator.port == 0) {
                simulator.close();
                fail("the simulator did not start:\n" + simulator.output());
            }
            return simulator;
        }

        static Simulator launch(Path directory, Path program, Map<String, String> environment) {
            Path java = Path.of(System.getProperty("java.home"), "bin", "java");
            // C1 only: the launcher compiles the source in well under half the time; the program is the same.
            ProcessBuilder builder = new ProcessBuilder(java.toString(), "-XX:TieredStopAtLevel=1", program.toString(),
                    "0", "--step=1s")
                    .directory(directory.toFile())
                    .redirectErrorStream(true);
            // Hermetic: keys or URLs from the developer's shell must not change what the test sees.
            builder.environment().keySet().removeIf(name -> name.endsWith("_API_KEY") || name.endsWith("_API_URL"));
            builder.environment().putAll(environment);
            try {
                return new Simulator(builder.start());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot run " + java, e);
            }
        }

        URI uri(String pathAndQuery) {
            return URI.create("http://localhost:" + port + pathAndQuery);
        }

        String output() {
            synchronized (lines) {
                return String.join("\n", lines);
            }
        }

        @Override
        public void close() {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
    }
}
