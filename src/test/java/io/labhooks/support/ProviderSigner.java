package io.labhooks.support;

import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.UUID;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * Builds webhook requests the way each provider sends them (providers.md §1.6, 2.6, 3.6, 4.6, 5.6). Written apart
 * from the production verifier on purpose, so a shared mistake cannot make both sides agree.
 */
public final class ProviderSigner {

    public static final String LOLA_SECRET = "whsec_" + Base64.getEncoder().encodeToString("lola-test-signing-key-0123456789".getBytes(StandardCharsets.UTF_8));
    public static final String JUNCTION_SECRET = "whsec_" + Base64.getEncoder().encodeToString("junction-test-signing-key-012345".getBytes(StandardCharsets.UTF_8));
    public static final String FULLSCRIPT_SECRET = "fullscript-test-secret";
    public static final String FULLSCRIPT_CHALLENGE = "fullscript-test-challenge";
    public static final String HURDLE_TOKEN = "hurdle-test-token";
    public static final String LML_TOKEN = "lml-test-token";
    /** The sixth, made-up provider's signing secret (src/test/resources/sixth-provider). */
    public static final String ACME_SECRET = "whsec_YWNtZS1sYWJzLXNpZ25pbmcta2V5LTAwMDAwMDAw";

    private final URI base;

    public ProviderSigner(URI base) {
        this.base = base;
    }

    /** The properties a test box needs for all five providers. */
    public static String[] secretProperties() {
        return new String[] {
                "LOLA_WEBHOOK_SECRET=" + LOLA_SECRET,
                "JUNCTION_WEBHOOK_SECRET=" + JUNCTION_SECRET,
                "FULLSCRIPT_WEBHOOK_SECRET=" + FULLSCRIPT_SECRET,
                "FULLSCRIPT_CHALLENGE_TOKEN=" + FULLSCRIPT_CHALLENGE,
                "HURDLE_WEBHOOK_TOKEN=" + HURDLE_TOKEN,
                "LML_WEBHOOK_TOKEN=" + LML_TOKEN};
    }

    /** Registers {@link #secretProperties()} with a Spring test's dynamic properties. */
    public static void registerSecrets(DynamicPropertyRegistry registry) {
        for (String secret : secretProperties()) {
            String[] pair = secret.split("=", 2);
            registry.add(pair[0], () -> pair[1]);
        }
    }

    /** An event of the made-up sixth provider of src/test/resources/sixth-provider, signed as its route expects. */
    public HttpRequest.Builder acme(String id, String kind) {
        // one specimen per order, as in life: a sample id is an order id (labhooks.orders.link-refs), so one
        // shared by every test's order would link them all into the first
        byte[] body = ("{\"id\":\"" + id + "\",\"kind\":\"" + kind + "\",\"at\":\"2026-06-01T08:00:00Z\","
                + "\"order\":{\"ref\":\"ACME-" + id + "\",\"yours\":null},\"specimen\":\"s-" + id + "\"}")
                .getBytes(StandardCharsets.UTF_8);
        return standardWebhooks("acme", "webhook-", ACME_SECRET, body, id, Instant.now().getEpochSecond());
    }

    public HttpRequest.Builder lola(byte[] body, String webhookId, long timestamp) {
        return standardWebhooks("lola", "webhook-", LOLA_SECRET, body, webhookId, timestamp);
    }

    public HttpRequest.Builder lola(byte[] body) {
        return lola(body, "evt_" + UUID.randomUUID(), Instant.now().getEpochSecond());
    }

    public HttpRequest.Builder junction(byte[] body) {
        return standardWebhooks("junction", "svix-", JUNCTION_SECRET, body, "msg_" + UUID.randomUUID().toString().replace("-", ""),
                Instant.now().getEpochSecond());
    }

    /** Junction through white-labelled Svix, which sends the same signature under webhook-* headers. */
    public HttpRequest.Builder junctionWhiteLabelled(byte[] body) {
        return standardWebhooks("junction", "webhook-", JUNCTION_SECRET, body, "msg_" + UUID.randomUUID().toString().replace("-", ""),
                Instant.now().getEpochSecond());
    }

    public HttpRequest.Builder fullscript(byte[] body) {
        String t = Long.toString(Instant.now().getEpochSecond());
        return post("fullscript", body).header("Fullscript-Signature", "t=" + t + ",v1=" + fullscriptSignature(FULLSCRIPT_SECRET, t, body));
    }

    /** Lowercase-hex HMAC-SHA256 of "t.body" keyed with the UTF-8 bytes of the secret. */
    public static String fullscriptSignature(String secret, String t, byte[] body) {
        return HexFormat.of().formatHex(hmac(secret.getBytes(StandardCharsets.UTF_8), t + ".", body));
    }

    public HttpRequest.Builder hurdle(byte[] body) {
        return post("hurdle", body).header("X-Webhook-Token", HURDLE_TOKEN);
    }

    public HttpRequest.Builder lml(byte[] body) {
        return HttpRequest.newBuilder(base.resolve("/webhooks/lml?token=" + LML_TOKEN))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    }

    /** A signed request for any of the five providers. */
    public HttpRequest.Builder signed(String provider, byte[] body) {
        return switch (provider) {
            case "lola" -> lola(body);
            case "junction" -> junction(body);
            case "fullscript" -> fullscript(body);
            case "hurdle" -> hurdle(body);
            case "lml" -> lml(body);
            default -> throw new IllegalArgumentException(provider);
        };
    }

    public HttpRequest.Builder post(String path, byte[] body) {
        return HttpRequest.newBuilder(base.resolve("/webhooks/" + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    }

    private HttpRequest.Builder standardWebhooks(String provider, String prefix, String secret, byte[] body, String id,
                                                 long timestamp) {
        String signature = standardWebhooksSignature(secret, id, timestamp, body);
        return post(provider, body)
                .header(prefix + "id", id)
                .header(prefix + "timestamp", Long.toString(timestamp))
                .header(prefix + "signature", "v1," + signature);
    }

    /** Base64 HMAC-SHA256 of "id.timestamp.body" keyed with the base64 after whsec_. */
    public static String standardWebhooksSignature(String secret, String id, long timestamp, byte[] body) {
        byte[] key = Base64.getDecoder().decode(secret.substring("whsec_".length()));
        return Base64.getEncoder().encodeToString(hmac(key, id + "." + timestamp + ".", body));
    }

    private static byte[] hmac(byte[] key, String prefix, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update(prefix.getBytes(StandardCharsets.UTF_8));
            return mac.doFinal(body);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
