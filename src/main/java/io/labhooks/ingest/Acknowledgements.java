package io.labhooks.ingest;

import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.springframework.stereotype.Component;

import io.labhooks.event.EventExchange;
import io.labhooks.verification.ProviderSecrets;

/**
 * Writes the only responses the webhook endpoints give: the provider's acknowledgement (status and body exactly
 * the same for a duplicate as for the original, which is what the provider was told the first time) and one-line
 * JSON errors. Every inbound header is dropped first, so nothing the caller sent is ever echoed back.
 */
@Component("acknowledgements")
public class Acknowledgements {

    private final ObjectMapper json = new ObjectMapper();
    private final ProviderSecrets secrets;
    private final IngestMetrics metrics;
    private final WebhookPaths paths;

    public Acknowledgements(ProviderSecrets secrets, IngestMetrics metrics, WebhookPaths paths) {
        this.secrets = secrets;
        this.metrics = metrics;
        this.paths = paths;
    }

    public void acknowledge(Exchange exchange) {
        boolean duplicate = exchange.getProperty(WebhookExchange.DUPLICATE, false, Boolean.class);
        String provider = exchange.getProperty(EventExchange.PROVIDER, String.class);
        Acknowledgement mode = Acknowledgement.valueOf(exchange.getProperty(WebhookExchange.ACKNOWLEDGEMENT, String.class));
        Map<String, String> body = switch (mode) {
            case CHALLENGE -> Map.of("challenge", secrets.require(provider,
                    exchange.getProperty(WebhookExchange.CHALLENGE_VARIABLE, String.class)).get(0));
            case ACCEPTED, OK -> Map.of("status", "accepted");
        };
        if (!exchange.getProperty(WebhookExchange.EMPTY_BODY, false, Boolean.class)) {
            metrics.webhook(provider, duplicate ? "duplicate" : "accepted");
        }
        respond(exchange.getMessage(), mode.status(), body);
    }

    /**
     * A request no provider route took: 405 (Allow: POST) when a provider serves the path, since its route takes
     * POST only; otherwise 404, echoing the name only when it is a plain id.
     */
    public void unrouted(Exchange exchange) {
        String name = exchange.getIn().getHeader("provider", String.class);
        boolean plain = name != null && name.matches("[a-z0-9-]{1,64}");
        if (plain && paths.served(name)) {
            reject(exchange, 405, "method not allowed: webhooks are sent with POST");
            exchange.getMessage().setHeader("Allow", "POST");
            return;
        }
        reject(exchange, 404, plain ? "unknown provider '" + name + "'" : "unknown provider");
    }

    public void reject(Exchange exchange, int status, String reason) {
        respond(exchange.getMessage(), status, Map.of("error", reason));
    }

    private void respond(Message message, int status, Map<String, String> body) {
        message.removeHeaders("*");
        message.setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        message.setHeader(Exchange.CONTENT_TYPE, "application/json");
        try {
            message.setBody(json.writeValueAsString(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a response", e);
        }
    }
}
