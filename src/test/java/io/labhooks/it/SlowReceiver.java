package io.labhooks.it;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.extension.Parameters;
import com.github.tomakehurst.wiremock.extension.ServeEventListener;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;

import io.labhooks.support.ProviderSigner;

/**
 * The clinic's HTTP receiver (WireMock in the test JVM) answering every POST under {@code /labhooks/} with 200
 * after {@code delayMillis}, so deliveries are in flight for a while. It knows which deliveries are in flight right
 * now (received, not yet answered), and checks every delivery it got: the Standard Webhooks signature over the
 * body, and {@code webhook-id} equal to the body's {@code eventId}.
 */
final class SlowReceiver implements AutoCloseable {

    static final String SECRET = "whsec_" + Base64.getEncoder().encodeToString(
            ("it-sink-key-" + UUID.randomUUID()).getBytes(StandardCharsets.UTF_8));
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A delivery being served: its webhook-id and when it arrived. */
    record InFlight(String webhookId, long receivedAtNanos) {
    }

    /** A delivery as received. */
    record Delivery(String path, String webhookId, String eventId, boolean signatureValid, int status) {
    }

    private final Map<UUID, InFlight> inFlight = new ConcurrentHashMap<>();
    private final WireMockServer server;

    SlowReceiver(int delayMillis) {
        ServeEventListener tracker = new ServeEventListener() {
            @Override
            public String getName() {
                return "in-flight-tracker";
            }

            @Override
            public void beforeMatch(ServeEvent event, Parameters parameters) {
                inFlight.put(event.getId(), new InFlight(event.getRequest().getHeader("webhook-id"), System.nanoTime()));
            }

            @Override
            public void afterComplete(ServeEvent event, Parameters parameters) {
                inFlight.remove(event.getId());
            }
        };
        server = new WireMockServer(wireMockConfig().dynamicPort().containerThreads(40).extensions(tracker));
        server.start();
        server.stubFor(post(urlPathMatching("/labhooks/.*")).willReturn(aResponse().withStatus(200).withFixedDelay(delayMillis)));
    }

    /** The sink URL to give a box; {@code label} tells the deliveries of different boxes apart. */
    String url(String label) {
        return server.baseUrl() + "/labhooks/" + label;
    }

    /** Webhook-ids of deliveries received between {@code minAgeMillis} and {@code maxAgeMillis} ago and not yet answered. */
    List<String> inFlight(long minAgeMillis, long maxAgeMillis) {
        long now = System.nanoTime();
        return inFlight.values().stream()
                .filter(d -> now - d.receivedAtNanos() >= minAgeMillis * 1_000_000 && now - d.receivedAtNanos() <= maxAgeMillis * 1_000_000)
                .map(InFlight::webhookId).toList();
    }

    /** Every delivery received so far (answered or not), checked. */
    List<Delivery> deliveries() {
        return server.getAllServeEvents().stream().map(SlowReceiver::check).toList();
    }

    private static Delivery check(ServeEvent event) {
        var request = event.getRequest();
        String webhookId = request.getHeader("webhook-id");
        String eventId = null;
        boolean valid = false;
        try {
            eventId = JSON.readTree(request.getBody()).path("eventId").asText(null);
            long timestamp = Long.parseLong(request.getHeader("webhook-timestamp"));
            String expected = "v1," + ProviderSigner.standardWebhooksSignature(SECRET, webhookId, timestamp, request.getBody());
            valid = List.of(request.getHeader("webhook-signature").split(" ")).contains(expected);
        } catch (Exception e) {
            // recorded as invalid
        }
        return new Delivery(request.getUrl(), webhookId, eventId, valid, event.getResponse() == null ? -1 : event.getResponse().getStatus());
    }

    @Override
    public void close() {
        server.stop();
    }
}
