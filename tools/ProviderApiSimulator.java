/*
 * ProviderApiSimulator: stands in for the read APIs of the five providers (Lola, Hurdle, LML, Junction,
 * Fullscript), so a box doing fetch-on-notify and reconciliation polling has something to call on a laptop.
 * It knows every resource that the example webhooks under mappings/tests/<provider>/ refer to, and it moves
 * each one along its lifecycle as time passes. A box polling it therefore sees changes that no webhook
 * announced, which is the point of polling.
 *
 * Run from the project root, next to a box started with the demo profile:
 *
 *   java tools/ProviderApiSimulator.java [port] [--step=<duration>]
 *
 * port defaults to 8091. 0 picks a free port, and the banner names it. --step sets how long each resource
 * stays at one step of its lifecycle: 20s by default; 1s, 500ms, 2m and PT20S also work. A resource's clock
 * starts the first time the simulator serves it, alone or on a list page. Resources that share a "clock"
 * (for example, Junction orders in one order transaction) start and move together. All five providers share
 * one port, each under its own prefix. The banner prints the base URL of each prefix and the variables to set
 * for the box. Keys come from LOLA_API_KEY, HURDLE_API_KEY, LML_API_KEY, JUNCTION_API_KEY and
 * FULLSCRIPT_API_KEY. Each variable may hold several keys, separated by spaces or commas, and any one of them
 * is accepted. When a variable is not set, the demo key (demo-<provider>-api-key) is used.
 *
 * The response bodies are JSON files under tools/provider-api/<provider>/<kind>/<id>.json, filled in when
 * they are served (tools/provider-api/README.md describes the format). Shapes the providers do not document
 * are marked ASSUMED, both there and below. The simulator prints one line per request (time, method, path,
 * status, step), never a key and never a body. It listens on the loopback interface only and runs until it
 * is stopped (Ctrl-C). Needs only the JDK (17+).
 *
 * Exit codes: 2 on a usage error, or when the data files are missing or broken (run it from the project
 * root); 1 when the port cannot be opened.
 */

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

public class ProviderApiSimulator {

    private static final int DEFAULT_PORT = 8091;
    private static final Duration DEFAULT_STEP = Duration.ofSeconds(20);
    private static final Path DATA_DIR = Path.of("tools", "provider-api");
    private static final Pattern UUID_TEXT =
            Pattern.compile("(?i)[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}");
    /** Query parameters whose values are masked in the request log, in case a client puts a credential there. */
    private static final Pattern SECRET_PARAMETER = Pattern.compile("(?i).*(key|token|secret|auth|pass).*");

    /** The five providers: the path prefix each one is served under, its two variables and the demo key. */
    enum Provider {
        LOLA("/lola/api/integration/v1", "LOLA_API_URL", "LOLA_API_KEY", "demo-lola-api-key"),
        HURDLE("/hurdle", "HURDLE_API_URL", "HURDLE_API_KEY", "demo-hurdle-api-key"),
        LML("/lml/api", "LML_API_URL", "LML_API_KEY", "demo-lml-api-key"),
        JUNCTION("/junction", "JUNCTION_API_URL", "JUNCTION_API_KEY", "demo-junction-api-key"),
        FULLSCRIPT("/fullscript/api", "FULLSCRIPT_API_URL", "FULLSCRIPT_API_KEY", "demo-fullscript-api-key");

        final String root;
        final String urlVariable;
        final String keyVariable;
        final String demoKey;

        Provider(String root, String urlVariable, String keyVariable, String demoKey) {
            this.root = root;
            this.urlVariable = urlVariable;
            this.keyVariable = keyVariable;
            this.demoKey = demoKey;
        }

        String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        boolean owns(String path) {
            return path.equals(root) || path.startsWith(root + "/");
        }

        static Optional<Provider> forPath(String path) {
            return Arrays.stream(values()).filter(p -> p.owns(path)).findFirst();
        }
    }

    /** The keys a provider accepts: those in its variable, else its demo key. */
    record Keys(List<String> values, boolean fromEnvironment) {

        static Keys of(Provider provider) {
            String raw = System.getenv(provider.keyVariable);
            List<String> keys = raw == null ? List.of()
                    : Arrays.stream(raw.trim().split("[\\s,]+")).filter(k -> !k.isEmpty()).toList();
            return keys.isEmpty() ? new Keys(List.of(provider.demoKey), false) : new Keys(keys, true);
        }

        /** Compares against every key, in constant time for each, which is the habit the box should have too. */
        boolean accept(String presented) {
            if (presented == null) {
                return false;
            }
            byte[] given = presented.trim().getBytes(StandardCharsets.UTF_8);
            boolean match = false;
            for (String key : values) {
                match |= MessageDigest.isEqual(given, key.getBytes(StandardCharsets.UTF_8));
            }
            return match;
        }
    }

    record Options(int port, Duration step) {

        static Options parse(String[] args) {
            Integer port = null;
            Duration step = DEFAULT_STEP;
            for (String arg : args) {
                if (arg.equals("-h") || arg.equals("--help")) {
                    usage("");
                } else if (arg.startsWith("--step=")) {
                    step = parseDuration(arg.substring("--step=".length()));
                    if (step == null || step.isNegative() || step.isZero()) {
                        usage("--step needs a positive duration such as 20s, 500ms, 2m or PT20S, not '"
                                + arg.substring("--step=".length()) + "'");
                    }
                } else if (port == null && arg.matches("\\d{1,5}") && Integer.parseInt(arg) <= 65535) {
                    port = Integer.parseInt(arg);
                } else {
                    usage("unexpected argument '" + arg + "'");
                }
            }
            return new Options(port == null ? DEFAULT_PORT : port, step);
        }
    }

    public static void main(String[] args) {
        Options options = Options.parse(args);
        if (!Files.isDirectory(DATA_DIR)) {
            fail("no " + DATA_DIR + " directory here: run from the project root");
        }
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), options.port()), 0);
        } catch (IOException e) {
            System.err.println("error: cannot listen on port " + options.port() + " (" + e.getMessage()
                    + "); is another simulator running? Pick another port: java tools/ProviderApiSimulator.java 8092");
            System.exit(1);
            return;
        }
        String origin = "http://localhost:" + server.getAddress().getPort();
        Store store;
        try {
            store = Store.load(DATA_DIR, options.step(), origin);
        } catch (DataError e) {
            server.stop(0);
            fail(e.getMessage());
            return;
        }
        ProviderApiSimulator simulator = new ProviderApiSimulator(store);
        server.createContext("/", simulator::handle);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.start();
        simulator.banner(origin, options.step());
    }

    private static void usage(String problem) {
        if (!problem.isEmpty()) {
            System.err.println("error: " + problem);
        }
        System.err.println("usage: java tools/ProviderApiSimulator.java [port] [--step=<duration>]   (defaults: 8091, 20s)");
        System.exit(2);
    }

    /** Stops on a setup problem (exit 2), distinct from a port that cannot be opened (exit 1). */
    private static void fail(String problem) {
        System.err.println("error: " + problem);
        System.exit(2);
    }

    private final Store store;
    private final Map<Provider, Keys> keys = new LinkedHashMap<>();

    ProviderApiSimulator(Store store) {
        this.store = store;
        for (Provider provider : Provider.values()) {
            keys.put(provider, Keys.of(provider));
        }
    }

    private void banner(String origin, Duration step) {
        System.out.println("Provider API simulator on " + origin + ": each known resource moves one step every "
                + describe(step) + " after it is first served.");
        System.out.println("Start the box with these (keys shown only while they are the demo ones):");
        for (Provider provider : Provider.values()) {
            Keys k = keys.get(provider);
            String key = k.fromEnvironment() ? "(" + k.values().size() + " key(s) from the environment)" : k.values().get(0);
            System.out.printf("  %-75s %s=%s%n", provider.urlVariable + "=" + origin + provider.root, provider.keyVariable, key);
        }
        System.out.println("Known: " + store.summary() + "  (files in " + DATA_DIR + "/)");
        System.out.println("One line per request follows; Ctrl-C stops the simulator.");
    }

    private static String describe(Duration step) {
        long millis = step.toMillis();
        return millis % 1000 == 0 ? (millis / 1000) + "s" : millis + "ms";
    }

    // ---------------------------------------------------------------------------------------------------------
    // Requests

    private void handle(HttpExchange exchange) {
        Response response;
        try {
            response = respond(exchange);
        } catch (RuntimeException e) {
            // A bug here must not look like a provider answer: say so, and keep serving the other requests.
            e.printStackTrace();
            response = Response.json(500, obj("error", "simulator bug: " + e));
        }
        try {
            send(exchange, response);
        } catch (IOException e) {
            // The client went away; there is nobody to tell.
        } finally {
            exchange.close();
        }
        log(exchange, response);
    }

    private Response respond(HttpExchange exchange) {
        String path = exchange.getRequestURI().getPath();
        Optional<Provider> match = Provider.forPath(path);
        if (match.isEmpty()) {
            return Response.json(404, obj("error", "nothing is served here; the providers are under "
                    + String.join(", ", Arrays.stream(Provider.values()).map(p -> p.root).toList())));
        }
        Provider provider = match.get();
        if (!exchange.getRequestMethod().equals("GET")) {
            return error(provider, 405, "Only GET is simulated.").withHeader("Allow", "GET");
        }
        Response denied = authorise(provider, exchange.getRequestHeaders());
        if (denied != null) {
            return denied;
        }
        String rest = path.substring(provider.root.length());
        Query query = Query.parse(exchange.getRequestURI().getRawQuery());
        Instant now = Instant.now();
        return switch (provider) {
            case LOLA -> lola(rest, now);
            case HURDLE -> hurdle(rest, now);
            case LML -> lml(rest, query, exchange.getRequestURI().getRawQuery(), now);
            case JUNCTION -> junction(rest, query, now);
            case FULLSCRIPT -> fullscript(rest, query, now);
        };
    }

    /** Each provider's credential, and its answer when the credential is missing or wrong. */
    private Response authorise(Provider provider, Headers headers) {
        Keys accepted = keys.get(provider);
        switch (provider) {
            case LOLA:
                if (!accepted.accept(headers.getFirst("X-API-Key"))) {
                    return error(provider, 401, "");
                }
                // The version header is part of every Lola call; a wrong one is a validation error, not an auth one.
                return "1".equals(trim(headers.getFirst("X-API-Version"))) ? null : error(provider, 400, "");
            case HURDLE:
                // ASSUMED body: Hurdle's error shape is not documented.
                return accepted.accept(headers.getFirst("X-API-Key")) ? null
                        : Response.json(401, obj("message", "Unauthorized"));
            case LML:
                return accepted.accept(bearer(headers)) ? null
                        : Response.json(401, obj("message", "Token is not valid.")).withHeader("WWW-Authenticate", "Bearer");
            case JUNCTION:
                return accepted.accept(headers.getFirst("x-vital-api-key")) ? null
                        : Response.json(401, obj("detail", "Not authenticated"));
            case FULLSCRIPT:
                // ASSUMED body: shaped like Fullscript's documented 403, {"error": "..."}.
                return accepted.accept(bearer(headers)) ? null
                        : Response.json(401, obj("error", "The access token is invalid.")).withHeader("WWW-Authenticate", "Bearer");
            default:
                throw new IllegalStateException(provider.name());
        }
    }

    private static String bearer(Headers headers) {
        String value = trim(headers.getFirst("Authorization"));
        return value != null && value.regionMatches(true, 0, "Bearer ", 0, 7) ? value.substring(7) : null;
    }

    private static String trim(String value) {
        return value == null ? null : value.trim();
    }

    /**
     * An error in the provider's shape. Documented: Lola's {"error": CODE} (only VALIDATION is a documented code),
     * LML's 401 and Junction's {"detail": ...}; the rest is ASSUMED.
     */
    private static Response error(Provider provider, int status, String message) {
        return switch (provider) {
            case LOLA -> Response.json(status, obj("error", switch (status) {
                case 400 -> "VALIDATION";
                case 401 -> "UNAUTHORIZED";
                case 404 -> "NOT_FOUND";
                case 405 -> "METHOD_NOT_ALLOWED";
                default -> "ERROR";
            }));
            case HURDLE, LML -> Response.json(status, obj("message", message));
            case JUNCTION -> Response.json(status, obj("detail", message));
            case FULLSCRIPT -> Response.json(status, obj("error", message));
        };
    }

    // --- Lola: /bookings, /bookings/{id}, and the resultsUrl a RESULTS_READY sample carries ---

    private Response lola(String rest, Instant now) {
        if (rest.equals("/bookings")) {
            // ASSUMED wrapper: Lola documents the list but not its shape, filters or pagination.
            List<Object> bookings = new ArrayList<>();
            for (Resource booking : store.all(Provider.LOLA, "booking")) {
                bookings.add(store.serve(booking, now).view("body"));
            }
            return Response.json(200, obj("data", bookings)).withNote(bookings.size() + " bookings");
        }
        Matcher m = match("/bookings/([^/]+)(/results)?", rest);
        if (m == null) {
            return error(Provider.LOLA, 404, "");
        }
        Optional<Resource> booking = store.find(Provider.LOLA, "booking", m.group(1));
        if (booking.isEmpty()) {
            return error(Provider.LOLA, 404, "");
        }
        Snapshot snapshot = store.serve(booking.get(), now);
        if (m.group(2) == null) {
            return body(snapshot);
        }
        // ASSUMED: what resultsUrl serves is not documented; a placeholder PDF once the sample has results.
        return Boolean.TRUE.equals(snapshot.view("pdf"))
                ? Response.pdf(placeholderPdf("Lola booking " + snapshot.resource().id())).withNote(snapshot.note())
                : error(Provider.LOLA, 404, "").withNote(snapshot.note());
    }

    // --- Hurdle: /tests/v2/{testId}; ASSUMED paths /orders/v3/{orderNumber} and /phlebotomy/v1/appointments/{id} ---

    private Response hurdle(String rest, Instant now) {
        Matcher m;
        if ((m = match("/tests/v2/([^/]+)", rest)) != null) {
            return one(Provider.HURDLE, "test", m.group(1), now, "Test not found.");
        }
        if ((m = match("/orders/v3/([^/]+)", rest)) != null) {
            return one(Provider.HURDLE, "order", m.group(1), now, "Order not found.");
        }
        if ((m = match("/phlebotomy/v1/appointments/([^/]+)", rest)) != null) {
            return one(Provider.HURDLE, "appointment", m.group(1), now, "Appointment not found.");
        }
        return error(Provider.HURDLE, 404, "Not found.");
    }

    // --- LML: test registrations (one, list, lab results), orders ---

    private Response lml(String rest, Query query, String rawQuery, Instant now) {
        if (rest.equals("/test_registration")) {
            // The SDK adds the trailing slash to list URLs "to avoid 301 redirections": imitate the redirect.
            String location = Provider.LML.root + "/test_registration/" + (rawQuery == null ? "" : "?" + rawQuery);
            return Response.empty(301).withHeader("Location", location);
        }
        if (rest.equals("/test_registration/")) {
            return lmlList(query, now);
        }
        Matcher m;
        if ((m = match("/test_registration/([^/]+)/?", rest)) != null) {
            return lmlRegistration(m.group(1), now).map(ProviderApiSimulator::body)
                    .orElseGet(() -> error(Provider.LML, 404, "Not found."));
        }
        if ((m = match("/lab_result/([^/]+)/test_registration/?", rest)) != null
                || (m = match("/test_registration/([^/]+)/lab_results/?", rest)) != null) {
            return lmlRegistration(m.group(1), now).map(ProviderApiSimulator::labResults)
                    .orElseGet(() -> error(Provider.LML, 404, "Not found."));
        }
        if ((m = match("/order/([^/]+)/?", rest)) != null) {
            return one(Provider.LML, "order", m.group(1), now, "Not found.");
        }
        return error(Provider.LML, 404, "Not found.");
    }

    /** LML accepts a registration's UUID, its TRF code or the client's foreign_id in the same path. */
    private Optional<Snapshot> lmlRegistration(String key, Instant now) {
        Optional<Resource> found = store.find(Provider.LML, "test_registration", key);
        if (found.isEmpty()) {
            found = store.all(Provider.LML, "test_registration").stream()
                    .filter(r -> store.peek(r, now).view("body") instanceof Map<?, ?> body
                            && (key.equals(body.get("trf_code")) || key.equals(body.get("foreign_id"))))
                    .findFirst();
        }
        return found.map(r -> store.serve(r, now));
    }

    /** "If the results are not ready you will receive a 204 blank response"; afterwards, the array of results. */
    private static Response labResults(Snapshot registration) {
        Object body = registration.view("body");
        boolean ready = body instanceof Map<?, ?> map && Boolean.TRUE.equals(map.get("results_ready"));
        return ready ? Response.json(200, registration.view("lab_results")).withNote(registration.note())
                : Response.empty(204).withNote(registration.note());
    }

    private Response lmlList(Query query, Instant now) {
        Integer page = query.positiveInt("page", 1);
        Integer limit = query.positiveInt("limit", 100);
        if (page == null || limit == null) {
            // ASSUMED: LML's answer to a bad page or limit is not documented.
            return error(Provider.LML, 400, "page and limit must be positive whole numbers.");
        }
        List<Resource> all = store.all(Provider.LML, "test_registration");
        int pages = Math.max(1, (all.size() + limit - 1) / limit);
        List<Object> items = new ArrayList<>();
        for (int i = (page - 1) * limit; i < Math.min(all.size(), page * limit); i++) {
            items.add(store.serve(all.get(i), now).view("body"));
        }
        return Response.json(200, obj("nr_of_results", all.size(), "current_page", page, "nr_of_pages", pages,
                "results_per_page", limit, "next_page", page < pages ? page + 1 : null, "items", items))
                .withNote(items.size() + " of " + all.size());
    }

    // --- Junction: /v3/order/{id} (+ /result, /result/pdf, /phlebotomy/appointment), /v3/orders ---

    private Response junction(String rest, Query query, Instant now) {
        if (rest.equals("/v3/orders")) {
            return junctionList(query, now);
        }
        Matcher m = match("/v3/order/([^/]+)(/result|/result/pdf|/phlebotomy/appointment)?", rest);
        if (m == null) {
            return error(Provider.JUNCTION, 404, "Not Found");
        }
        String id = m.group(1);
        if (!UUID_TEXT.matcher(id).matches()) {
            // Junction's order_id is a UUID path parameter, so anything else fails validation before any lookup.
            return junctionInvalid("path", "order_id", "uuid_parsing", "Input should be a valid UUID", id, null);
        }
        Optional<Resource> order = store.find(Provider.JUNCTION, "order", id.toLowerCase(Locale.ROOT));
        if (order.isEmpty()) {
            // ASSUMED message: Junction documents no order-404 example.
            return error(Provider.JUNCTION, 404, "Order not found.");
        }
        Snapshot snapshot = store.serve(order.get(), now);
        String part = m.group(2) == null ? "" : m.group(2);
        return switch (part) {
            case "" -> Response.json(200, withTransaction(snapshot.view("body"), now)).withNote(snapshot.note());
            case "/result" -> snapshot.view("result") == null
                    // ASSUMED: what Junction answers before any result exists is not documented.
                    ? error(Provider.JUNCTION, 404, "Lab results are not available for this order yet.").withNote(snapshot.note())
                    : Response.json(200, withTransaction(snapshot.view("result"), now)).withNote(snapshot.note());
            case "/result/pdf" -> Boolean.TRUE.equals(snapshot.view("pdf"))
                    ? Response.pdf(placeholderPdf("Junction order " + id)).withNote(snapshot.note())
                    : error(Provider.JUNCTION, 404, "The lab report PDF is not available for this order yet.").withNote(snapshot.note());
            default -> snapshot.view("appointment") == null
                    ? error(Provider.JUNCTION, 404, "No phlebotomy appointment for this order.").withNote(snapshot.note())
                    : Response.json(200, snapshot.view("appointment")).withNote(snapshot.note());
        };
    }

    /** The polling list: orders whose updated_at falls in [updated_start_date, updated_end_date], paged. */
    private Response junctionList(Query query, Instant now) {
        Object page = junctionInt(query, "page", 1, 1, Integer.MAX_VALUE);
        if (page instanceof Response invalid) {
            return invalid;
        }
        Object size = junctionInt(query, "size", 50, 1, 100);
        if (size instanceof Response invalid) {
            return invalid;
        }
        Object from = junctionInstant(query, "updated_start_date");
        if (from instanceof Response invalid) {
            return invalid;
        }
        Object to = junctionInstant(query, "updated_end_date");
        if (to instanceof Response invalid) {
            return invalid;
        }
        // Filter on what each order would look like now, without starting the clock of those left out.
        List<Resource> matching = new ArrayList<>();
        for (Resource order : store.all(Provider.JUNCTION, "order")) {
            Instant updatedAt = Instant.parse((String) ((Map<?, ?>) store.peek(order, now).view("body")).get("updated_at"));
            if ((from == null || !updatedAt.isBefore((Instant) from)) && (to == null || !updatedAt.isAfter((Instant) to))) {
                matching.add(order);
            }
        }
        int p = (Integer) page;
        int s = (Integer) size;
        List<Object> orders = new ArrayList<>();
        for (int i = (p - 1) * s; i < Math.min(matching.size(), (long) p * s); i++) {
            orders.add(withTransaction(store.serve(matching.get(i), now).view("body"), now));
        }
        return Response.json(200, obj("orders", orders, "total", matching.size(), "page", p, "size", s))
                .withNote(orders.size() + " of " + matching.size());
    }

    /** An integer query parameter, or the 422 Junction (FastAPI) gives for a bad one. */
    private static Object junctionInt(Query query, String name, int fallback, int min, int max) {
        String raw = query.first(name);
        if (raw == null) {
            return fallback;
        }
        int value;
        try {
            value = Integer.parseInt(raw.trim());
        } catch (NumberFormatException e) {
            return junctionInvalid("query", name, "int_parsing",
                    "Input should be a valid integer, unable to parse string as an integer", raw, null);
        }
        if (value < min) {
            return junctionInvalid("query", name, "greater_than_equal",
                    "Input should be greater than or equal to " + min, raw, obj("ge", min));
        }
        if (value > max) {
            return junctionInvalid("query", name, "less_than_equal",
                    "Input should be less than or equal to " + max, raw, obj("le", max));
        }
        return value;
    }

    /** A date-time query parameter: ISO with or without an offset (UTC if none), or a date meaning its midnight. */
    private static Object junctionInstant(Query query, String name) {
        String raw = query.first(name);
        if (raw == null || raw.isBlank()) {
            return null;
        }
        try {
            return OffsetDateTime.parse(raw).toInstant();
        } catch (DateTimeParseException notOffset) {
            try {
                return LocalDateTime.parse(raw).toInstant(ZoneOffset.UTC);
            } catch (DateTimeParseException notLocal) {
                try {
                    return LocalDate.parse(raw).atStartOfDay(ZoneOffset.UTC).toInstant();
                } catch (DateTimeParseException notDate) {
                    return junctionInvalid("query", name, "datetime_from_date_parsing",
                            "Input should be a valid datetime or date, invalid character in year", raw, null);
                }
            }
        }
    }

    private static Response junctionInvalid(String where, String name, String type, String message, String input,
            Map<String, Object> context) {
        Map<String, Object> detail = obj("type", type, "loc", List.of(where, name), "msg", message, "input", input);
        if (context != null) {
            detail.put("ctx", context);
        }
        return Response.json(422, obj("detail", List.of(detail)));
    }

    /**
     * Fills an order_transaction block from every order in that transaction as it stands now, so an order,
     * its result and its sibling (a redraw) always agree. The files give only the transaction id.
     */
    private Object withTransaction(Object document, Instant now) {
        if (!(document instanceof Map<?, ?> map) || !(map.get("order_transaction") instanceof Map<?, ?> transaction)) {
            return document;
        }
        Object transactionId = transaction.get("id");
        List<Object> orders = new ArrayList<>();
        List<String> statuses = new ArrayList<>();
        for (Resource order : store.all(Provider.JUNCTION, "order")) {
            Snapshot sibling = store.peek(order, now);
            Map<?, ?> body = (Map<?, ?>) sibling.view("body");
            if (!(body.get("order_transaction") instanceof Map<?, ?> t) || !transactionId.equals(t.get("id"))) {
                continue;
            }
            Map<?, ?> lastEvent = (Map<?, ?>) body.get("last_event");
            String status = String.valueOf(lastEvent.get("status"));
            statuses.add(String.valueOf(body.get("status")));
            orders.add(obj("id", body.get("id"), "low_level_status", status.substring(status.lastIndexOf('.') + 1),
                    "low_level_status_created_at", lastEvent.get("created_at"), "origin", body.get("origin"),
                    "parent_id", sibling.view("parent_order_id"), "created_at", body.get("created_at"),
                    "updated_at", body.get("updated_at")));
        }
        String status = statuses.stream().allMatch("completed"::equals) ? "completed"
                : statuses.stream().allMatch("cancelled"::equals) ? "cancelled" : "active";
        @SuppressWarnings("unchecked")
        Map<String, Object> copy = new LinkedHashMap<>((Map<String, Object>) map);
        copy.put("order_transaction", obj("id", transactionId, "status", status, "orders", orders));
        return copy;
    }

    // --- Fullscript: /clinic/labs/orders/{id}, ASSUMED wrapper {"lab_order": {...}};
    //     /clinic/labs/orders?patient_id= (the documented filter), ASSUMED wrapper {"lab_orders": [...]} ---

    @SuppressWarnings("unchecked")
    private Response fullscript(String rest, Query query, Instant now) {
        if (rest.equals("/clinic/labs/orders")) {
            String patient = query.first("patient_id");
            List<Object> orders = new ArrayList<>();
            for (Resource labOrder : store.all(Provider.FULLSCRIPT, "lab_order")) {
                Object order = ((Map<String, Object>) store.serve(labOrder, now).view("body")).get("lab_order");
                if (patient != null && order instanceof Map<?, ?> map && patient.equals(map.get("patient_id"))) {
                    orders.add(order);
                }
            }
            return Response.json(200, obj("lab_orders", orders));
        }
        Matcher m = match("/clinic/labs/orders/([^/]+)", rest);
        return m == null ? error(Provider.FULLSCRIPT, 404, "Not found")
                : one(Provider.FULLSCRIPT, "lab_order", m.group(1), now, "Not found");
    }

    // --- shared ---

    private Response one(Provider provider, String kind, String id, Instant now, String notFound) {
        return store.find(provider, kind, id).map(r -> body(store.serve(r, now)))
                .orElseGet(() -> error(provider, 404, notFound));
    }

    private static Response body(Snapshot snapshot) {
        return Response.json(200, snapshot.view("body")).withNote(snapshot.note());
    }

    private static Matcher match(String regex, String text) {
        Matcher m = Pattern.compile(regex).matcher(text);
        return m.matches() ? m : null;
    }

    private static void send(HttpExchange exchange, Response response) throws IOException {
        Headers headers = exchange.getResponseHeaders();
        response.headers().forEach(headers::set);
        if (response.body() == null) {
            exchange.sendResponseHeaders(response.status(), -1);
            return;
        }
        headers.set("Content-Type", response.contentType());
        exchange.sendResponseHeaders(response.status(), response.body().length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(response.body());
        }
    }

    /** Method, path, status and the step served; the raw path keeps control characters out of the terminal. */
    private static void log(HttpExchange exchange, Response response) {
        String rawQuery = exchange.getRequestURI().getRawQuery();
        String target = exchange.getRequestURI().getRawPath() + (rawQuery == null ? "" : "?" + maskSecrets(rawQuery));
        System.out.println(LocalTime.now().truncatedTo(ChronoUnit.SECONDS) + " " + exchange.getRequestMethod() + " "
                + target + " " + response.status() + (response.note().isEmpty() ? "" : "  " + response.note()));
    }

    private static String maskSecrets(String rawQuery) {
        StringBuilder out = new StringBuilder();
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair : pair.substring(0, eq);
            out.append(out.length() == 0 ? "" : "&").append(eq >= 0 && SECRET_PARAMETER.matcher(name).matches()
                    ? name + "=***" : pair);
        }
        return out.toString();
    }

    /** A one-page PDF that says what it is, with correct offsets so strict readers open it. No patient data. */
    static byte[] placeholderPdf(String title) {
        String text = ("Simulated lab report for " + title + ". No real patient data.").replaceAll("[^ -~]", "?")
                .replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)");
        String content = "BT /F1 12 Tf 72 720 Td (" + text + ") Tj ET";
        List<String> objects = List.of(
                "<< /Type /Catalog /Pages 2 0 R >>",
                "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
                        + " /Resources << /Font << /F1 5 0 R >> >> >>",
                "<< /Length " + content.length() + " >>\nstream\n" + content + "\nendstream",
                "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
        StringBuilder pdf = new StringBuilder("%PDF-1.4\n");
        List<Integer> offsets = new ArrayList<>();
        for (int n = 0; n < objects.size(); n++) {
            offsets.add(pdf.length());
            pdf.append(n + 1).append(" 0 obj\n").append(objects.get(n)).append("\nendobj\n");
        }
        int xref = pdf.length();
        pdf.append("xref\n0 ").append(objects.size() + 1).append("\n0000000000 65535 f \n");
        for (int offset : offsets) {
            pdf.append(String.format("%010d 00000 n \n", offset));
        }
        pdf.append("trailer\n<< /Size ").append(objects.size() + 1).append(" /Root 1 0 R >>\nstartxref\n")
                .append(xref).append("\n%%EOF\n");
        return pdf.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** A JSON object from alternating keys and values, in that order (Map.of would shuffle them). */
    static Map<String, Object> obj(Object... keysAndValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return map;
    }

    record Response(int status, String contentType, byte[] body, Map<String, String> headers, String note) {

        static Response json(int status, Object value) {
            return new Response(status, "application/json", Json.write(value).getBytes(StandardCharsets.UTF_8),
                    Map.of(), "");
        }

        static Response pdf(byte[] bytes) {
            return new Response(200, "application/pdf", bytes, Map.of(), "");
        }

        static Response empty(int status) {
            return new Response(status, null, null, Map.of(), "");
        }

        Response withHeader(String name, String value) {
            Map<String, String> copy = new LinkedHashMap<>(headers);
            copy.put(name, value);
            return new Response(status, contentType, body, copy, note);
        }

        Response withNote(String text) {
            return new Response(status, contentType, body, headers, text);
        }
    }

    record Query(Map<String, List<String>> parameters) {

        static Query parse(String raw) {
            Map<String, List<String>> parameters = new LinkedHashMap<>();
            if (raw != null && !raw.isEmpty()) {
                for (String pair : raw.split("&")) {
                    int eq = pair.indexOf('=');
                    String name = decode(eq < 0 ? pair : pair.substring(0, eq));
                    String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
                    parameters.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
                }
            }
            return new Query(parameters);
        }

        private static String decode(String text) {
            try {
                return URLDecoder.decode(text, StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return text; // a stray '%': keep it as written, so the validation below names it
            }
        }

        String first(String name) {
            List<String> values = parameters.get(name);
            return values == null || values.isEmpty() ? null : values.get(0);
        }

        /** The parameter as a positive integer, the fallback when absent, or null when it is not one. */
        Integer positiveInt(String name, int fallback) {
            String raw = first(name);
            if (raw == null) {
                return fallback;
            }
            try {
                int value = Integer.parseInt(raw.trim());
                return value > 0 ? value : null;
            } catch (NumberFormatException e) {
                return null;
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Resources, clocks and steps

    static final class DataError extends Exception {
        DataError(String message) {
            super(message);
        }
    }

    /**
     * One file, tools/provider-api/<provider>/<kind>/<id>.json, merged over that folder's _base.json.
     * document holds what is served ("body" and any other views); steps are overlays applied in turn.
     */
    record Resource(Provider provider, String kind, String id, String clock, Map<String, Object> document,
            List<Map<String, Object>> steps, Map<String, Object> vars, Path source) {

        String stepName(int index) {
            return String.valueOf(steps.get(index).get("name"));
        }
    }

    /** A resource as served at one moment: the step it is at, and its documents with placeholders filled in. */
    record Snapshot(Resource resource, int step, Map<String, Object> document) {

        Object view(String name) {
            return document.get(name);
        }

        String note() {
            return "step " + (step + 1) + "/" + resource.steps().size() + " " + resource.stepName(step);
        }
    }

    static final class Store {

        private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([^}]*)}");
        private static final Pattern TIME = Pattern.compile("(date:)?(t0|step(\\d+))((?:[+-]\\d+(?:ms|s|m|h|d))*)");
        private static final Pattern OFFSET = Pattern.compile("([+-])(\\d+(?:ms|s|m|h|d))");
        private static final DateTimeFormatter INSTANT = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'")
                .withZone(ZoneOffset.UTC);
        private static final DateTimeFormatter DATE = DateTimeFormatter.ISO_LOCAL_DATE.withZone(ZoneOffset.UTC);

        /** Keyed "provider/kind/id", sorted, so lists and pages come out in the same order every time. */
        private final Map<String, Resource> resources;
        /** When each clock started: the first time a resource on it was served. */
        private final Map<String, Instant> clockStarts = new ConcurrentHashMap<>();
        private final Duration step;
        private final String origin;

        private Store(Map<String, Resource> resources, Duration step, String origin) {
            this.resources = resources;
            this.step = step;
            this.origin = origin;
        }

        static Store load(Path dir, Duration step, String origin) throws DataError {
            Map<String, Resource> resources = new TreeMap<>();
            for (Provider provider : Provider.values()) {
                Path providerDir = dir.resolve(provider.id());
                if (!Files.isDirectory(providerDir)) {
                    throw new DataError("no " + providerDir + " directory: run from the project root");
                }
                for (Path kindDir : list(providerDir)) {
                    if (!Files.isDirectory(kindDir)) {
                        continue;
                    }
                    Path basePath = kindDir.resolve("_base.json");
                    Object base = Files.exists(basePath) ? read(basePath) : Map.of();
                    for (Path file : list(kindDir)) {
                        String name = file.getFileName().toString();
                        if (name.startsWith("_") || !name.endsWith(".json")) {
                            continue;
                        }
                        Resource resource = resource(provider, kindDir.getFileName().toString(),
                                name.substring(0, name.length() - ".json".length()), Json.merge(base, read(file)), file);
                        resources.put(provider.id() + "/" + resource.kind() + "/" + resource.id(), resource);
                    }
                }
            }
            Store store = new Store(resources, step, origin);
            store.check();
            return store;
        }

        private static List<Path> list(Path dir) throws DataError {
            try (Stream<Path> files = Files.list(dir)) {
                return files.sorted().toList();
            } catch (IOException e) {
                throw new DataError("cannot list " + dir + ": " + e.getMessage());
            }
        }

        private static Object read(Path file) throws DataError {
            try {
                return Json.parse(Files.readString(file, StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new DataError("cannot read " + file + ": " + e.getMessage());
            } catch (IllegalArgumentException e) {
                throw new DataError(file + ": " + e.getMessage());
            }
        }

        @SuppressWarnings("unchecked")
        private static Resource resource(Provider provider, String kind, String id, Object merged, Path file)
                throws DataError {
            if (!(merged instanceof Map<?, ?>)) {
                throw new DataError(file + ": must hold a JSON object");
            }
            Map<String, Object> document = new LinkedHashMap<>((Map<String, Object>) merged);
            Object steps = document.remove("steps");
            Object clock = document.remove("clock");
            Object vars = document.remove("vars");
            if (!(steps instanceof List<?> list) || list.isEmpty()
                    || !list.stream().allMatch(s -> s instanceof Map<?, ?> m && m.get("name") instanceof String)) {
                throw new DataError(file + ": needs \"steps\", a non-empty list of objects that each have a \"name\"");
            }
            if (!(document.get("body") instanceof Map<?, ?>)) {
                throw new DataError(file + ": needs a \"body\" object (what GET returns)");
            }
            if (vars != null && !(vars instanceof Map<?, ?>)) {
                throw new DataError(file + ": \"vars\" must be an object of strings");
            }
            return new Resource(provider, kind, id,
                    clock instanceof String c ? c : provider.id() + "/" + kind + "/" + id, document,
                    (List<Map<String, Object>>) steps, vars == null ? Map.of() : (Map<String, Object>) vars, file);
        }

        /** Renders every step of every resource once at start-up, so a typo stops the simulator, not a request. */
        private void check() throws DataError {
            Instant now = Instant.now();
            for (Resource resource : resources.values()) {
                for (int i = 0; i < resource.steps().size(); i++) {
                    try {
                        Snapshot snapshot = snapshot(resource, now.minus(step.multipliedBy(i)), now);
                        if (resource.provider() == Provider.JUNCTION && resource.kind().equals("order")) {
                            Map<?, ?> body = (Map<?, ?>) snapshot.view("body");
                            Instant.parse(String.valueOf(body.get("updated_at")));
                            if (!(body.get("last_event") instanceof Map<?, ?>)) {
                                throw new IllegalArgumentException("a Junction order needs body.last_event");
                            }
                        }
                    } catch (RuntimeException e) {
                        throw new DataError(resource.source() + ", step " + (i + 1) + " (" + resource.stepName(i)
                                + "): " + e.getMessage());
                    }
                }
            }
        }

        /** "lola 5 booking; hurdle 2 appointment, 3 order, 2 test; ..." in the providers' order. */
        String summary() {
            List<String> parts = new ArrayList<>();
            for (Provider provider : Provider.values()) {
                Map<String, Integer> counts = new TreeMap<>();
                resources.values().stream().filter(r -> r.provider() == provider)
                        .forEach(r -> counts.merge(r.kind(), 1, Integer::sum));
                List<String> kinds = new ArrayList<>();
                counts.forEach((kind, n) -> kinds.add(n + " " + kind));
                parts.add(provider.id() + " " + String.join(", ", kinds));
            }
            return String.join("; ", parts);
        }

        Optional<Resource> find(Provider provider, String kind, String id) {
            return Optional.ofNullable(resources.get(provider.id() + "/" + kind + "/" + id));
        }

        List<Resource> all(Provider provider, String kind) {
            String prefix = provider.id() + "/" + kind + "/";
            return resources.entrySet().stream().filter(e -> e.getKey().startsWith(prefix)).map(Map.Entry::getValue).toList();
        }

        /** The resource as it is served now; the first time starts its clock. */
        Snapshot serve(Resource resource, Instant now) {
            return snapshot(resource, clockStarts.computeIfAbsent(resource.clock(), c -> now), now);
        }

        /** The resource as it would be served now, without starting its clock (for filters and summaries). */
        Snapshot peek(Resource resource, Instant now) {
            return snapshot(resource, clockStarts.getOrDefault(resource.clock(), now), now);
        }

        @SuppressWarnings("unchecked")
        private Snapshot snapshot(Resource resource, Instant t0, Instant now) {
            long elapsed = Math.max(0, Duration.between(t0, now).toMillis());
            int index = (int) Math.min(resource.steps().size() - 1, elapsed / step.toMillis());
            Object document = resource.document();
            for (int i = 0; i <= index; i++) {
                Map<String, Object> overlay = new LinkedHashMap<>(resource.steps().get(i));
                overlay.remove("name");
                document = Json.merge(document, overlay);
            }
            Map<String, String> values = new LinkedHashMap<>();
            values.put("id", resource.id());
            values.put("base", origin + resource.provider().root);
            for (Map.Entry<String, Object> var : resource.vars().entrySet()) {
                if (!(var.getValue() instanceof String text)) {
                    throw new IllegalArgumentException("vars." + var.getKey() + " must be a string");
                }
                values.put(var.getKey(), fill(text, values, t0));
            }
            return new Snapshot(resource, index, (Map<String, Object>) fillAll(document, values, t0));
        }

        private Object fillAll(Object value, Map<String, String> values, Instant t0) {
            if (value instanceof String text) {
                return fill(text, values, t0);
            }
            if (value instanceof Map<?, ?> map) {
                Map<String, Object> out = new LinkedHashMap<>();
                map.forEach((k, v) -> out.put((String) k, fillAll(v, values, t0)));
                return out;
            }
            if (value instanceof List<?> list) {
                List<Object> out = new ArrayList<>();
                list.forEach(v -> out.add(fillAll(v, values, t0)));
                return out;
            }
            return value;
        }

        /**
         * ${id}, ${base}, a var, or a time: t0 (when the clock started) or stepN (t0 + N steps), with offsets
         * such as ${t0-2d+3h}; prefixed with date: for the date alone. Times are UTC, to the second.
         */
        private String fill(String text, Map<String, String> values, Instant t0) {
            if (!text.contains("${")) {
                return text;
            }
            Matcher m = PLACEHOLDER.matcher(text);
            StringBuilder out = new StringBuilder();
            while (m.find()) {
                String expression = m.group(1);
                String replacement = values.get(expression);
                if (replacement == null) {
                    replacement = time(expression, t0);
                }
                m.appendReplacement(out, Matcher.quoteReplacement(replacement));
            }
            m.appendTail(out);
            return out.toString();
        }

        private String time(String expression, Instant t0) {
            Matcher m = TIME.matcher(expression);
            if (!m.matches()) {
                throw new IllegalArgumentException("unknown placeholder ${" + expression
                        + "}; use ${id}, ${base}, a var, or a time such as ${t0}, ${step2}, ${t0-3d}, ${date:t0}");
            }
            Instant at = m.group(3) == null ? t0 : t0.plus(step.multipliedBy(Long.parseLong(m.group(3))));
            Matcher offset = OFFSET.matcher(m.group(4));
            while (offset.find()) {
                Duration amount = parseDuration(offset.group(2));
                at = offset.group(1).equals("+") ? at.plus(amount) : at.minus(amount);
            }
            return (m.group(1) == null ? INSTANT : DATE).format(at);
        }
    }

    /** 20s, 500ms, 2m, 3h, 1d, a bare number of seconds, or ISO-8601 (PT20S); null if none of these. */
    static Duration parseDuration(String text) {
        Matcher m = Pattern.compile("(\\d+)(ms|s|m|h|d)?").matcher(text.trim());
        if (m.matches()) {
            long amount = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "s" : m.group(2);
            return switch (unit) {
                case "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                default -> Duration.ofDays(amount);
            };
        }
        try {
            return Duration.parse(text.trim());
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // A small JSON reader and writer: objects are LinkedHashMaps (file order kept), numbers keep their text.

    static final class Json {

        /** A number exactly as written, so 37.7749295 or 4900 come back out unchanged. */
        record JsonNumber(String text) {
        }

        private Json() {
        }

        static Object parse(String text) {
            return new Reader(text).document();
        }

        /** Objects merge key by key; anything else replaces. A key ending in "+" appends to the list it names. */
        @SuppressWarnings("unchecked")
        static Object merge(Object base, Object overlay) {
            if (!(base instanceof Map<?, ?> baseMap) || !(overlay instanceof Map<?, ?> overlayMap)) {
                return copy(overlay);
            }
            Map<String, Object> out = (Map<String, Object>) copy(baseMap);
            for (Map.Entry<?, ?> entry : overlayMap.entrySet()) {
                String key = (String) entry.getKey();
                if (key.endsWith("+")) {
                    String target = key.substring(0, key.length() - 1);
                    if (!(entry.getValue() instanceof List<?> more) || (out.get(target) != null && !(out.get(target) instanceof List<?>))) {
                        throw new IllegalArgumentException("\"" + key + "\" appends a list to a list");
                    }
                    List<Object> joined = out.get(target) == null ? new ArrayList<>() : (List<Object>) out.get(target);
                    joined.addAll((List<Object>) copy(more));
                    out.put(target, joined);
                } else {
                    out.put(key, out.containsKey(key) ? merge(out.get(key), entry.getValue()) : copy(entry.getValue()));
                }
            }
            return out;
        }

        static Object copy(Object value) {
            if (value instanceof Map<?, ?> map) {
                Map<String, Object> out = new LinkedHashMap<>();
                map.forEach((k, v) -> out.put((String) k, copy(v)));
                return out;
            }
            if (value instanceof List<?> list) {
                List<Object> out = new ArrayList<>();
                list.forEach(v -> out.add(copy(v)));
                return out;
            }
            return value;
        }

        static String write(Object value) {
            StringBuilder out = new StringBuilder();
            write(value, out, "");
            return out.append('\n').toString();
        }

        private static void write(Object value, StringBuilder out, String indent) {
            if (value == null) {
                out.append("null");
            } else if (value instanceof String text) {
                quote(text, out);
            } else if (value instanceof Boolean || value instanceof Integer || value instanceof Long) {
                out.append(value);
            } else if (value instanceof JsonNumber number) {
                out.append(number.text());
            } else if (value instanceof Map<?, ?> map) {
                if (map.isEmpty()) {
                    out.append("{}");
                    return;
                }
                String inner = indent + "  ";
                out.append("{\n");
                int n = 0;
                for (Map.Entry<?, ?> entry : map.entrySet()) {
                    out.append(inner);
                    quote((String) entry.getKey(), out);
                    out.append(": ");
                    write(entry.getValue(), out, inner);
                    out.append(++n < map.size() ? ",\n" : "\n");
                }
                out.append(indent).append('}');
            } else if (value instanceof List<?> list) {
                if (list.isEmpty()) {
                    out.append("[]");
                    return;
                }
                if (list.stream().noneMatch(v -> v instanceof Map<?, ?> || v instanceof List<?>)) {
                    // Short lists of ids or codes read better on one line.
                    out.append('[');
                    for (int i = 0; i < list.size(); i++) {
                        write(list.get(i), out, indent);
                        out.append(i + 1 < list.size() ? ", " : "");
                    }
                    out.append(']');
                    return;
                }
                String inner = indent + "  ";
                out.append("[\n");
                for (int i = 0; i < list.size(); i++) {
                    out.append(inner);
                    write(list.get(i), out, inner);
                    out.append(i + 1 < list.size() ? ",\n" : "\n");
                }
                out.append(indent).append(']');
            } else {
                throw new IllegalArgumentException("cannot write a " + value.getClass().getSimpleName() + " as JSON");
            }
        }

        private static void quote(String text, StringBuilder out) {
            out.append('"');
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                switch (c) {
                    case '"' -> out.append("\\\"");
                    case '\\' -> out.append("\\\\");
                    case '\n' -> out.append("\\n");
                    case '\r' -> out.append("\\r");
                    case '\t' -> out.append("\\t");
                    default -> {
                        if (c < 0x20) {
                            out.append(String.format("\\u%04x", (int) c));
                        } else {
                            out.append(c);
                        }
                    }
                }
            }
            out.append('"');
        }

        /** Strict RFC 8259, plus a rejection of duplicate keys, which in a data file is always a mistake. */
        private static final class Reader {

            private static final Pattern NUMBER = Pattern.compile("-?(0|[1-9]\\d*)(\\.\\d+)?([eE][+-]?\\d+)?");

            private final String text;
            private int at;

            Reader(String text) {
                this.text = text;
            }

            Object document() {
                space();
                Object value = value();
                space();
                if (at < text.length()) {
                    throw problem("unexpected text after the JSON value");
                }
                return value;
            }

            private Object value() {
                if (at >= text.length()) {
                    throw problem("unexpected end of the file");
                }
                char c = text.charAt(at);
                switch (c) {
                    case '{':
                        return object();
                    case '[':
                        return array();
                    case '"':
                        return string();
                    case 't':
                        return literal("true", Boolean.TRUE);
                    case 'f':
                        return literal("false", Boolean.FALSE);
                    case 'n':
                        return literal("null", null);
                    default:
                        if (c == '-' || (c >= '0' && c <= '9')) {
                            Matcher m = NUMBER.matcher(text).region(at, text.length());
                            if (m.lookingAt()) {
                                at = m.end();
                                return new JsonNumber(m.group());
                            }
                        }
                        throw problem("unexpected '" + c + "'");
                }
            }

            private Map<String, Object> object() {
                Map<String, Object> map = new LinkedHashMap<>();
                at++;
                space();
                if (peek('}')) {
                    at++;
                    return map;
                }
                while (true) {
                    space();
                    if (!peek('"')) {
                        throw problem("expected a quoted key");
                    }
                    int keyAt = at;
                    String key = string();
                    space();
                    expect(':');
                    space();
                    Object value = value();
                    if (map.containsKey(key)) {
                        at = keyAt;
                        throw problem("duplicate key \"" + key + "\"");
                    }
                    map.put(key, value);
                    space();
                    if (peek(',')) {
                        at++;
                        continue;
                    }
                    expect('}');
                    return map;
                }
            }

            private List<Object> array() {
                List<Object> list = new ArrayList<>();
                at++;
                space();
                if (peek(']')) {
                    at++;
                    return list;
                }
                while (true) {
                    space();
                    list.add(value());
                    space();
                    if (peek(',')) {
                        at++;
                        continue;
                    }
                    expect(']');
                    return list;
                }
            }

            private String string() {
                StringBuilder out = new StringBuilder();
                at++;
                while (at < text.length()) {
                    char c = text.charAt(at++);
                    if (c == '"') {
                        return out.toString();
                    }
                    if (c < 0x20) {
                        at--;
                        throw problem("control character inside a string");
                    }
                    if (c != '\\') {
                        out.append(c);
                        continue;
                    }
                    if (at >= text.length()) {
                        break;
                    }
                    char escaped = text.charAt(at++);
                    switch (escaped) {
                        case '"', '\\', '/' -> out.append(escaped);
                        case 'b' -> out.append('\b');
                        case 'f' -> out.append('\f');
                        case 'n' -> out.append('\n');
                        case 'r' -> out.append('\r');
                        case 't' -> out.append('\t');
                        case 'u' -> {
                            if (at + 4 > text.length() || !text.substring(at, at + 4).matches("[0-9a-fA-F]{4}")) {
                                throw problem("bad \\u escape");
                            }
                            out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                            at += 4;
                        }
                        default -> {
                            at--;
                            throw problem("bad escape \\" + escaped);
                        }
                    }
                }
                throw problem("unterminated string");
            }

            private Object literal(String word, Object value) {
                if (!text.startsWith(word, at)) {
                    throw problem("unexpected '" + text.charAt(at) + "'");
                }
                at += word.length();
                return value;
            }

            private boolean peek(char c) {
                return at < text.length() && text.charAt(at) == c;
            }

            private void expect(char c) {
                if (!peek(c)) {
                    throw problem(at < text.length() ? "expected '" + c + "' but found '" + text.charAt(at) + "'"
                            : "expected '" + c + "' but the file ended");
                }
                at++;
            }

            private void space() {
                while (at < text.length() && " \t\r\n".indexOf(text.charAt(at)) >= 0) {
                    at++;
                }
            }

            private IllegalArgumentException problem(String message) {
                int line = 1;
                int column = 1;
                for (int i = 0; i < Math.min(at, text.length()); i++) {
                    if (text.charAt(i) == '\n') {
                        line++;
                        column = 1;
                    } else {
                        column++;
                    }
                }
                return new IllegalArgumentException(message + " at line " + line + ", column " + column);
            }
        }
    }
}
