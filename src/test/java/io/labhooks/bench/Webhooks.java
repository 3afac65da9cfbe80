package io.labhooks.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The benchmark's webhooks: one real example per provider (mappings/tests), with its ids replaced by a token that
 * is unique per webhook, signed or tokened exactly as the provider does it, with a fresh timestamp on every send.
 * The token ("b" + run + "n" + sequence number) travels through the whole pipeline into the canonical event, so
 * the sinks' copies can be matched to the acknowledged webhooks one by one. JDK only, so the bench script can
 * compile it with javac alone.
 */
public final class Webhooks {

    /** The same values as the test suite's ProviderSigner: throw-away secrets for a benchmark box. */
    public static final String LOLA_SECRET = "whsec_" + b64("lola-test-signing-key-0123456789");
    public static final String JUNCTION_SECRET = "whsec_" + b64("junction-test-signing-key-012345");
    public static final String FULLSCRIPT_SECRET = "fullscript-test-secret";
    public static final String FULLSCRIPT_CHALLENGE = "fullscript-test-challenge";
    public static final String HURDLE_TOKEN = "hurdle-test-token";
    public static final String LML_TOKEN = "lml-test-token";
    public static final String SINK_SECRET = "whsec_" + b64("bench-http-sink-signing-key-0123");

    public static final List<String> PROVIDERS = List.of("lola", "hurdle", "lml", "junction", "fullscript");

    /** The box's environment for all five providers and the HTTP sink. */
    public static List<String[]> environment() {
        return List.of(
                new String[] {"LOLA_WEBHOOK_SECRET", LOLA_SECRET},
                new String[] {"JUNCTION_WEBHOOK_SECRET", JUNCTION_SECRET},
                new String[] {"FULLSCRIPT_WEBHOOK_SECRET", FULLSCRIPT_SECRET},
                new String[] {"FULLSCRIPT_CHALLENGE_TOKEN", FULLSCRIPT_CHALLENGE},
                new String[] {"HURDLE_WEBHOOK_TOKEN", HURDLE_TOKEN},
                new String[] {"LML_WEBHOOK_TOKEN", LML_TOKEN},
                new String[] {"LABHOOKS_HTTP_SINK_SECRET", SINK_SECRET});
    }

    /** One webhook ready to send: the path with any query, its headers, the exact body bytes. */
    public record Webhook(String provider, long token, String path, List<String[]> headers, byte[] body) {
    }

    /** An example body and the ids in it that each webhook replaces with its own token. */
    private record Template(String provider, String body, List<String> ids) {
    }

    private final String run;
    private final Template[] templates;
    private final Pattern tokenPattern;

    /** @param run a short hex run id, so tokens of one run are told apart from another's in the same database */
    public Webhooks(Path mappingsDir, String run) {
        this.run = run;
        this.tokenPattern = Pattern.compile("b" + run + "n(\\d+)");
        this.templates = new Template[] {
                template(mappingsDir, "lola", "sample-results-ready", "ckxyz123", "order-2026-0001",
                        "evt_0a1b2c3d-0016-4000-8000-000000000016", "smp_7f3a9c"),
                template(mappingsDir, "hurdle", "test-processed", "HUR-100234", "6a1d2f0e-3b4c-4d5e-8f90-a1b2c3d4e5f6"),
                template(mappingsDir, "lml", "lab-results-complete", "eae987c4-32d6-42b9-8c9f-524a78a1b507"),
                // the sample and appointment too: they are order ids (labhooks.orders.link-refs), and left the
                // same in every webhook they would link all of them into one order
                template(mappingsDir, "junction", "order-updated-completed", "84d96c03-6b1c-4226-ad8f-ef44a6bc08af",
                        "ORD-2024-0042", "123456789", "d55210cc-3d9f-4115-8262-5013f700c7be"),
                template(mappingsDir, "fullscript", "lab-order-updated-results-ready",
                        "d567e373-b5e8-5d5a-b7f9-7d3039edac40", "a0b50c8d-711e-43fa-85bb-5de80365aa10")};
    }

    private static Template template(Path dir, String provider, String example, String... ids) {
        try {
            String body = Files.readString(dir.resolve("tests").resolve(provider).resolve(example + ".input.json"));
            for (String id : ids) {
                if (!body.contains(id)) {
                    throw new IllegalStateException(provider + "/" + example + " no longer contains " + id);
                }
            }
            return new Template(provider, body, List.of(ids));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String token(long seq) {
        return "b" + run + "n" + seq;
    }

    /** The tokens of this run named in a text (a delivered canonical event), as sequence numbers. */
    public void tokensIn(String text, java.util.function.LongConsumer found) {
        Matcher m = tokenPattern.matcher(text);
        while (m.find()) {
            found.accept(Long.parseLong(m.group(1)));
        }
    }

    /** The webhook with this token from this provider, signed now. Called again for a resend (a provider's retry). */
    public Webhook webhook(String provider, long seq) {
        Template template = templateOf(provider);
        String token = token(seq);
        String text = template.body();
        for (String id : template.ids()) {
            text = text.replace(id, token);
        }
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        long now = Instant.now().getEpochSecond();
        return switch (provider) {
            case "lola" -> standardWebhooks(provider, "webhook-", LOLA_SECRET, "evt_" + token, now, seq, body);
            case "junction" -> standardWebhooks(provider, "svix-", JUNCTION_SECRET, "msg_" + token, now, seq, body);
            case "fullscript" -> new Webhook(provider, seq, "/webhooks/fullscript", List.<String[]>of(new String[] {
                    "Fullscript-Signature", "t=" + now + ",v1=" + HexFormat.of().formatHex(
                            hmac(FULLSCRIPT_SECRET.getBytes(StandardCharsets.UTF_8), now + ".", body))}), body);
            case "hurdle" -> new Webhook(provider, seq, "/webhooks/hurdle",
                    List.<String[]>of(new String[] {"X-Webhook-Token", HURDLE_TOKEN}), body);
            case "lml" -> new Webhook(provider, seq, "/webhooks/lml?token=" + LML_TOKEN, List.of(), body);
            default -> throw new IllegalArgumentException(provider);
        };
    }

    private Template templateOf(String provider) {
        for (Template t : templates) {
            if (t.provider().equals(provider)) {
                return t;
            }
        }
        throw new IllegalArgumentException("no benchmark template for " + provider);
    }

    private static Webhook standardWebhooks(String provider, String prefix, String secret, String id, long timestamp,
                                            long seq, byte[] body) {
        String signature = "v1," + Base64.getEncoder().encodeToString(hmac(key(secret), id + "." + timestamp + ".", body));
        return new Webhook(provider, seq, "/webhooks/" + provider, List.of(
                new String[] {prefix + "id", id},
                new String[] {prefix + "timestamp", Long.toString(timestamp)},
                new String[] {prefix + "signature", signature}), body);
    }

    /** True when a Standard Webhooks signature header matches (the HTTP sink's deliveries are checked with it). */
    public static boolean standardWebhooksValid(String secret, String id, String timestamp, byte[] body, String header) {
        if (id == null || timestamp == null || header == null) {
            return false;
        }
        String expected = "v1," + Base64.getEncoder().encodeToString(hmac(key(secret), id + "." + timestamp + ".", body));
        for (String entry : header.trim().split("\\s+")) {
            if (java.security.MessageDigest.isEqual(entry.getBytes(StandardCharsets.US_ASCII),
                    expected.getBytes(StandardCharsets.US_ASCII))) {
                return true;
            }
        }
        return false;
    }

    private static byte[] key(String whsec) {
        return Base64.getDecoder().decode(whsec.substring("whsec_".length()));
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

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
