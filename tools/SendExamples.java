/*
 * SendExamples: posts every example webhook under mappings/tests/<provider>/*.input.json (not the poll.* cases,
 * which are API snapshots) to a running labhooks
 * box, signed or tokened exactly as that provider does it, so the whole flow (verify, store, map, deliver) can be
 * watched end to end without a real provider account.
 *
 * Run from the project root against a box started with the demo profile (or with the same secrets set):
 *
 *   mvn spring-boot:run -Dspring-boot.run.profiles=demo      (in one terminal)
 *   java tools/SendExamples.java [base-url] [provider]        (in another)
 *
 * base-url defaults to http://localhost:8080; provider (lola, hurdle, lml, junction, fullscript) sends only that
 * provider's examples. Secrets are read from the environment variables the box reads, falling back to the demo
 * values. Prints one line per webhook and a summary; exits 1 if any webhook was rejected, 2 on a usage error.
 * Needs only the JDK (17+).
 *
 * Sending the same set twice is expected to show duplicates for hurdle, lml and fullscript: their dedupe key comes
 * from the body, while lola and junction get a fresh message id header on every send. Fullscript is answered with
 * the same 200 challenge either way, so its duplicates show only in the database, not in this output.
 */

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

public class SendExamples {

    private static final String DEFAULT_BASE_URL = "http://localhost:8080";
    private static final Path EXAMPLES_DIR = Path.of("mappings", "tests");
    private static final String INPUT_SUFFIX = ".input.json";
    private static final String WHSEC_PREFIX = "whsec_";
    /** Response bodies are echoed for diagnosis only; a runaway error page should not flood the terminal. */
    private static final int MAX_BODY_CHARS = 300;

    /** How each provider proves a webhook genuine; mirrors io.labhooks.verification.SignatureScheme. */
    enum Scheme { STANDARD_WEBHOOKS, SVIX, FULLSCRIPT, HEADER_TOKEN, QUERY_TOKEN }

    /**
     * Each provider, the variable its route reads (routes/providers/<provider>.camel.yaml) and the fallback value.
     * The fallbacks MUST match application-demo.yaml: they are throw-away demo secrets, never real ones.
     */
    enum Provider {
        LOLA(Scheme.STANDARD_WEBHOOKS, "LOLA_WEBHOOK_SECRET", "whsec_ZGVtby1sb2xhLXNpZ25pbmcta2V5LTAwMDAwMDAw"),
        HURDLE(Scheme.HEADER_TOKEN, "HURDLE_WEBHOOK_TOKEN", "demo-hurdle-token"),
        LML(Scheme.QUERY_TOKEN, "LML_WEBHOOK_TOKEN", "demo-lml-token"),
        JUNCTION(Scheme.SVIX, "JUNCTION_WEBHOOK_SECRET", "whsec_ZGVtby1qdW5jdGlvbi1zaWduaW5nLWtleS0wMDAw"),
        FULLSCRIPT(Scheme.FULLSCRIPT, "FULLSCRIPT_WEBHOOK_SECRET", "demo-fullscript-secret");

        final Scheme scheme;
        final String variable;
        final String demoValue;

        Provider(Scheme scheme, String variable, String demoValue) {
            this.scheme = scheme;
            this.variable = variable;
            this.demoValue = demoValue;
        }

        String id() {
            return name().toLowerCase();
        }

        /**
         * The box accepts several values separated by spaces or commas (secret rotation); any one of them
         * verifies, so the first is used for signing.
         */
        String secret() {
            String value = System.getenv(variable);
            if (value == null || value.isBlank()) {
                return demoValue;
            }
            return Arrays.stream(value.trim().split("[\\s,]+")).filter(s -> !s.isEmpty()).findFirst().orElse(demoValue);
        }
    }

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String baseUrl;
    private int sent;
    private int accepted;

    SendExamples(String baseUrl) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    }

    public static void main(String[] args) throws IOException, InterruptedException {
        if (args.length > 2 || (args.length > 0 && (args[0].equals("-h") || args[0].equals("--help")))) {
            usage("");
        }
        String baseUrl = args.length > 0 ? args[0] : DEFAULT_BASE_URL;
        List<Provider> providers = args.length > 1 ? List.of(parseProvider(args[1])) : List.of(Provider.values());
        if (!Files.isDirectory(EXAMPLES_DIR)) {
            fail("no " + EXAMPLES_DIR + " directory here: run from the project root");
        }

        SendExamples sender = new SendExamples(baseUrl);
        for (Provider provider : providers) {
            sender.sendAll(provider);
        }
        System.exit(sender.summarise() ? 0 : 1);
    }

    private static Provider parseProvider(String name) {
        for (Provider provider : Provider.values()) {
            if (provider.id().equals(name.toLowerCase())) {
                return provider;
            }
        }
        usage("unknown provider '" + name + "'");
        return null; // unreachable: usage exits
    }

    private static void usage(String problem) {
        if (!problem.isEmpty()) {
            System.err.println("error: " + problem);
        }
        System.err.println("usage: java tools/SendExamples.java [base-url] [lola|hurdle|lml|junction|fullscript]");
        System.exit(2);
    }

    /** Stops on a setup problem (exit 2), distinct from webhooks the box rejected (exit 1). */
    private static void fail(String problem) {
        System.err.println("error: " + problem);
        System.exit(2);
    }

    private void sendAll(Provider provider) throws IOException, InterruptedException {
        for (Path example : examples(provider)) {
            send(provider, example);
        }
    }

    /**
     * Sorted, so two runs send in the same order and their output can be compared line by line. Cases named
     * poll.* are snapshots of a provider's API, not webhooks, and are not sent.
     */
    private static List<Path> examples(Provider provider) throws IOException {
        Path dir = EXAMPLES_DIR.resolve(provider.id());
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(INPUT_SUFFIX))
                    .filter(p -> !p.getFileName().toString().startsWith("poll.")).sorted().toList();
        }
    }

    private void send(Provider provider, Path example) throws IOException, InterruptedException {
        // Raw bytes, never re-encoded: the signature covers exactly the bytes on the wire.
        byte[] body = Files.readAllBytes(example);
        HttpRequest request = request(provider, body);
        String outcome;
        sent++;
        try {
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            boolean ok = response.statusCode() / 100 == 2;
            if (ok) {
                accepted++;
            }
            outcome = response.statusCode() + " " + oneLine(response.body());
        } catch (IOException e) {
            // Box not running or connection dropped: counted as rejected, and the run goes on to show the extent.
            outcome = "ERR " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        }
        System.out.printf("%-10s %-50s %s%n", provider.id(), example.getFileName(), outcome);
    }

    /** Builds the POST with the provider's own headers or query parameter, timestamped now. */
    private HttpRequest request(Provider provider, byte[] body) {
        String secret = provider.secret();
        long now = Instant.now().getEpochSecond();
        String url = baseUrl + "/webhooks/" + provider.id();
        if (provider.scheme == Scheme.QUERY_TOKEN) {
            url += "?token=" + URLEncoder.encode(secret, StandardCharsets.UTF_8);
        }
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        // A fresh message id per send, as a provider does for each new event: lola and junction dedupe on it.
        String messageId = UUID.randomUUID().toString();
        switch (provider.scheme) {
            case STANDARD_WEBHOOKS -> standardWebhooks(builder, "webhook-", "evt_" + messageId, now,
                    whsecKey(provider.variable, secret), body);
            case SVIX -> standardWebhooks(builder, "svix-", "msg_" + messageId.replace("-", ""), now,
                    whsecKey(provider.variable, secret), body);
            case FULLSCRIPT -> builder.header("Fullscript-Signature",
                    "t=" + now + ",v1=" + fullscriptSignature(secret, now, body));
            case HEADER_TOKEN -> builder.header("X-Webhook-Token", secret);
            case QUERY_TOKEN -> { } // already in the URL
        }
        return builder.build();
    }

    /**
     * Standard Webhooks (Lola) and Svix (Junction) share one algorithm and differ only in the header prefix:
     * base64 HMAC-SHA256 of "{id}.{timestamp}.{body}", keyed with the base64 material after "whsec_".
     */
    private static void standardWebhooks(HttpRequest.Builder builder, String prefix, String id, long timestamp,
            byte[] key, byte[] body) {
        byte[] mac = hmacSha256(key, id + "." + timestamp + ".", body);
        builder.header(prefix + "id", id)
                .header(prefix + "timestamp", Long.toString(timestamp))
                .header(prefix + "signature", "v1," + Base64.getEncoder().encodeToString(mac));
    }

    /** The HMAC key of a "whsec_<base64>" secret; a malformed one stops the run naming the variable, not the value. */
    private static byte[] whsecKey(String variable, String secret) {
        String material = secret.startsWith(WHSEC_PREFIX) ? secret.substring(WHSEC_PREFIX.length()) : secret;
        try {
            return Base64.getDecoder().decode(material);
        } catch (IllegalArgumentException e) {
            fail(variable + " is not a whsec_<base64> secret");
            return null; // unreachable: fail exits
        }
    }

    /** Fullscript: lowercase hex HMAC-SHA256 of "{t}.{body}", keyed with the secret's UTF-8 bytes. */
    private static String fullscriptSignature(String secret, long timestamp, byte[] body) {
        byte[] mac = hmacSha256(secret.getBytes(StandardCharsets.UTF_8), timestamp + ".", body);
        return HexFormat.of().formatHex(mac);
    }

    private static byte[] hmacSha256(byte[] key, String prefix, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update(prefix.getBytes(StandardCharsets.UTF_8));
            return mac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JDK", e);
        }
    }

    /**
     * The body on one line, with Fullscript's challenge token masked: it is configured like a secret
     * (FULLSCRIPT_CHALLENGE_TOKEN) and does not belong in terminal output or CI logs.
     */
    private static String oneLine(String text) {
        String line = text.replaceAll("\\s*[\\r\\n]+\\s*", " ").trim()
                .replaceAll("(\"challenge\"\\s*:\\s*\")[^\"]*\"", "$1***\"");
        return line.length() > MAX_BODY_CHARS ? line.substring(0, MAX_BODY_CHARS) + "..." : line;
    }

    /** True when every webhook was accepted. */
    private boolean summarise() {
        System.out.println(sent + " sent, " + accepted + " accepted, " + (sent - accepted) + " rejected");
        return sent == accepted;
    }
}
