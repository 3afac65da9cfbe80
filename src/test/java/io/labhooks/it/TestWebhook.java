package io.labhooks.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import io.labhooks.support.ProviderSigner;

/**
 * One provider webhook with a unique {@code token} inside its body (its order / registration / event ids), so the
 * stored {@code inbound_event} row can be found by its body whatever the provider's dedupe key is. Re-sending it
 * (a provider's retry) keeps the body and the provider's event id and signs it again with a fresh timestamp.
 */
record TestWebhook(String provider, String token, byte[] body, String providerEventId) {

    static final List<String> PROVIDERS = List.of("lola", "hurdle", "lml", "junction", "fullscript");
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** {@code count} webhooks, the five providers in turn, each for an order of its own. */
    static List<TestWebhook> stream(int count) {
        List<TestWebhook> webhooks = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            webhooks.add(of(PROVIDERS.get(i % PROVIDERS.size())));
        }
        return webhooks;
    }

    static TestWebhook of(String provider) {
        String token = UUID.randomUUID().toString();
        return switch (provider) {
            case "lola" -> {
                String id = "evt_" + UUID.randomUUID();
                yield new TestWebhook(provider, token, utf8("{\"type\":\"job.confirmed\",\"timestamp\":\"" + Instant.now()
                        + "\",\"data\":{\"id\":\"" + id + "\",\"jobId\":\"job-" + token + "\",\"externalUserId\":\"user-"
                        + token + "\",\"externalOrderId\":\"order-" + token + "\",\"fulfillmentChannel\":\"MOBILE\",\"status\":\"CONFIRMED\"}}"), id);
            }
            case "hurdle" -> new TestWebhook(provider, token, utf8(fixture("hurdle/test-processed")
                    .replace("HUR-100234", "HUR-" + token).replace("6a1d2f0e-3b4c-4d5e-8f90-a1b2c3d4e5f6", token)), null);
            case "lml" -> new TestWebhook(provider, token, utf8("{\"event\":\"lab_results.complete\",\"data\":{\"testregistration_id\":\""
                    + token + "\",\"url\":\"https://api.londonmedicallaboratory.com/api/test_registration/" + token
                    + "/lab_results/\"}}"), null);
            // its external order, sample and appointment too: ids of one order (labhooks.orders.link-refs), which
            // left the same in every webhook would link all of them into one order
            case "junction" -> new TestWebhook(provider, token, utf8(fixture("junction/order-updated-completed")
                    .replace("84d96c03-6b1c-4226-ad8f-ef44a6bc08af", token).replace("ORD-2024-0042", "ORD-" + token)
                    .replace("123456789", "smp-" + token).replace("d55210cc-3d9f-4115-8262-5013f700c7be", "apt-" + token)),
                    "msg_" + UUID.randomUUID().toString().replace("-", ""));
            case "fullscript" -> new TestWebhook(provider, token, utf8(fixture("fullscript/lab-order-updated-results-ready")
                    .replace("d567e373-b5e8-5d5a-b7f9-7d3039edac40", token)
                    .replace("a0b50c8d-711e-43fa-85bb-5de80365aa10", UUID.randomUUID().toString())), token);
            default -> throw new IllegalArgumentException(provider);
        };
    }

    /** Signed the way the provider signs, with the signature timestamp {@code timestamp} (epoch seconds). */
    HttpRequest request(URI box, long timestamp) {
        ProviderSigner signer = new ProviderSigner(box);
        HttpRequest.Builder request = switch (provider) {
            case "lola" -> signer.lola(body, providerEventId, timestamp);
            case "junction" -> signer.post("junction", body).header("svix-id", providerEventId)
                    .header("svix-timestamp", Long.toString(timestamp))
                    .header("svix-signature", "v1," + ProviderSigner.standardWebhooksSignature(
                            ProviderSigner.JUNCTION_SECRET, providerEventId, timestamp, body));
            default -> signer.signed(provider, body);
        };
        return request.timeout(Duration.ofSeconds(30)).build();
    }

    HttpRequest request(URI box) {
        return request(box, Instant.now().getEpochSecond());
    }

    /** The box's answer; an exception (connection refused or reset, the box died) counts as no answer. */
    Answer send(URI box) {
        return Answer.of(() -> HTTP.send(request(box), HttpResponse.BodyHandlers.ofString()));
    }

    record Answer(int status, String body, Exception failure) {
        boolean acknowledged() {
            return status >= 200 && status < 300;
        }

        boolean duplicate() {
            return acknowledged() && body.contains("duplicate");
        }

        static Answer of(java.util.concurrent.Callable<HttpResponse<String>> call) {
            try {
                HttpResponse<String> response = call.call();
                return new Answer(response.statusCode(), response.body(), null);
            } catch (Exception e) {
                return new Answer(-1, "", e);
            }
        }

        @Override
        public String toString() {
            return failure != null ? failure.getClass().getSimpleName() + ": " + failure.getMessage() : status + " " + body;
        }
    }

    @Override
    public String toString() {
        return provider + "/" + token;
    }

    private static String fixture(String name) {
        try {
            return Files.readString(Box.BASE_DIR.resolve("mappings/tests/" + name + ".input.json"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
